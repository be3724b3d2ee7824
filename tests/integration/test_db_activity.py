"""The activity summary against the real cluster: idle transactions, lock waits, odd text."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.support.pg import connect, scratch_database, wait_for
from tui.db.activity import ActivitySummary, read_activity
from tui.db.cluster import TempCluster
from tui.db.session import DbSession


@pytest.fixture
async def session(pg_dsn: str) -> AsyncIterator[DbSession]:
    db = await DbSession.connect(pg_dsn)
    try:
        yield db
    finally:
        await db.close()


async def _cancel(task: asyncio.Task[object]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, asyncpg.PostgresError):
        await task


async def test_idle_in_transaction_and_a_lock_wait_are_seen(
    pg_dsn: str, session: DbSession
) -> None:
    holder = await connect(pg_dsn)
    waiter = await connect(pg_dsn)
    try:
        await holder.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance int)")
        await holder.execute("INSERT INTO accounts VALUES (1, 100)")
        await holder.execute("BEGIN")
        await holder.execute("UPDATE accounts SET balance = 0 WHERE id = 1")
        holder_pid = holder.get_server_pid()
        waiter_pid = waiter.get_server_pid()
        blocked = asyncio.create_task(
            waiter.execute("UPDATE accounts SET balance = 1 WHERE id = 1 /* [/]\x1b[2J */")
        )
        latest: list[ActivitySummary] = []

        async def blocked_seen() -> bool:
            latest.append(await read_activity(session, long_running_after=0.0))
            return bool(latest[-1].blocking)

        await wait_for(blocked_seen, what="the blocked UPDATE")
        summary = latest[-1]
        assert [(b.blocked_pid, b.blocker_pids) for b in summary.blocking] == [
            (waiter_pid, (holder_pid,))
        ]
        idle = {s.pid: s for s in summary.idle_in_transaction}
        assert holder_pid in idle and idle[holder_pid].xact_age_s is not None
        assert summary.count("idle in transaction") >= 1
        waiting = summary.session(waiter_pid)
        assert waiting is not None and waiting.waiting.startswith("Lock/")
        assert waiter_pid in {s.pid for s in summary.long_running}
        assert "\x1b" not in waiting.query and "␛[2J" in waiting.query and "[/]" in waiting.query
        await holder.execute("ROLLBACK")
        await asyncio.wait_for(blocked, 5)
    finally:
        await holder.close()
        await waiter.close()


async def test_totals_exclude_onduty_and_know_max_connections(
    pg_dsn: str, session: DbSession
) -> None:
    own_pid = (await session.fetch("SELECT pg_backend_pid() AS pid"))[0]["pid"]
    other = await connect(pg_dsn)
    try:
        summary = await read_activity(session)
    finally:
        await other.close()
    assert summary.max_connections == 50
    assert summary.session(own_pid) is None
    assert summary.session(other.get_server_pid()) is not None
    assert summary.total == sum(n for _, n in summary.states)
    assert 0 < summary.usage_pct < 100


async def test_latin1_text_from_another_database_does_not_break_decoding(
    pg_cluster: TempCluster, session: DbSession
) -> None:
    async with scratch_database(pg_cluster.dsn, extension=None, encoding="LATIN1") as dsn:
        latin = await connect(dsn)
        try:
            sleeper = asyncio.create_task(latin.execute("SELECT pg_sleep(30) /* café */"))
            found: list[str] = []

            async def seen() -> bool:
                summary = await read_activity(session)
                backend = summary.session(latin.get_server_pid())
                if backend is not None and "pg_sleep" in backend.query:
                    found.append(backend.query)
                return bool(found)

            await wait_for(seen, what="the LATIN1 session's query")
            await _cancel(sleeper)
        finally:
            latin.terminate()
    assert "caf\\xe9" in found[0]
