"""`citizen-desk db copy`: every table of one database into another, checked by row counts.

Both databases are opened (and so migrated) to the current schema first; the target
must be empty. The copy runs in one transaction on the target: it lands whole or not at
all. Rows keep their ids; a column that refers to its own table (a ticket merged into a
later one) is filled in after every row of the table is there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.store import backend
from bot.store.core import StoreBase

#: Rows read and written at a time.
BATCH = 1000


class TargetNotEmpty(Exception):
    """The target already holds data; copying into it could mix two desks."""

    def __init__(self, tables: dict[str, int]):
        self.tables = tables
        listed = ", ".join(f"{name} ({count})" for name, count in tables.items())
        super().__init__(f"the target database is not empty: {listed}")


class CountMismatch(Exception):
    """A table's row count differs after the copy (the copy was rolled back)."""


@dataclass(frozen=True)
class TableCopy:
    """One table copied: its name and row count (the same in source and target)."""

    table: str
    rows: int


async def row_counts(store: StoreBase) -> dict[str, int]:
    """Every table's number of rows, in creation order."""
    counts: dict[str, int] = {}
    for table in await backend.tables(store.conn):
        row = await backend.fetchone(store.conn, f"SELECT COUNT(*) FROM {table}")
        counts[table] = int(row[0]) if row else 0
    return counts


async def copy_database(source: Path | str, target: Path | str) -> list[TableCopy]:
    """Copy every table of `source` into the empty database `target`; the per-table counts."""
    async with StoreBase.opened(source, create=False) as src, StoreBase.opened(target) as dst:
        filled = {name: n for name, n in (await row_counts(dst)).items() if n}
        if filled:
            raise TargetNotEmpty(filled)
        async with dst.transaction():
            for table in await backend.tables(src.conn):
                await _copy_table(src, dst, table)
            before, after = await row_counts(src), await row_counts(dst)
            if before != after:
                wrong = [f"{t}: {before.get(t)} → {after.get(t)}" for t in before]
                raise CountMismatch("row counts differ: " + "; ".join(wrong))
        return [TableCopy(table, rows) for table, rows in before.items()]


async def _copy_table(src: StoreBase, dst: StoreBase, table: str) -> None:
    later = await backend.self_references(src.conn, table)
    async with src.conn.execute(f"SELECT * FROM {table} LIMIT 0") as cursor:
        columns = [d[0] for d in cursor.description]
    # A stable order, so that the batches neither skip nor repeat a row.
    order = "id" if "id" in columns else ", ".join(str(i + 1) for i in range(len(columns)))
    insert = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    )
    held = [columns.index(c) for c in later]
    refs: dict[str, list[tuple[object, object]]] = {column: [] for column in later}
    offset = 0
    while True:
        rows = await backend.fetchall(
            src.conn, f"SELECT * FROM {table} ORDER BY {order} LIMIT ? OFFSET ?", (BATCH, offset)
        )
        if not rows:
            break
        values = [[None if i in held else row[i] for i in range(len(columns))] for row in rows]
        await dst.conn.executemany(insert, values)
        for column in later:
            refs[column] += [(row[column], row["id"]) for row in rows if row[column] is not None]
        offset += len(rows)
    for column, pairs in refs.items():
        await dst.conn.executemany(f"UPDATE {table} SET {column} = ? WHERE id = ?", pairs)
    await backend.after_copy(dst.conn, table)
