"""Actions against the real cluster: real outcomes, refusals verbatim, EXPLAIN safety."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from tests.support.pg import connect, dsn_for
from tui.db.actions import cancel_request, explain_request, run_action, terminate_request
from tui.db.session import DbSession


@pytest.fixture
async def session(pg_dsn: str) -> AsyncIterator[DbSession]:
    db = await DbSession.connect(pg_dsn, statement_timeout=0.5)
    try:
        yield db
    finally:
        await db.close()


async def test_cancel_of_an_idle_session_says_there_was_nothing_to_cancel(
    session: DbSession, pg_dsn: str
) -> None:
    idle = await connect(pg_dsn)
    try:
        outcome = await run_action(session, cancel_request(idle.get_server_pid()),
                                   environment="production")
        assert await idle.fetchval("SELECT 1") == 1  # still connected
    finally:
        await idle.close()
    assert not outcome.ok and "was idle: there was no running query" in outcome.outcome
    assert outcome.environment == "production" and outcome.target == session.target
    assert outcome.description.startswith(
        f"cancel backend {idle.get_server_pid()} on production ({session.target}): SELECT")


async def test_terminate_without_pg_signal_backend_is_the_servers_42501(pg_dsn: str) -> None:
    limited, other = f"lim_{uuid.uuid4().hex[:8]}", f"oth_{uuid.uuid4().hex[:8]}"
    admin = await connect(pg_dsn)
    await admin.execute(f"CREATE ROLE {limited} LOGIN; CREATE ROLE {other} LOGIN")
    try:
        victim = await connect(dsn_for(pg_dsn, user=other))
        db = await DbSession.connect(dsn_for(pg_dsn, user=limited))
        try:
            outcome = await run_action(db, terminate_request(victim.get_server_pid()))
            assert await victim.fetchval("SELECT 1") == 1
        finally:
            await db.close()
            await victim.close()
    finally:
        await admin.execute(f"DROP ROLE IF EXISTS {limited}; DROP ROLE IF EXISTS {other}")
        await admin.close()
    assert not outcome.ok
    assert outcome.server_error.startswith("must be a member of the role whose process is being")
    assert "pg_signal_backend" in outcome.server_error and "42501" in outcome.server_error
    assert outcome.outcome == f"the server refused: {outcome.server_error}"


async def test_explain_analyze_of_a_write_is_rolled_back(session: DbSession,
                                                         pg_dsn: str) -> None:
    admin = await connect(pg_dsn)
    try:
        await admin.execute("CREATE TABLE t (id int PRIMARY KEY, v int);"
                            "INSERT INTO t VALUES (1, 1)")
        request = explain_request("UPDATE t SET v = $1 WHERE id = $2",
                                  server_version_num=session.server_version_num,
                                  params=["99", "1"], analyze=True)
        assert request.rolled_back
        outcome = await run_action(session, request)
        assert outcome.ok and any("actual time" in line for line in outcome.plan)
        assert await admin.fetchval("SELECT v FROM t WHERE id = 1") == 1
        plain = await run_action(session, explain_request(
            "DELETE FROM t", server_version_num=session.server_version_num))
        assert plain.ok and plain.outcome == "plan read" and "Delete on t" in plain.plan[0]
        assert await admin.fetchval("SELECT count(*) FROM t") == 1
    finally:
        await admin.close()


async def test_explain_analyze_of_a_select_is_read_only_and_timed_out(
    session: DbSession, pg_dsn: str
) -> None:
    admin = await connect(pg_dsn)
    try:
        await admin.execute("CREATE SEQUENCE s")
    finally:
        await admin.close()
    version = session.server_version_num
    writes = await run_action(session, explain_request(
        "SELECT nextval('s')", server_version_num=version, analyze=True))
    assert not writes.ok and "read-only transaction" in writes.server_error
    slow = await run_action(session, explain_request(
        "SELECT pg_sleep(5)", server_version_num=version, analyze=True))
    assert not slow.ok and "statement timeout" in slow.outcome
    assert (await session.fetch("SELECT 1 AS one"))[0]["one"] == 1
