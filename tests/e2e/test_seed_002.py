"""CapLiquify (seed 002) end to end: three Railway environments, Neon behind its pooler.

Each environment has its own /api/health and its own `railway logs --service ID
--environment ENV --follow` (emulated); a failure in one is seen in that one only. The
database is read through a transaction-mode PgBouncer, as Neon's pooled string is.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.pgbouncer import find_pgbouncer, pgbouncer
from tests.support.seeds import (
    db_monitor,
    followed,
    health_monitor,
    picked,
    publish_secret,
    seed_system,
    settle,
    shows_workload,
    wait_until,
    workload,
)
from tui.db.cluster import TempCluster
from tui.health.model import Verdict
from tui.logs.filters import LogFilter

H, D, X = Verdict.HEALTHY, Verdict.DEGRADED, Verdict.DOWN
SERVICE_IDS = {
    "production": "9fd67b0e-7883-4973-85a5-639d9513d343",
    "testing": "92f7cd2f-3dc7-44f4-abd9-1714003c389f",
    "development": "e985e174-ebed-4043-81f8-7b1ab2e86cd2",
}


def expected(production: Verdict, testing: Verdict, development: Verdict) -> dict[str, Verdict]:
    return {"production//api/health": production, "testing//api/health": testing,
            "development//api/health": development}


async def test_each_environment_is_judged_on_its_own(tmp_path: Path) -> None:
    async with seed_system("002", tmp_path) as (sandbox, config):
        assert [e.name for e in config.environments] == ["production", "testing", "development"]
        async with health_monitor(config) as monitor:
            await settle(monitor, expected(H, H, H), "all healthy")
            sandbox.set_mode("testing", "degraded")
            sandbox.set_mode("production", "down")
            await settle(monitor, expected(X, D, H), "production down, testing degraded")
            sandbox.set_mode("production", "healthy")
            await settle(monitor, expected(H, D, H), "production back")
            sandbox.set_mode("testing", "healthy")
            await settle(monitor, expected(H, H, H), "all healthy again")


@pytest.mark.parametrize("env_name", ["production", "testing"])
async def test_railway_logs_of_each_environment_and_its_grep_error(
    tmp_path: Path, env_name: str
) -> None:
    async with seed_system("002", tmp_path) as (sandbox, config):
        env = config.environment(env_name)
        command = env.logs[0].command
        assert command[-7:] == ("railway", "logs", "--service", SERVICE_IDS[env_name],
                                "--environment", env_name, "--follow")
        await sandbox.emit("development", "error", "auth")  # another environment's
        lines, kinds = await followed(sandbox, env)
    assert picked(lines, kinds, LogFilter(pattern="ERROR", case_sensitive=True)) == [
        "database", "error"]
    assert picked(lines, kinds, LogFilter(pattern="auth")) == ["auth"]
    assert picked(lines, kinds, LogFilter(pattern="pool")) == ["database"]


@pytest.mark.skipif(find_pgbouncer() is None, reason="pgbouncer is not installed")
async def test_the_database_pane_works_through_the_pooler(
    tmp_path: Path, pg_dsn: str, pg_cluster: TempCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with seed_system("002", tmp_path) as (_sandbox, config):
        env = config.environment("production")
        with pgbouncer(pg_cluster.port, pool_size=2) as pooler:
            publish_secret(monkeypatch, "production/database_url", pooler.dsn_for(pg_dsn))
            async with workload(pg_dsn), db_monitor(env) as snapshots:
                await wait_until(lambda: any(shows_workload(s) for s in snapshots),
                                 "the slow report and the sessions", timeout=20)
            assert not [s.message for s in snapshots if s.status == "error"]
