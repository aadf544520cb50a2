"""What the benchmarks share: the machine they ran on, the run's command and load, the
CPU of processes from /proc, a free loopback port, server processes to start and wait for,
a throwaway PostgreSQL server, and the sections they rewrite in docs/performance.md."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import shlex
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiosqlite

ROOT = Path(__file__).resolve().parent.parent
PERFORMANCE = ROOT / "docs" / "performance.md"
LAST_RUN = "### Last run"


# -- the machine and the run ---------------------------------------------------------------


def proc_field(path: str, name: str) -> str:
    """The first `name: value` of a /proc file ("" if none)."""
    try:
        for line in Path(path).read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == name:
                return value.strip()
    except OSError:
        pass
    return ""


def cpu_model(unknown: str = "unknown") -> str:
    """The CPU's model name (/proc/cpuinfo), else what `platform` says, else `unknown`."""
    return proc_field("/proc/cpuinfo", "model name") or platform.processor() or unknown


def python_version() -> str:
    return f"{platform.python_implementation()} {platform.python_version()}"


def machine() -> str:
    """CPU, cores, RAM, Python, SQLite, OS, on one line."""
    ram_kib = int((proc_field("/proc/meminfo", "MemTotal") or "0").split()[0])
    return (
        f"{cpu_model('unknown CPU')}, {os.cpu_count()} logical CPUs, "
        f"{ram_kib / 1024 / 1024:.1f} GiB RAM; {python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, aiosqlite {aiosqlite.__version__}; "
        f"{platform.system()} {platform.release()}"
    )


def shell_date(*options: str) -> str:
    """What `date` prints (`shell_date("-u")`: in UTC)."""
    return subprocess.run(
        ["date", *options], capture_output=True, text=True, check=False
    ).stdout.strip()


def uptime() -> str:
    """What `uptime` prints: the load averages other processes add to a run."""
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def load_average() -> str:
    """The 1-minute load average (other processes compete for the same cores)."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "unknown"


def command_line(script: str, argv: Sequence[str] | None, python: str = "python") -> str:
    """The command that ran `script` (this process's own, or `argv` as if typed)."""
    shown = sys.argv if argv is None else [script, *argv]
    return shlex.join([python, *shown])


class Took:
    """A run's wall time and the 1-minute load average at its start and now."""

    def __init__(self) -> None:
        self.start, self.load = time.perf_counter(), os.getloadavg()[0]

    def seconds(self) -> float:
        return time.perf_counter() - self.start

    def loads(self) -> str:
        """`start / now` load averages."""
        return f"{self.load:.2f} / {os.getloadavg()[0]:.2f}"


# -- processes -----------------------------------------------------------------------------


def cpu_seconds(pid: int, reaped: bool = False) -> float:
    """CPU seconds of process `pid` so far (utime + stime; with `reaped`, also those of the
    children it has waited for), from Linux /proc. OSError once it is gone."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def children_of(pid: int) -> list[int]:
    """The living child processes of `pid` (Linux /proc)."""
    found: list[int] = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(p) for p in children.read_text().split()]
    return found


def free_port() -> int:
    """A loopback port nothing listens on (for a server started next)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_listening(
    proc: subprocess.Popen[bytes], port: int, log: Path, name: str, timeout: float
) -> None:
    """Wait until the server `proc` accepts connections on loopback `port`; RuntimeError
    (with the tail of its `log`) if it exits first or is not up within `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} died: {log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return


# -- PostgreSQL ----------------------------------------------------------------------------


def start_postgres(max_connections: int = 20) -> Any:
    """A throwaway server (tests/postgres_server.py) with PostgreSQL's default durability
    (`benchmarks/telegram_load.py --engine postgres` uses it too, with more connections)."""
    from tests.postgres_server import PostgresServer, server_bin_dir

    class DurableServer(PostgresServer):
        """The tests' server, but fsync, synchronous_commit and full-page writes left on."""

        def start(self) -> None:
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                      "--auth=trust", "--locale=C", "-E", "UTF8", "--no-sync")  # fmt: skip
            options = (
                f"-k {self.socket} -c listen_addresses='' -c max_connections={max_connections}"
            )
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                      "-o", options, "-w", "start")  # fmt: skip

    bin_dir = server_bin_dir()
    if bin_dir is None:
        raise SystemExit("no PostgreSQL server binaries (initdb, pg_ctl)")
    server = DurableServer(bin_dir)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server


def utf8_database(server: Any, name: str) -> str:
    """A new database with a UTF-8 `LC_CTYPE` (pg_trgm needs it for Chinese); its URL."""
    import psycopg

    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'")
    return str(server.url(name))


# -- docs/performance.md -------------------------------------------------------------------


def part_end(lines: Sequence[str], start: int, stops: tuple[str, ...] = ("## ",)) -> int:
    """Where the part that starts at line `start` ends: the next line that starts with one
    of `stops` (a heading of its level or above), else the end."""
    return next((i for i in range(start + 1, len(lines)) if lines[i].startswith(stops)), len(lines))


def write_section(path: Path, body: str, name: str, before: str = "## Tickets") -> None:
    """Replace the body of section `name` in `path` (adding it above `before`, else at the
    end), leaving every other line alone."""
    text = path.read_text("utf-8") if path.exists() else "# Performance\n"
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == name)
    except StopIteration:
        found = [i for i, line in enumerate(lines) if line.strip() == before]
        at = found[0] if found else len(lines)
        lines[at:at] = [name, ""]
        start = at
    end = part_end(lines, start)
    new = [*lines[: start + 1], "", *body.splitlines(), ""]
    if end < len(lines):
        new += lines[end:]
    path.write_text("\n".join(new).rstrip("\n") + "\n", "utf-8")


def write_last_run(path: Path, section: str, body: Sequence[str]) -> None:
    """Replace `### Last run` inside `section` of `path` (creating them at the end)."""
    lines = path.read_text("utf-8").splitlines()
    if section not in lines:
        lines += ["", section, ""]
    start = lines.index(section)
    end = part_end(lines, start)
    part = lines[start:end]
    if LAST_RUN in part:
        at = start + part.index(LAST_RUN)
        stop = min(part_end(lines, at, ("### ", "## ")), end)
        lines[at:stop] = [LAST_RUN, "", *body, ""]
    else:
        lines[end:end] = [LAST_RUN, "", *body, ""]
    path.write_text("\n".join(lines).rstrip("\n") + "\n", "utf-8")
