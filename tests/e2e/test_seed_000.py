"""Capacity Planner (seed 000) end to end: the example config against a sandbox shaped like it.

/health answers the runbook's "Expected response" and keeps saying ok while the database
is merely slow, so only /health/detailed turns degraded then; both go down with the
database. Logs come from `railway logs --service gateway` (emulated); the database is
Supabase's, read through the secret the config names.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.seeds import (
    changes,
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
from tui.health.model import Verdict
from tui.logs.filters import LogFilter

H, D, X = Verdict.HEALTHY, Verdict.DEGRADED, Verdict.DOWN
EXPECTED = {
    "healthy": {"production/health": H, "production/health/detailed": H},
    "degraded": {"production/health": H, "production/health/detailed": D},
    "down": {"production/health": X, "production/health/detailed": X},
}


async def test_both_health_checks_follow_the_database(tmp_path: Path) -> None:
    async with seed_system("000", tmp_path) as (sandbox, config), health_monitor(
        config
    ) as monitor:
        await settle(monitor, EXPECTED["healthy"], "all healthy")
        for mode in ("degraded", "down", "healthy"):
            sandbox.set_mode("production", mode)
            await settle(monitor, EXPECTED[mode], f"verdicts when {mode}")
        quick = monitor.states["production/health"]
        assert changes(quick) == [(H, X), (X, H)]
        assert quick.last is not None
        assert [c.name for c in quick.last.checks if c.name.startswith("body.")] == [
            'body.status == "ok"', 'body.database == "connected"']


async def test_railway_logs_are_followed_and_the_runbook_filters_pick_the_right_lines(
    tmp_path: Path,
) -> None:
    async with seed_system("000", tmp_path) as (sandbox, config):
        env = config.environment("production")
        assert env.logs[0].command[-4:] == ("railway", "logs", "--service", "gateway")
        lines, kinds = await followed(sandbox, env)
    assert {line.source for line in lines} == {"gateway"}
    assert picked(lines, kinds, LogFilter.preset("errors")) == ["database", "error"]
    assert picked(lines, kinds, LogFilter.preset("auth")) == ["auth"]
    assert picked(lines, kinds, LogFilter.preset("slow")) == ["slow"]


async def test_the_database_pane_shows_the_workload(
    tmp_path: Path, pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with seed_system("000", tmp_path) as (_sandbox, config):
        env = config.environment("production")
        assert env.database_secret == "production/database_url"
        publish_secret(monkeypatch, env.database_secret, pg_dsn)
        async with workload(pg_dsn), db_monitor(env) as snapshots:
            await wait_until(lambda: any(shows_workload(s) for s in snapshots),
                             "the slow report and the sessions", timeout=20)
