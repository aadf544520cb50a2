"""The PostgreSQL backend: connecting by URL, the migrations, and the dialect translation."""

from __future__ import annotations

from pathlib import Path

from bot.store import MIGRATIONS, Store, TicketStore, backend
from bot.store.postgres import PgConnection, translate


def test_parameters_become_psycopg_placeholders() -> None:
    assert translate("SELECT ? , '?', 5 % 2 WHERE a = ?", (1, 2)) == (
        "SELECT %s , '?', 5 %% 2 WHERE a = %s",
        [1, 2],
    )
    assert translate("substr(x, 1, length(?1)) = ?1 AND y = ?2", ("2026", "z")) == (
        "substr(x, 1, length(%s)) = %s AND y = %s",
        ["2026", "2026", "z"],
    )


def test_a_location_names_its_engine() -> None:
    assert backend.is_postgres("postgresql://u:secret@db/desk")
    assert not backend.is_postgres(Path("postgresql.sqlite3"))
    assert backend.sqlite_path("sqlite:///var/lib/desk.sqlite3") == Path("/var/lib/desk.sqlite3")
    assert backend.describe("postgresql://u:secret@db/desk") == "postgresql://u:***@db/desk"


async def test_migrations_run_on_postgres_and_again_do_nothing(postgres_url: str) -> None:
    async with Store.opened(postgres_url) as store:
        assert isinstance(store.conn, PgConnection)
        assert await store.migrate() == len(MIGRATIONS)
        rows = await backend.fetchall(
            store.conn, "SELECT version FROM schema_version ORDER BY version"
        )
        assert [r[0] for r in rows] == list(range(1, len(MIGRATIONS) + 1))
        # A Telegram chat id does not fit 32 bits; the schema's integers are 64-bit.
        big = -1001234567890
        outbox_id = await store.enqueue(big, "send", {"text": "你好"}, owner="tg:1")
        row = await backend.fetchone(
            store.conn, "SELECT chat_id FROM outbox WHERE id = ?", (outbox_id,)
        )
        assert row is not None and row["chat_id"] == big
    async with Store.opened(postgres_url) as store:  # a restart: nothing to apply
        assert await store.migrate() == len(MIGRATIONS)
        assert (await store.due_outbox())[0].chat_id == big


async def test_a_transaction_rolls_back_on_postgres(db_target: Path | str) -> None:
    async with Store.opened(db_target) as store:
        tickets = TicketStore(store)
        try:
            async with store.transaction():
                await tickets.next_number(2026)
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        assert await tickets.next_number(2026) == "TS-2026-000001"
        assert await store.save_updates([(1, "{}"), (2, "{}")]) == 2
        assert await store.save_updates([(2, "{}"), (3, "{}")]) == 1
        assert [u for u, _ in await store.pending_updates()] == [1, 2, 3]


def test_like_ignores_case_as_on_sqlite() -> None:
    assert translate("number LIKE ? ESCAPE '\\' AND x = 'LIKE ?'", ("%ts%",)) == (
        "number ILIKE %s ESCAPE '\\' AND x = 'LIKE ?'",
        ["%ts%"],
    )
