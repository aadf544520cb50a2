"""The Telegram load benchmark's PostgreSQL mode (benchmarks/telegram_load.py --engine
postgres) at a tiny size, so that it cannot rot: the echo bot and 1 and 2 `citizen-desk run`
replicas on one PostgreSQL, every update answered once, and its figures add up."""

from __future__ import annotations

from pathlib import Path

from benchmarks.telegram_load import (
    BURST,
    POSTGRES,
    WAL,
    WRITES,
    benchmark,
    kind_costs,
    parse_args,
    section_postgres,
    write_section,
)
from tests.postgres_server import PostgresServer

CITIZENS, QUESTIONS = 4, 2


async def test_replicas_on_postgres_answer_every_update_once(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    args = parse_args(
        [
            "--engine", "postgres", "--replicas", "1,2", "--burst-only",
            "--citizens", str(CITIZENS), "--questions", str(QUESTIONS), "--timeout", "120",
        ]
    )  # fmt: skip
    outcome = await benchmark(args, server=postgres_server)
    updates = CITIZENS * QUESTIONS
    by = {(r.bot, r.replicas): r for r in outcome.results}
    assert set(by) == {("echo", 0), ("ours", 1), ("ours", 2)}
    for (bot, replicas), r in by.items():
        assert r.scenario == BURST
        # Every update answered, each by exactly the replies predicted (the driver refuses
        # a run with a missing or an extra message in any chat).
        assert r.updates == len(r.latencies) == updates and r.errors == 0
        assert r.rate > 0 and r.percentile(99) >= r.percentile(50) > 0
        if bot == "echo":
            assert r.messages == updates and set(r.processes) == {"echo"}
            continue
        # One question log row per update, none processed twice, by the replicas running.
        assert sum(r.shares.values()) == updates
        assert set(r.shares) <= {f"replica {i}" for i in range(1, replicas + 1)}
        assert len(r.roles) == replicas
        # One replica polls and one sends, whichever won the locks.
        assert sum("polling" in role for role in r.roles.values()) == 1
        assert sum("sending" in role for role in r.roles.values()) == 1
        assert r.processes[POSTGRES] > 0 and all(v >= 0 for v in r.processes.values())
        assert {"updates", "outbox", "questions"} <= set(r.tables)
        assert r.tables["updates"][0] == r.tables["questions"][0] == updates
        assert r.tables["outbox"][0] == r.messages
        costs = kind_costs(r)
        assert costs.total > costs.postgres > 0
        # Each update is stored, then processed (at least two writing transactions in all).
        assert r.counters[WRITES] >= 2 and r.counters[WAL] > 0
    out = tmp_path / "performance.md"
    out.write_text("# Performance\n\n## Telegram load\n\nkept\n\n## Tickets\n\nkept too\n")
    body = section_postgres(
        outcome,
        args,
        {k: "x" for k in ("date", "cpu", "cores", "python", "os", "load")},
        "cmd",
        1.0,
    )
    write_section(out, body, "## Telegram load on PostgreSQL, 1–3 replicas (issue 13)")
    text = out.read_text()
    assert text.count("kept") == 2 and "| ours (2 replicas, PostgreSQL) | burst |" in text
