"""Server-side cost and bytes of one database refresh: onduty next to pg_activity.

One throwaway PostgreSQL (pg_stat_statements preloaded, track_planning on) holds 5,000
distinct statements and a few idle sessions. In the same run, each client refreshes N
times through a byte-counting TCP proxy, each as its own role:

- onduty, per poll: what the pane's poll runs, averaged: the activity read on every poll,
  the statements (top 50 by mean: counters without texts, texts only for new queryids)
  every STATEMENTS_EVERY polls; and the cost of one statements read on its own;
- onduty in delta mode: the counters of every statement (no texts) instead of the top;
- pg_activity: its own code (installed into bench/.peers/pg_activity by this script,
  run by that venv's Python): server information plus activities, as its main loop
  does on every refresh after the first;
- the seeds' query: ``SELECT query, calls, ... FROM pg_stat_statements ORDER BY
  mean_exec_time DESC LIMIT 20``.

Per refresh it prints the server's execution+planning time (pg_stat_statements, by role),
the backend's CPU time (/proc), temp-file bytes written, and bytes over the wire, with
ratios to pg_activity. Targets: onduty's cost no more than pg_activity's; bytes: only
the top rows and counters, never every query text.

Usage: python bench/db_refresh.py [--refreshes 50] [--statements 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tui.db.activity import read_activity  # noqa: E402
from tui.db.cluster import TempCluster  # noqa: E402
from tui.db.monitor import STATEMENTS_EVERY  # noqa: E402
from tui.db.session import DbSession  # noqa: E402
from tui.db.statements import SortKey, StatementsReader  # noqa: E402

PEERS = ROOT / "bench" / ".peers"
PGA_VENV = PEERS / "pg_activity"
PGA_PYTHON = PGA_VENV / "bin" / "python"
TABLES, COLUMNS = 100, 50
SEED_QUERY = """
SELECT query, calls, total_exec_time, mean_exec_time, rows
FROM pg_stat_statements
ORDER BY mean_exec_time DESC
LIMIT 20
"""

# Runs inside pg_activity's own venv: its Data class, as its main loop calls it.
PGA_DRIVER = textwrap.dedent("""
    import json, sys
    from pgactivity.data import Data
    port, user, refreshes = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    data = Data.pg_connect(host="127.0.0.1", port=port, user=user, database="postgres")
    info = data.pg_get_server_information(None, skip_db_size=False, skip_tempfile=True,
                                          skip_walreceiver=True)
    def refresh():
        global info
        info = data.pg_get_server_information(info, skip_db_size=True, skip_tempfile=True,
                                              skip_walreceiver=True)
        data.pg_get_activities(1)
    for _ in range(3):
        refresh()
    print("warm", data.pg_conn.info.backend_pid, flush=True)
    sys.stdin.readline()
    for _ in range(refreshes):
        refresh()
    print("done", flush=True)
    sys.stdin.readline()
""")


class ByteCounter:
    """A TCP proxy to the server that counts bytes in each direction."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.to_server = 0
        self.from_server = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    def reset(self) -> None:
        self.to_server = self.from_server = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, up: bool) -> None:
            try:
                while data := await src.read(65536):
                    if up:
                        self.to_server += len(data)
                    else:
                        self.from_server += len(data)
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer, True), pipe(up_reader, writer, False))

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()


@dataclass
class Cost:
    """Per-refresh figures of one client."""

    name: str
    server_ms: float
    cpu_ms: float
    temp_bytes: float
    bytes_down: float
    bytes_up: float


class Client:
    """One refreshing client: ``prepare`` connects and warms up, ``run`` does N refreshes."""

    name = ""
    role = ""

    async def prepare(self, dsn: str) -> int:
        """Connect and warm up; return the server backend's pid."""
        raise NotImplementedError

    async def run(self, refreshes: int) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class OndutyClient(Client):
    """What the pane's poll runs: activity every poll, statements every STATEMENTS_EVERY
    polls (``every_poll`` reads them on every poll: the cost of one statements read)."""

    def __init__(self, *, delta: bool = False, every_poll: bool = False) -> None:
        self.delta = delta
        self.every_poll = every_poll
        kind = "delta mode" if delta else "top statements"
        self.name = (f"onduty: statements read ({kind})" if every_poll
                     else f"onduty: per poll ({kind})")
        self.role = f"bench_{'delta' if delta else 'top'}_{'each' if every_poll else 'poll'}"
        self.reader = StatementsReader()
        self.session: DbSession | None = None
        self.polls = 0

    async def prepare(self, dsn: str) -> int:
        self.session = await DbSession.connect(dsn, statement_timeout=30)
        pid = int((await self.session.fetch("SELECT pg_backend_pid() AS pid"))[0]["pid"])
        for _ in range(3):
            await self.refresh(statements=True)
        return pid

    async def refresh(self, *, statements: bool) -> None:
        assert self.session is not None
        if statements and self.delta:
            counters, _ = await self.reader.read_counters(self.session)
            top = sorted(counters, key=lambda q: -counters[q].total_ms)[: self.reader.limit]
            await self.reader.texts(self.session, top)
        elif statements:
            await self.reader.read(self.session, SortKey.MEAN)
        await read_activity(self.session)

    async def run(self, refreshes: int) -> None:
        for poll in range(refreshes):
            await self.refresh(statements=self.every_poll or poll % STATEMENTS_EVERY == 0)

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()


class SeedQueryClient(Client):
    """The runbooks' own query, as an engineer would paste it."""

    name = "seeds' pg_stat_statements query"
    role = "bench_seed"

    async def prepare(self, dsn: str) -> int:
        self.conn = await asyncpg.connect(dsn, statement_cache_size=0)
        for _ in range(3):
            await self.conn.fetch(SEED_QUERY)
        return int(self.conn.get_server_pid())

    async def run(self, refreshes: int) -> None:
        for _ in range(refreshes):
            await self.conn.fetch(SEED_QUERY)

    async def close(self) -> None:
        await self.conn.close()


class PgActivityClient(Client):
    """pg_activity's own code in its own venv, driven over stdin/stdout."""

    name = "pg_activity"
    role = "bench_pga"

    async def prepare(self, dsn: str) -> int:
        self.port = dsn.rsplit(":", 1)[1].split("/")[0]
        return -1

    async def start(self, refreshes: int) -> int:
        self.proc = await asyncio.create_subprocess_exec(
            str(PGA_PYTHON), "-c", PGA_DRIVER, self.port, self.role, str(refreshes),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        line = (await asyncio.wait_for(self.proc.stdout.readline(), 60)).decode().split()
        if not line or line[0] != "warm":
            raise RuntimeError("pg_activity's driver did not start")
        return int(line[1])

    async def run(self, refreshes: int) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(b"go\n")
        await self.proc.stdin.drain()
        await asyncio.wait_for(self.proc.stdout.readline(), 600)

    async def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"end\n")
        await self.proc.stdin.drain()
        await asyncio.wait_for(self.proc.wait(), 30)


def ensure_pg_activity() -> None:
    """pg_activity (and psycopg) in bench/.peers/pg_activity, installed once."""
    if PGA_PYTHON.exists():
        return
    print("installing pg_activity into bench/.peers/pg_activity ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(PGA_VENV)], check=True)
    subprocess.run([str(PGA_PYTHON), "-m", "pip", "install", "-q", "pg_activity",
                    "psycopg[binary]"], check=True)


async def measure(cluster: TempCluster, client: Client, refreshes: int) -> Cost:
    """N refreshes of ``client`` through a byte-counting proxy, measured on the server."""
    proxy = ByteCounter(cluster.port)
    port = await proxy.start()
    admin = await asyncpg.connect(cluster.dsn)
    try:
        dsn = dsn_as(port, client.role)
        pid = await client.prepare(dsn)
        if isinstance(client, PgActivityClient):
            pid = await client.start(refreshes)
        proxy.reset()
        cpu0, server0, temp0 = cpu_ms(pid), await server_ms(admin, client.role), \
            await temp_bytes(admin)
        await client.run(refreshes)
        cpu1, server1, temp1 = cpu_ms(pid), await server_ms(admin, client.role), \
            await temp_bytes(admin)
        down, up = proxy.from_server, proxy.to_server
        await client.close()
    finally:
        await admin.close()
        await proxy.stop()
    return Cost(client.name, (server1 - server0) / refreshes, (cpu1 - cpu0) / refreshes,
                (temp1 - temp0) / refreshes, down / refreshes, up / refreshes)


def cpu_ms(pid: int) -> float:
    """User+system CPU time of a server backend, in milliseconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return 1000.0 * ticks / os.sysconf("SC_CLK_TCK")


async def server_ms(admin: asyncpg.Connection, role: str) -> float:
    """Execution plus planning time of every statement ``role`` ran (pg_stat_statements)."""
    return float(await admin.fetchval(
        "SELECT coalesce(sum(s.total_exec_time + s.total_plan_time), 0)"
        " FROM pg_stat_statements AS s JOIN pg_roles AS r ON r.oid = s.userid"
        " WHERE r.rolname = $1", role))


async def temp_bytes(admin: asyncpg.Connection) -> float:
    """Temp-file bytes written by every database (spills to disk)."""
    await admin.execute("SELECT pg_stat_force_next_flush()")
    return float(await admin.fetchval("SELECT sum(temp_bytes) FROM pg_stat_database"))


def dsn_as(port: int, role: str) -> str:
    return f"postgresql://{role}@127.0.0.1:{port}/postgres"


async def populate(cluster: TempCluster, statements: int) -> None:
    """Tables t0..t99 (columns c0..c49), ``statements`` distinct queries, idle sessions."""
    conn = await asyncpg.connect(cluster.dsn)
    try:
        columns = ", ".join(f"c{i} int" for i in range(COLUMNS))
        for t in range(TABLES):
            await conn.execute(f"CREATE TABLE t{t} ({columns})")
        await conn.execute("SELECT pg_stat_statements_reset()")
        for n in range(statements):
            t, a = n % TABLES, (n // TABLES) % COLUMNS
            picked = ", ".join(f"c{(a + k) % COLUMNS}" for k in range(6))
            limit = "" if n < TABLES * COLUMNS else f" OFFSET {n // (TABLES * COLUMNS)}"
            await conn.fetch(
                f"SELECT {picked} FROM t{t} WHERE c{a} = $1 AND c{(a + 3) % COLUMNS} > $2"
                f" AND c{(a + 5) % COLUMNS} IS NOT NULL"
                f" ORDER BY c{(a + 1) % COLUMNS} DESC, c{(a + 2) % COLUMNS} LIMIT 10{limit}",
                n, 0)
        for role in ("bench_top_poll", "bench_top_each", "bench_delta_poll",
                     "bench_delta_each", "bench_pga", "bench_seed"):
            await conn.execute(f"CREATE ROLE {role} LOGIN SUPERUSER")
        count = await conn.fetchval("SELECT count(*) FROM pg_stat_statements")
    finally:
        await conn.close()
    print(f"pg_stat_statements holds {count:,} statements", file=sys.stderr)


def report(costs: list[Cost], refreshes: int, statements: int) -> None:
    peer = next(c for c in costs if c.name == "pg_activity")

    def ratio(value: float, base: float) -> str:
        return f"{value / base:.2f}x" if base else "—"

    print(f"\nOne refresh, mean of {refreshes}, {statements:,} distinct statements "
          "(PostgreSQL, same server, same run)\n")
    head = (f"{'client':44} {'server ms':>10} {'ratio':>7} {'CPU ms':>8} {'ratio':>7} "
            f"{'temp KB':>8} {'KB down':>9} {'ratio':>7} {'KB up':>7}")
    print(head)
    print("-" * len(head))
    for c in costs:
        print(f"{c.name:44} {c.server_ms:10.2f} {ratio(c.server_ms, peer.server_ms):>7} "
              f"{c.cpu_ms:8.2f} {ratio(c.cpu_ms, peer.cpu_ms):>7} {c.temp_bytes / 1024:8.1f} "
              f"{c.bytes_down / 1024:9.1f} {ratio(c.bytes_down, peer.bytes_down):>7} "
              f"{c.bytes_up / 1024:7.1f}")
    print("\nserver ms: execution + planning time (pg_stat_statements, track_planning on);"
          "\nCPU ms: the backend process's user+system time (/proc, 10 ms ticks);"
          "\nKB down/up: bytes on the wire per refresh; ratios are to pg_activity.")
    print(json.dumps({c.name: c.__dict__ for c in costs}), file=sys.stderr)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refreshes", type=int, default=10 * STATEMENTS_EVERY)
    parser.add_argument("--statements", type=int, default=5000)
    args = parser.parse_args()
    ensure_pg_activity()
    cluster = TempCluster(settings={"pg_stat_statements.max": str(args.statements + 5000),
                                    "pg_stat_statements.track_planning": "on",
                                    "work_mem": "4MB"})
    await asyncio.to_thread(cluster.start)
    idle = []
    try:
        started = time.monotonic()
        await populate(cluster, args.statements)
        idle = [await asyncpg.connect(cluster.dsn) for _ in range(8)]
        print(f"populated in {time.monotonic() - started:.1f} s", file=sys.stderr)
        costs = []
        clients = (PgActivityClient(), OndutyClient(), OndutyClient(every_poll=True),
                   OndutyClient(delta=True), OndutyClient(delta=True, every_poll=True),
                   SeedQueryClient())
        for client in clients:
            costs.append(await measure(cluster, client, args.refreshes))
        report(costs, args.refreshes, args.statements)
    finally:
        for conn in idle:
            await conn.close()
        await asyncio.to_thread(cluster.stop)


if __name__ == "__main__":
    asyncio.run(main())
