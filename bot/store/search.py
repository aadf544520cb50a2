"""The tickets' text search index (number, description, location), one per engine.

SQLite: a contentless FTS5 table with the trigram tokenizer, `ticket_search`, filled by
triggers on `tickets` (so every path that writes a ticket, bulk loads and erasure included,
keeps it in step) and holding no copy of the text. Each column is indexed with two unit
separators (U+001F) appended, so that every substring of one or two characters, even at
a column's end, begins some trigram: a query of three or more characters is an FTS5
phrase (a substring match, case-blind like `LIKE`), a shorter one (a Chinese two-character
word) the OR of the index's terms that begin with it, read from an `fts5vocab` table.
Without FTS5's trigram tokenizer (SQLite < 3.34) the migration creates nothing and the
search stays `LIKE` over the three columns.

PostgreSQL (migration 16; migration 13's pg_trgm indexes served only queries of three
characters or more, and only under a UTF-8 `LC_CTYPE`): a GIN index on `grams`, a
stored column computed by `ticket_grams(number, description, location)`, an IMMUTABLE
SQL function giving each column's distinct characters and character pairs after
`lower()`, each as one `bigint` (a character's code point; a pair
`(first + 1) · 2^21 + second`, so no two grams share a key). A query is the condition
`grams @> ticket_query_grams(q)`: its one character, or its pairs. `ILIKE` (what the
store's `LIKE` is there) compares `lower()` of both sides, so a ticket matches a query of
one or two characters exactly when it holds that gram: the index alone answers, no row's
text is rechecked. A longer query holds all its pairs in every match, and the
candidates are rechecked with the same `LIKE` over the three columns. The index needs no
extension and works under any locale, as `ILIKE` does. It holds no row's text, only the
keys: after erasure the row's new text is what is indexed (see `purge_erased`). A count
of matches stops past `COUNT_CAP` (a common character is in a fifth of all tickets, and
counting them reads each row).
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.store.backend import Connection, fetchall, fetchone

log = logging.getLogger(__name__)

TABLE = "ticket_search"
#: Appended to every indexed value (see the module's docstring); never part of a query.
_PAD_SQL = "char(31, 31)"
_COLUMNS = ("number", "description", "location")
#: The terms (trigrams) of the index, per connection (a temporary table).
_TERMS = "temp.ticket_search_terms"


def trigram_available() -> bool:
    """Whether this Python's SQLite has FTS5 with the trigram tokenizer."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE VIRTUAL TABLE t USING fts5(a, tokenize='trigram')")
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()
    return True


def _values(row: str) -> str:
    return ", ".join(
        f"{row}.{c} || {_PAD_SQL}" if c != "location" else f"COALESCE({row}.{c}, '') || {_PAD_SQL}"
        for c in _COLUMNS
    )


def _insert(row: str) -> str:
    return (
        f"INSERT INTO {TABLE} (rowid, t_number, t_description, t_location) "
        f"VALUES ({row}.id, {_values(row)});"
    )


def _delete(row: str) -> str:
    return (
        f"INSERT INTO {TABLE} ({TABLE}, rowid, t_number, t_description, t_location) "
        f"VALUES ('delete', {row}.id, {_values(row)});"
    )


def sqlite_statements() -> list[str]:
    """The SQLite index, its triggers and its backfill (nothing without trigram)."""
    if not trigram_available():
        log.warning(
            "SQLite %s has no FTS5 trigram tokenizer: the console's text search reads "
            "every ticket (LIKE)",
            sqlite3.sqlite_version,
        )
        return []
    return [
        f"CREATE VIRTUAL TABLE {TABLE} USING fts5(t_number, t_description, t_location, "
        "content='', tokenize='trigram')",
        f"CREATE TRIGGER tickets_search_insert AFTER INSERT ON tickets BEGIN {_insert('new')} END",
        "CREATE TRIGGER tickets_search_update AFTER UPDATE OF number, description, location "
        f"ON tickets BEGIN {_delete('old')} {_insert('new')} END",
        f"CREATE TRIGGER tickets_search_delete AFTER DELETE ON tickets BEGIN {_delete('old')} END",
        f"INSERT INTO {TABLE} (rowid, t_number, t_description, t_location) "
        f"SELECT t.id, {_values('t')} FROM tickets t",
    ]


#: PostgreSQL, migration 13: the extension if it can be had, the indexes if it is there.
POSTGRES_STATEMENTS = [
    """DO $$
    BEGIN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_trgm;
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'pg_trgm is not available: the console text search reads every ticket';
        END;
        IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
            CREATE INDEX tickets_number_trgm ON tickets USING gin (number gin_trgm_ops);
            CREATE INDEX tickets_description_trgm ON tickets USING gin (description gin_trgm_ops);
            CREATE INDEX tickets_location_trgm ON tickets USING gin (location gin_trgm_ops);
        END IF;
    END $$"""
]


#: The grams of `lower(t)` of each text, as keys (see the module's docstring). The code
#: point of a character is `ascii()` of it in a UTF-8 database. No `?`, quote or the word
#: L-I-K-E here: the statements pass through bot/store/postgres.py's translation.
_GRAM_KEY = (
    "CASE WHEN v.n = 1 OR i = char_length(c.l) THEN ascii(substr(c.l, i, 1))::int8 "
    "ELSE (ascii(substr(c.l, i, 1)) + 1)::int8 * 2097152 + ascii(substr(c.l, i + 1, 1)) END"
)
GRAM_STATEMENTS = [
    "CREATE FUNCTION ticket_grams(number text, description text, location text) "
    "RETURNS int8[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
    f"SELECT COALESCE(array_agg(DISTINCT {_GRAM_KEY}), ARRAY[]::int8[]) "
    "FROM unnest(ARRAY[lower(number), lower(description), lower(location)]) AS c(l), "
    "generate_series(1, char_length(c.l)) AS i, (VALUES (1), (2)) AS v(n) $$",
    # A query's grams: its one character, or its pairs (a one-character query is a
    # unigram, a longer one its bigrams).
    "CREATE FUNCTION ticket_query_grams(q text) RETURNS int8[] "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
    f"SELECT COALESCE(array_agg(DISTINCT {_GRAM_KEY}), ARRAY[]::int8[]) "
    "FROM (SELECT lower(q) AS l) AS c, generate_series(1, char_length(c.l)) AS i, "
    "LATERAL (VALUES (CASE WHEN char_length(c.l) = 1 THEN 1 ELSE 2 END)) AS v(n) "
    "WHERE v.n = 1 OR i < char_length(c.l) $$",
    # Stored, not only indexed: the function takes ~150 µs a row, and a plan that reads
    # tickets in id or deadline order checks each row's grams (a stored array: ~1 µs).
    # Every write of the three columns computes them again, erasure included.
    "ALTER TABLE tickets ADD COLUMN grams int8[] GENERATED ALWAYS AS "
    "(ticket_grams(number, description, location)) STORED",
    "CREATE INDEX tickets_grams ON tickets USING gin (grams)",
    # The trigram indexes are served by the grams now; they only cost writes.
    "DROP INDEX IF EXISTS tickets_number_trgm",
    "DROP INDEX IF EXISTS tickets_description_trgm",
    "DROP INDEX IF EXISTS tickets_location_trgm",
]

#: PostgreSQL counts a text search's matches up to this many (the page then says "more
#: than"): counting 20,000 matches reads 20,000 rows, ~40 ms at 100,000 tickets.
COUNT_CAP = 1000


def gram_search(q: str) -> Search:
    """PostgreSQL: the tickets holding `q`'s grams; `LIKE` rechecks a query whose lowered
    text is longer than two characters (folded away by the planner otherwise: the
    parameters are constants in the plan)."""
    like = like_search(q)
    return Search(
        f"(grams @> ticket_query_grams(?) AND (char_length(lower(?)) <= 2 OR {like.where}))",
        (q, q, *like.args),
        cap=COUNT_CAP,
    )


async def has_index(conn: Connection) -> bool:
    """Whether this SQLite database has the FTS5 index (PostgreSQL: False, it needs none
    in the SQL: its trigram indexes serve `LIKE`)."""
    if not isinstance(conn, aiosqlite.Connection):
        return False
    row = await fetchone(
        conn, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
    )
    return row is not None


@dataclass(frozen=True)
class Search:
    """A text search as SQL over `tickets`: a condition, its arguments, and the FTS5 query
    when the index serves it."""

    where: str
    args: tuple[Any, ...]
    match: str | None = None
    #: Count no further than one past this (None: count every match).
    cap: int | None = None

    def count_sql(self, where: str) -> tuple[str, tuple[Any, ...]]:
        """Counting the matches that also meet `where` (its arguments follow); with a
        `cap`, at most `cap + 1`."""
        if self.match is not None and where == "TRUE":
            return f"SELECT COUNT(*) FROM {TABLE} WHERE {TABLE} MATCH ?", (self.match,)
        if self.cap is not None:
            return (
                f"SELECT COUNT(*) FROM (SELECT 1 FROM tickets WHERE {self.where} AND {where} "
                f"LIMIT {self.cap + 1}) AS capped",
                self.args,
            )
        return f"SELECT COUNT(*) FROM tickets WHERE {self.where} AND {where}", self.args

    def ids_sql(self, where: str, order: str) -> tuple[str, tuple[Any, ...]]:
        """The ids of the page's tickets (a `LIMIT ?` ends it; `where`'s arguments follow)."""
        if self.match is not None and order == "id DESC":
            # Newest first: the index in id order, each match's ticket looked up by id,
            # until the page is full.
            return (
                f"SELECT tickets.id FROM {TABLE} CROSS JOIN tickets ON tickets.id = "
                f"{TABLE}.rowid WHERE {TABLE} MATCH ? AND {where} "
                f"ORDER BY {TABLE}.rowid DESC LIMIT ?",
                (self.match,),
            )
        return (
            f"SELECT id FROM tickets WHERE {self.where} AND {where} ORDER BY {order} LIMIT ?",
            self.args,
        )

    def newest_ids_sql(self, where: str) -> tuple[str, tuple[Any, ...]]:
        """The ids of the newest matches below an id, newest first: after `where`'s
        arguments come that id and a limit (a keyset page, for reading every match)."""
        if self.match is not None:
            # The bound is on the index's rowid, so each page starts where the last ended.
            return (
                f"SELECT tickets.id FROM {TABLE} CROSS JOIN tickets ON tickets.id = "
                f"{TABLE}.rowid WHERE {TABLE} MATCH ? AND {where} AND {TABLE}.rowid < ? "
                f"ORDER BY {TABLE}.rowid DESC LIMIT ?",
                (self.match,),
            )
        return (
            f"SELECT id FROM tickets WHERE {self.where} AND {where} AND id < ? "
            "ORDER BY id DESC LIMIT ?",
            self.args,
        )


#: No text to search for.
EVERYTHING = Search("TRUE", ())


def like_search(q: str) -> Search:
    """`LIKE` over the three columns (PostgreSQL's trigram indexes serve it)."""
    like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return Search(
        "(number LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\'"
        " OR location LIKE ? ESCAPE '\\')",
        (like, like, like),
    )


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


async def short_terms(conn: Connection, q: str) -> list[str]:
    """The index's terms that begin with `q` (one or two characters), case-folded."""
    await conn.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {_TERMS} USING fts5vocab(main, {TABLE}, 'row')"
    )
    folded = q.lower()
    rows = await fetchall(
        conn,
        f"SELECT term FROM {_TERMS} WHERE term >= ? AND term < ?",
        (folded, folded + "\U0010ffff"),
    )
    return [str(r[0]) for r in rows]


async def text_search(conn: Connection, q: str) -> Search:
    """The tickets whose number, description or location contains `q` (case-blind)."""
    q = q.replace("\x1f", "")
    if not q:
        return EVERYTHING
    if not isinstance(conn, aiosqlite.Connection):
        return gram_search(q)
    if not await has_index(conn):
        return like_search(q)
    if len(q) >= 3:
        match = _phrase(q)
    else:
        terms = await short_terms(conn, q)
        if not terms:
            return Search("FALSE", ())
        match = " OR ".join(_phrase(t) for t in terms)
    # The unary + keeps SQLite from looking each match up by id: the filters' index is
    # read instead, each entry checked against the matches' ids (read once).
    return Search(
        f"+tickets.id IN (SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH ?)", (match,), match
    )


async def purge_erased(conn: Connection) -> None:
    """Merge the index into one segment, so that erased text leaves it (FTS5 only marks a
    deleted row until its segments are merged). PostgreSQL: the gram index holds keys,
    never text, and finds only live rows: the erased row's new text is what it answers
    for (VACUUM removes the old row's entries; a key no row holds any more stays as an
    empty entry until a REINDEX, see docs/operations.md)."""
    if await has_index(conn):
        await conn.execute(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('optimize')")
