"""Fly.io + Supabase template (seed 004) end to end.

The template's only sign of a struggling app is latency, so its threshold table matters:
a 700 ms answer is healthy by onduty's defaults and degraded by the runbook's "Response
time > 500ms". `fly logs -a your-app` is emulated with fly's own line prefix, and the
runbook's three "Log Analysis" greps pick the right lines.
"""

from __future__ import annotations

import re
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
from tui.config import Thresholds
from tui.health.model import Verdict
from tui.logs.filters import LogFilter
from tui.logs.parse import Level

H, D, X = Verdict.HEALTHY, Verdict.DEGRADED, Verdict.DOWN
FLY_PREFIX = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ app\[[0-9a-f]+\] [a-z]{3} "
                        r"\[(info|warn|error)\] ")


async def test_slow_answers_are_degraded_by_the_runbooks_thresholds(tmp_path: Path) -> None:
    async with seed_system("004", tmp_path) as (sandbox, config):
        env = config.environment("production")
        assert env.thresholds.latency_warn_ms == 500 < 700 < Thresholds().latency_warn_ms
        async with health_monitor(config) as monitor:
            await settle(monitor, {"production/health": H}, "healthy")
            assert sandbox.set_mode("production", "degraded").delay_ms == 700
            await settle(monitor, {"production/health": D}, "slow means degraded")
            sandbox.set_mode("production", "down")
            await settle(monitor, {"production/health": X}, "down")
            sandbox.set_mode("production", "healthy")
            await settle(monitor, {"production/health": H}, "recovered")
            last = monitor.states["production/health"].last
            assert last is not None and last.latency_ms is not None and last.latency_ms < 500


async def test_fly_logs_are_followed_and_the_log_analysis_greps_pick_the_right_lines(
    tmp_path: Path,
) -> None:
    async with seed_system("004", tmp_path) as (sandbox, config):
        env = config.environment("production")
        assert env.logs[0].command[-4:] == ("fly", "logs", "-a", "your-app")
        lines, kinds = await followed(sandbox, env)
    assert all(FLY_PREFIX.match(line.text) for line in lines)
    levels = {kinds[line.text.rsplit(" ", 1)[-1]]: line.level for line in lines}
    assert levels["error"] == levels["database"] == Level.ERROR
    assert levels["auth"] == Level.WARN
    assert picked(lines, kinds, LogFilter.preset("errors")) == ["database", "error"]
    assert picked(lines, kinds, LogFilter.preset("auth")) == ["auth"]
    assert picked(lines, kinds, LogFilter.preset("database")) == ["database"]


async def test_the_database_pane_shows_the_workload(
    tmp_path: Path, pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with seed_system("004", tmp_path) as (_sandbox, config):
        env = config.environment("production")
        publish_secret(monkeypatch, "production/database_url", pg_dsn)
        async with workload(pg_dsn), db_monitor(env) as snapshots:
            await wait_until(lambda: any(shows_workload(s) for s in snapshots),
                             "the slow report and the sessions", timeout=20)
