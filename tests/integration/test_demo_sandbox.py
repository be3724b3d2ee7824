"""The demo sandbox as real processes: HTTP service, log file, PostgreSQL workload, cleanup."""

from __future__ import annotations

import json
import os
import re
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.support.demo import (
    is_alive,
    live_group_members,
    processes_mentioning,
    wait_until,
    wait_until_async,
)
from tui.db.cluster import find_pg_bin
from tui.demo.contract import HEALTH_PATHS, NO_DB_REASON
from tui.demo.launcher import SECRET_ENV, SECRET_NAME, Sandbox, start_sandbox
from tui.demo.sandbox import SandboxServices
from tui.demo.scenario import DATABASE_DOWN, SLOW, phase_start
from tui.errors import OnDutyError

needs_pg = pytest.mark.skipif(find_pg_bin() is None, reason="no PostgreSQL server binaries")


def _start(monkeypatch: pytest.MonkeyPatch, offset: float, *, with_db: bool) -> Sandbox:
    """A sandbox whose production scenario is frozen ``offset`` seconds into the cycle."""
    monkeypatch.setenv("ONDUTY_DEMO_SCENARIO_OFFSET", str(offset))
    monkeypatch.setenv("ONDUTY_DEMO_SPEED", "0")
    return start_sandbox(timeout=45, with_db=with_db)


def _assert_gone(sandbox: Sandbox) -> None:
    """Nothing the sandbox started is alive, and its run dir is gone."""
    assert sandbox.process.poll() is not None
    assert live_group_members(sandbox.pid) == []
    assert processes_mentioning(str(sandbox.run_dir)) == []
    if sandbox.db_pid is not None:
        assert not is_alive(sandbox.db_pid)


@pytest.fixture(scope="module")
def down() -> Iterator[Sandbox]:
    """One sandbox with a database, production frozen with its database down."""
    with pytest.MonkeyPatch.context() as patch:
        sandbox = _start(patch, phase_start(DATABASE_DOWN) + 5, with_db=find_pg_bin() is not None)
    try:
        yield sandbox
    finally:
        sandbox.stop()


def _get(url: str) -> tuple[int, dict[str, object], float]:
    started = time.monotonic()
    response = httpx.get(url, timeout=10)
    return response.status_code, response.json(), time.monotonic() - started


def test_staging_serves_every_endpoint_healthy(down: Sandbox) -> None:
    bodies = {}
    for path in HEALTH_PATHS:
        status, body, _ = _get(down.staging_url + path)
        assert status == 200, path
        bodies[path] = body
    assert bodies["/health"]["status"] == "ok"
    assert bodies["/health"]["environment"] == "staging"
    assert bodies["/api/health/quick"]["healthy"] is True
    assert bodies["/api/health/quick"]["status"] == "healthy"
    assert bodies["/api/health/live"]["alive"] is True
    assert bodies["/api/health/ready"]["ready"] is True
    checks = bodies["/api/health/detailed"]["checks"]
    assert set(checks) == {"database", "schema", "system", "memory"}
    assert checks["database"]["status"] == "up"
    assert 0 < checks["memory"]["heapPercent"] < 75
    metrics = bodies["/api/health/metrics"]
    assert metrics["responseTime"]["p95"] < 2000
    assert metrics["errors"]["percentage"] < 1
    assert metrics["requests"]["total"] > 0
    assert bodies["/db/ping"] == {**bodies["/db/ping"], "status": "ok", "database": "connected"}
    assert httpx.get(down.staging_url + "/no/such/path", timeout=5).status_code == 404


def test_production_answers_503_while_its_database_is_down(down: Sandbox) -> None:
    status, ready, _ = _get(down.base_url + "/api/health/ready")
    assert status == 503 and ready["ready"] is False
    assert ready["checks"] == {"database": "down"}
    status, ping, _ = _get(down.base_url + "/db/ping")
    assert status == 503 and ping["database"] == "disconnected"
    status, detailed, _ = _get(down.base_url + "/api/health/detailed")
    assert status == 503 and detailed["checks"]["database"]["status"] == "down"
    status, quick, _ = _get(down.base_url + "/api/health/quick")
    assert status == 503 and quick["healthy"] is False
    status, live, _ = _get(down.base_url + "/api/health/live")
    assert status == 200 and live["alive"] is True
    status, metrics, _ = _get(down.base_url + "/api/health/metrics")
    assert status == 200 and metrics["errors"]["percentage"] > 5


def test_config_points_the_console_at_the_sandbox(down: Sandbox) -> None:
    config = down.config()
    assert [env.name for env in config.environments] == ["production", "staging"]
    production, staging = config.environments
    assert {h.url for h in production.health} == {down.base_url + p for p in HEALTH_PATHS}
    assert {h.url for h in staging.health} == {down.staging_url + p for p in HEALTH_PATHS}
    assert all(h.interval <= 5 for h in production.health + staging.health)
    assert production.logs[0].file == down.log_file
    assert production.database_secret == SECRET_NAME
    assert config.incident_store.parent == down.run_dir


def test_log_file_grows_with_errors_auth_failures_and_slow_requests(down: Sandbox) -> None:
    log = Path(down.log_file)
    first = log.stat().st_size
    wait_until(lambda: log.stat().st_size > first, 5, "the log file to grow")
    text = log.read_text(encoding="utf-8")
    assert "ERROR Database connection failed" in text
    assert re.search(r"\b401\b", text)
    assert re.search(r"response_time=\d{4}|\"responseTime\":\d{4}", text)
    assert any(json.loads(line)["level"] == 50 for line in text.splitlines()
               if line.startswith("{"))


@needs_pg
async def test_workload_shows_in_activity_and_statements(down: Sandbox) -> None:
    assert down.dsn is not None and down.db_error is None
    assert os.environ[SECRET_ENV] == down.dsn
    conn = await asyncpg.connect(down.dsn, ssl=False, timeout=10)
    try:
        async def activity_shows_both() -> bool:
            rows = await conn.fetch("SELECT state, wait_event_type FROM pg_stat_activity")
            states = {row["state"] for row in rows}
            waits = {row["wait_event_type"] for row in rows}
            return "idle in transaction" in states and "Lock" in waits

        await wait_until_async(activity_shows_both, 15, "an idle transaction and a lock wait")

        wanted = ("pg_sleep", "FROM users WHERE id", "(SELECT sum(oi.quantity", "FOR UPDATE",
                  "UPDATE orders SET status")

        async def statements_show_the_workload() -> bool:
            rows = await conn.fetch("SELECT query FROM pg_stat_statements")
            return all(any(w in row["query"] for row in rows) for w in wanted)

        await wait_until_async(statements_show_the_workload, 20, f"all of {wanted} in statements")
        slowest = await conn.fetchval(
            "SELECT max(mean_exec_time) FROM pg_stat_statements WHERE query LIKE '%pg_sleep%'")
        assert slowest > 400
        counts = await conn.fetchval(
            "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM order_items)")
        assert counts > 5000
    finally:
        await conn.close(timeout=5)


def test_slow_phase_really_takes_over_a_second_and_stop_cleans_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sandbox = _start(monkeypatch, phase_start(SLOW) + 10, with_db=False)
    try:
        assert sandbox.dsn is None and sandbox.db_error == NO_DB_REASON
        status, quick, elapsed = _get(sandbox.base_url + "/api/health/quick")
        assert status == 200 and quick["status"] == "degraded"
        assert elapsed > 1.0
        _, metrics, _ = _get(sandbox.base_url + "/api/health/metrics")
        assert metrics["responseTime"]["p95"] > 2000
        _, _, staging_elapsed = _get(sandbox.staging_url + "/api/health/quick")
        assert staging_elapsed < 1.0
        assert live_group_members(sandbox.pid) == [sandbox.pid]
    finally:
        sandbox.stop()
    _assert_gone(sandbox)
    assert not sandbox.run_dir.exists()
    sandbox.stop()


@needs_pg
@pytest.mark.parametrize("how", ["stdin-eof", "sighup"])
def test_sandbox_cleans_up_by_itself(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    sandbox = _start(monkeypatch, 0, with_db=True)
    try:
        assert sandbox.db_pid is not None and is_alive(sandbox.db_pid)
        assert os.environ[SECRET_ENV] == sandbox.dsn
        if how == "stdin-eof":
            assert sandbox.process.stdin is not None
            sandbox.process.stdin.close()
        else:
            os.kill(sandbox.pid, signal.SIGHUP)
        assert sandbox.process.wait(timeout=20) == 0
        _assert_gone(sandbox)
        assert not sandbox.run_dir.exists()
    finally:
        sandbox.stop()
    assert SECRET_ENV not in os.environ


@needs_pg
def test_stop_after_a_crash_kills_the_leftover_database(monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox = _start(monkeypatch, 0, with_db=True)
    try:
        os.kill(sandbox.pid, signal.SIGKILL)
        sandbox.process.wait(timeout=10)
        assert sandbox.db_pid is not None and is_alive(sandbox.db_pid)
    finally:
        sandbox.stop()
    wait_until(lambda: not is_alive(sandbox.db_pid), 10, "the orphaned postmaster to die")
    _assert_gone(sandbox)
    assert not sandbox.run_dir.exists()


def test_a_sandbox_that_cannot_start_reports_why(monkeypatch: pytest.MonkeyPatch) -> None:
    before = set(Path(tempfile.gettempdir()).glob("onduty-demo-*"))
    monkeypatch.setenv("ONDUTY_DEMO_SPEED", "fast")
    with pytest.raises(OnDutyError, match="ONDUTY_DEMO_SPEED"):
        start_sandbox(timeout=30, with_db=False)
    assert set(Path(tempfile.gettempdir()).glob("onduty-demo-*")) <= before


async def test_without_postgresql_binaries_ready_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tui.db.cluster.find_pg_bin", lambda: None)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    services = SandboxServices(run_dir)
    try:
        ready = await services.start()
        assert json.loads((run_dir / "ready.json").read_text()) == ready
        assert ready["dsn"] is None and ready["db_pid"] is None
        assert "PostgreSQL" in ready["db_error"] and "install" in ready["db_error"]
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.get(ready["base_url"] + "/api/health/live")
        assert response.status_code == 200
    finally:
        await services.close()
    assert not run_dir.exists()
