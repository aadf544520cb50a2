"""The backend seam: everything that depends on the database engine lives here.

The store modules write SQL and call only these functions (and `transaction`, `migrate`
in `bot.store.core` / `bot.store.migrations`); opening a connection, its settings, running
a query, the schema version and splitting a migration script are done here, once.

Two engines: SQLite (a file path or `sqlite:///path`, the default) and PostgreSQL
(`postgresql://…`, `bot.store.postgres` translates the SQL).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import aiosqlite

if TYPE_CHECKING:
    from bot.store.postgres import PgConnection

    #: A connection, as the store modules see it: aiosqlite's, or one with its interface.
    Connection: TypeAlias = aiosqlite.Connection | PgConnection
else:
    # psycopg is an optional extra (`citizen-desk[postgres]`): imported only for a URL.
    Connection = aiosqlite.Connection

_PG_SCHEMES = ("postgresql://", "postgres://")
#: The advisory lock that one migrating replica holds (PostgreSQL).
MIGRATION_LOCK = 0x43445F4D494752  # "CD_MIGR"
#: The `--db` option's help, the same on every command.
DB_HELP = "SQLite file or postgresql:// URL (CITIZEN_DESK_DB)"


def is_postgres(target: Path | str) -> bool:
    """Whether a database location names PostgreSQL (a `postgresql://` URL)."""
    return isinstance(target, str) and target.startswith(_PG_SCHEMES)


def location(text: str) -> Path | str:
    """A database location as given (`--db`, `CITIZEN_DESK_DB`): a `postgresql://` URL kept
    as text (a `Path` would fold its `//`), anything else an SQLite file."""
    text = str(text)
    return text if is_postgres(text) else sqlite_path(text).expanduser()


def exists(target: Path | str) -> bool:
    """Whether the database is there: an SQLite file exists (a URL is checked by connecting)."""
    return is_postgres(target) or sqlite_path(target).is_file()


def sqlite_path(target: Path | str) -> Path:
    """The file of an SQLite location: a path, or a `sqlite:///path` URL."""
    text = str(target)
    return Path(text[len("sqlite://") :]) if text.startswith("sqlite://") else Path(target)


def describe(target: Path | str) -> str:
    """A database location fit for a log or a message (a URL's password hidden)."""
    if not is_postgres(target):
        return str(sqlite_path(target))
    text = str(target)
    scheme, _, rest = text.partition("://")
    credentials, at, host = rest.rpartition("@")
    if at and ":" in credentials:
        credentials = credentials.split(":", 1)[0] + ":***"
    return f"{scheme}://{credentials}{at}{host}"


async def connect(target: Path | str, inline: bool = False) -> Connection:
    """Open the database at `target` in autocommit mode, with the project's settings.

    `inline` (SQLite only; PostgreSQL ignores it): short statements run on the event
    loop's thread (`bot.store.inline`), for a connection of many small statements.
    """
    if is_postgres(target):
        try:
            from bot.store import postgres
        except ImportError as exc:
            raise RuntimeError(
                "PostgreSQL needs psycopg: pip install 'citizen-desk[postgres]'"
            ) from exc
        return await postgres.connect(str(target))
    if inline:
        from bot.store.inline import connect as connect_inline

        return await connect_inline(sqlite_path(target))
    conn = await aiosqlite.connect(sqlite_path(target), isolation_level=None)
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA foreign_keys=ON")
    await conn.execute("PRAGMA busy_timeout=5000")
    await conn.execute("PRAGMA synchronous=NORMAL")
    return conn


async def backup(conn: Connection, target: Path) -> None:
    """Copy an SQLite database to `target` with SQLite's online backup API."""
    if not isinstance(conn, aiosqlite.Connection):
        raise ValueError("back up PostgreSQL with pg_dump (docs/operations.md)")
    dest = await aiosqlite.connect(target)
    try:
        await conn.backup(dest)
    finally:
        await dest.close()


async def fetchone(conn: Connection, sql: str, args: Iterable[Any] = ()) -> Any | None:
    """The first row of a query, in one call to the database thread (a cursor takes three)."""
    rows = await conn.execute_fetchall(sql, args)
    return next(iter(rows), None)


async def fetchall(conn: Connection, sql: str, args: Iterable[Any] = ()) -> list[Any]:
    """Every row of a query, in one call to the database thread."""
    return list(await conn.execute_fetchall(sql, args))


def statements(script: str) -> list[str]:
    """The statements of a migration script."""
    return [s.strip() for s in script.split(";") if s.strip()]


# -- the schema version -------------------------------------------------------------------


async def schema_version(conn: Connection) -> int:
    """The number of the last migration applied (SQLite: `user_version`; PostgreSQL: a
    `schema_version` table, created here with the SQLite-compatible functions)."""
    if not isinstance(conn, aiosqlite.Connection):
        # Under the migration lock: two replicas creating the table at once would both
        # insert its row type (a unique violation in pg_type despite IF NOT EXISTS).
        await conn.execute("BEGIN IMMEDIATE")
        try:
            await conn.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL, "
                "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            await conn.execute("COMMIT")
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        row = await fetchone(conn, "SELECT MAX(version) FROM schema_version")
    else:
        row = await fetchone(conn, "PRAGMA user_version")
    return int(row[0]) if row and row[0] is not None else 0


async def apply_migration(conn: Connection, number: int, script: str | list[str]) -> None:
    """Run one migration script (or its statements, whole) and record its number, in one
    transaction."""
    pg = not isinstance(conn, aiosqlite.Connection)
    if pg:
        from bot.store.postgres import COMPAT_FUNCTIONS, ddl
    await conn.execute("BEGIN IMMEDIATE")
    try:
        if pg:
            # Replicas starting at once: one applies the migration, the others wait for it
            # and then find it applied (SQLite's BEGIN IMMEDIATE already serialises).
            await conn.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
            row = await fetchone(conn, "SELECT MAX(version) FROM schema_version")
            if row is not None and row[0] is not None and int(row[0]) >= number:
                await conn.execute("COMMIT")
                return
        if pg and number == 1:
            for function in COMPAT_FUNCTIONS:
                await conn.execute(function)
        for statement in statements(script) if isinstance(script, str) else script:
            await conn.execute(ddl(statement) if pg else statement)
        if pg:
            await conn.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
        else:
            await conn.execute(f"PRAGMA user_version={number}")
        await conn.execute("COMMIT")
    except BaseException:
        await conn.execute("ROLLBACK")
        raise


# -- the tables, for `citizen-desk db copy` ---------------------------------------------


async def tables(conn: Connection) -> list[str]:
    """The project's tables in the order they were created (a parent before its children),
    without the engine's own ones and the schema version."""
    if isinstance(conn, aiosqlite.Connection):
        rows = await fetchall(
            conn,
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid",
        )
        # A virtual table (the search index) and its shadow tables are made from the
        # tables they index, by triggers in the target: not copied.
        virtual = [str(r[0]) for r in rows if str(r[1]).upper().startswith("CREATE VIRTUAL")]
        return [
            str(r[0])
            for r in rows
            if not any(str(r[0]) == v or str(r[0]).startswith(v + "_") for v in virtual)
        ]
    sql = (
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'r' AND n.nspname = current_schema() "
        "AND c.relname <> 'schema_version' ORDER BY c.oid"
    )
    return [str(r[0]) for r in await fetchall(conn, sql)]


async def self_references(conn: Connection, table: str) -> list[str]:
    """The columns of `table` that refer to `table` itself (a ticket merged into another)."""
    if isinstance(conn, aiosqlite.Connection):
        rows = await fetchall(conn, f"PRAGMA foreign_key_list({table})")
        return [str(r["from"]) for r in rows if r["table"] == table]
    rows = await fetchall(
        conn,
        "SELECT a.attname FROM pg_constraint k JOIN pg_attribute a "
        "ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey) "
        "WHERE k.contype = 'f' AND k.conrelid = k.confrelid AND k.conrelid = ?::regclass",
        (table,),
    )
    return [str(r[0]) for r in rows]


async def after_copy(conn: Connection, table: str) -> None:
    """After rows were copied with their ids: PostgreSQL's identity goes on past them
    (SQLite's rowid needs nothing)."""
    if isinstance(conn, aiosqlite.Connection):
        return
    identities = await fetchall(
        conn,
        "SELECT column_name, pg_get_serial_sequence(?, column_name) "
        "FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = ? AND is_identity = 'YES'",
        (table, table),
    )
    for column, sequence in identities:
        await conn.execute(
            f"SELECT setval(?, COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)",
            (sequence,),
        )
