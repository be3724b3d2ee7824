"""Sentia Manufacturing Dashboard (seed 001) end to end: staging and production.

Production degrades and goes down while staging stays healthy (the runbook deploys to
staging first and smoke-tests it), judged with the runbook's own "Key Metrics" (response
time alert at 3000 ms, error rate 1 %/5 %). `railway logs --environment production
--follow` is emulated; the runbook's `grep ERROR` and `--filter "unauthorized\\|failed"`
pick the right lines.
"""

from __future__ import annotations

from pathlib import Path

import pytest

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
from tui.health.model import Verdict
from tui.logs.filters import LogFilter

H, D, X = Verdict.HEALTHY, Verdict.DEGRADED, Verdict.DOWN


def expected(production: Verdict, metrics: Verdict, staging: Verdict = H) -> dict[str, Verdict]:
    return {"production/health": production, "production/metrics": metrics,
            "staging/health": staging}


async def test_production_fails_and_recovers_while_staging_stays_healthy(
    tmp_path: Path,
) -> None:
    async with seed_system("001", tmp_path) as (sandbox, config):
        assert config.environment("production").thresholds.latency_critical_ms == 3000
        async with health_monitor(config) as monitor:
            await settle(monitor, expected(H, H), "all healthy")
            sandbox.set_mode("production", "degraded")
            await settle(monitor, expected(D, D), "production degraded")
            sandbox.set_mode("production", "down")
            await settle(monitor, expected(X, X), "production down")
            sandbox.set_mode("staging", "down")
            await settle(monitor, expected(X, X, X), "staging down too")
            sandbox.set_mode("production", "healthy")
            sandbox.set_mode("staging", "healthy")
            await settle(monitor, expected(H, H), "both back")
            staging = monitor.states["staging/health"]
            assert [c.verdict for c in staging.changes] == [H, X, H]


async def test_railway_logs_are_followed_and_grep_error_picks_the_error_lines(
    tmp_path: Path,
) -> None:
    async with seed_system("001", tmp_path) as (sandbox, config):
        env = config.environment("production")
        assert env.logs[0].command[-5:] == ("railway", "logs", "--environment", "production",
                                            "--follow")
        lines, kinds = await followed(sandbox, env)
    grep_error = LogFilter(pattern="ERROR", case_sensitive=True)
    assert picked(lines, kinds, grep_error) == ["database", "error"]
    security = LogFilter(pattern="unauthorized|failed|blocked")
    assert picked(lines, kinds, security) == ["auth", "database"]
    assert picked(lines, kinds, LogFilter.preset("slow")) == ["slow"]


async def test_the_database_pane_shows_the_workload(
    tmp_path: Path, pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with seed_system("001", tmp_path) as (_sandbox, config):
        env = config.environment("production")
        assert config.environment("staging").database_secret is None
        publish_secret(monkeypatch, "production/database_url", pg_dsn)
        async with workload(pg_dsn), db_monitor(env) as snapshots:
            await wait_until(lambda: any(shows_workload(s) for s in snapshots),
                             "the slow report and the sessions", timeout=20)
