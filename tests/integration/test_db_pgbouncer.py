"""Behind a real PgBouncer 1.18 in transaction mode (pool_size=2, strict startup parameters):
no prepared-statement failures, timeouts by SET LOCAL, cancel/terminate re-checked."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import asyncpg
import pytest

from tests.support.pg import connect, wait_for
from tests.support.pgbouncer import PgBouncer, find_pgbouncer, pgbouncer
from tui.db.actions import cancel_request, run_action, terminate_request
from tui.db.activity import read_activity
from tui.db.cluster import TempCluster
from tui.db.health import read_health
from tui.db.monitor import DbMonitor, DbSnapshot
from tui.db.privileges import read_privileges
from tui.db.session import DbError, DbErrorKind, DbSession
from tui.db.statements import SortKey, StatementsReader, StatementsState

pytestmark = pytest.mark.skipif(find_pgbouncer() is None,
                                reason="pgbouncer is not installed (apt-get install pgbouncer)")


@pytest.fixture(scope="module")
def bouncer(pg_cluster: TempCluster) -> Iterator[PgBouncer]:
    """Transaction mode, two server connections, ignore_startup_parameters left empty."""
    with pgbouncer(pg_cluster.port, pool_size=2) as running:
        yield running


async def _naive_errors(dsn: str) -> list[str]:
    """What plain asyncpg (named prepared statements) gets through the same pooler."""
    conns = [await asyncpg.connect(dsn, timeout=5) for _ in range(3)]
    errors: list[str] = []

    async def work(conn: asyncpg.Connection) -> None:
        for i in range(10):
            try:
                await conn.fetchval(f"SELECT $1::int + {i % 5}", i, timeout=5)
            except asyncpg.PostgresError as exc:
                errors.append(str(exc))

    try:
        await asyncio.gather(*(work(c) for c in conns))
    finally:
        for conn in conns:
            await conn.close()
    return errors


async def test_200_mixed_queries_through_transaction_pooling_never_fail(
    bouncer: PgBouncer, pg_dsn: str
) -> None:
    dsn = bouncer.dsn_for(pg_dsn)
    # The control: the pooler really does break named prepared statements.
    naive = await _naive_errors(dsn)
    assert any("prepared statement" in e for e in naive)
    sessions = [await DbSession.connect(dsn) for _ in range(3)]
    failures: list[str] = []
    done = 0

    async def mixed(session: DbSession, worker: int) -> None:
        nonlocal done
        reader = StatementsReader(limit=10)
        for i in range(17):
            steps = (
                reader.read(session, list(SortKey)[i % len(SortKey)]),
                reader.read_counters(session),
                read_activity(session),
                session.fetch("SELECT $1::int * $2::int AS product", i, worker),
            )
            for step in steps:
                try:
                    result = await step
                except DbError as exc:
                    failures.append(str(exc))
                    continue
                status = result[1] if isinstance(result, tuple) else None
                if status is not None and status.state is not StatementsState.OK:
                    failures.append(status.message)
                done += 1
        await read_health(session)
        await read_privileges(session)
        done += 2

    try:
        await asyncio.gather(*(mixed(s, n) for n, s in enumerate(sessions)))
    finally:
        for session in sessions:
            await session.close()
    assert done >= 200
    assert failures == []
    assert "prepared statement" not in bouncer.log()


async def test_strict_pooler_rejects_startup_parameters_but_onduty_connects(
    bouncer: PgBouncer, pg_dsn: str
) -> None:
    dsn = bouncer.dsn_for(pg_dsn)
    with pytest.raises(asyncpg.PostgresError, match="unsupported startup parameter"):
        await asyncpg.connect(dsn, server_settings={"statement_timeout": "5000"}, timeout=5)
    session = await DbSession.connect(dsn, statement_timeout=0.3)
    try:
        rows = await session.fetch(
            "SELECT current_setting('statement_timeout') AS st,"
            " current_setting('transaction_read_only') AS ro,"
            " current_setting('application_name') AS app")
        assert (rows[0]["st"], rows[0]["ro"], rows[0]["app"]) == ("300ms", "on", "onduty")
        with pytest.raises(DbError) as caught:
            await session.fetch("SELECT pg_sleep(3)")
        assert caught.value.kind is DbErrorKind.TIMEOUT
        assert (await session.fetch("SELECT 1 AS one"))[0]["one"] == 1
    finally:
        await session.close()
    snapshots: list[DbSnapshot] = []

    async def provider() -> str:
        return dsn

    monitor = DbMonitor(provider, interval=0.1, on_snapshot=snapshots.append)
    monitor.start()
    try:
        await wait_for(lambda: any(s.status == "ok" for s in snapshots), what="an ok snapshot")
    finally:
        await monitor.stop()
    ok = next(s for s in snapshots if s.status == "ok")
    assert ok.statements_status.state is StatementsState.OK and ok.activity is not None


@contextlib.asynccontextmanager
async def _victim(dsn: str, marker: str):  # type: ignore[no-untyped-def]
    conn = await asyncpg.connect(dsn, statement_cache_size=0, timeout=5)
    task = asyncio.create_task(conn.execute(f"SELECT pg_sleep(30) /* {marker} */"))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, asyncpg.PostgresError,
                                 asyncpg.InterfaceError, OSError):
            await task
        conn.terminate()


async def _server_pid(admin: asyncpg.Connection, marker: str) -> int:
    found: list[int] = []

    async def seen() -> bool:
        pid = await admin.fetchval(
            "SELECT pid FROM pg_stat_activity WHERE query LIKE $1 AND state = 'active'",
            f"%{marker}%")
        if pid is not None:
            found.append(pid)
        return bool(found)

    await wait_for(seen, what=f"the {marker} query")
    return found[0]


async def test_cancel_and_terminate_through_the_pooler_report_the_real_outcome(
    bouncer: PgBouncer, pg_dsn: str
) -> None:
    dsn = bouncer.dsn_for(pg_dsn)
    admin = await connect(pg_dsn)
    session = await DbSession.connect(dsn)
    try:
        async with _victim(dsn, "pooled-cancel") as task:
            pid = await _server_pid(admin, "pooled-cancel")
            outcome = await run_action(session, cancel_request(pid), environment="prod")
            assert outcome.ok and outcome.outcome.startswith(f"query cancelled: backend {pid}")
            with pytest.raises(asyncpg.QueryCanceledError):
                await asyncio.wait_for(task, 5)
        async with _victim(dsn, "pooled-terminate") as task:
            pid = await _server_pid(admin, "pooled-terminate")
            outcome = await run_action(session, terminate_request(pid), environment="prod")
            assert outcome.ok and "gone from pg_stat_activity" in outcome.outcome
            assert await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid) == 0
            with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, OSError)):
                await asyncio.wait_for(task, 5)
        gone = await run_action(session, cancel_request(pid), environment="prod")
        assert not gone.ok and "did not signal" in gone.outcome
    finally:
        await session.close()
        await admin.close()
