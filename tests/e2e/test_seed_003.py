"""Eden ERP (seed 003) end to end: the example config against a sandbox shaped like it.

All eight endpoints of the runbook's "Key Endpoints" table, judged with its alert
thresholds as the service degrades (slow, memory over 75 %) and loses its database;
the liveness probe stays up throughout, as a liveness probe must. Logs are the Express
output in a file (Replit has no log command); the database is read through the secret
the config names.
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
PATHS = ("/api/health/quick", "/api/health/detailed", "/api/health/live", "/api/health/ready",
         "/api/health/metrics", "/db/ping", "/health", "/api/health/status")
EXPECTED = {
    "healthy": (H, H, H, H, H, H, H, H),
    # slow (avg 1.1 s, p95 2.6 s), heap 82 %, 2.5 % errors: the database still answers
    "degraded": (D, D, H, H, D, H, H, D),
    # database gone: every check that touches it fails, liveness does not
    "down": (X, X, H, X, X, X, X, X),
}


def expected(mode: str) -> dict[str, Verdict]:
    return {f"production/{path}": verdict for path, verdict in zip(PATHS, EXPECTED[mode],
                                                                      strict=True)}


async def test_every_endpoint_follows_the_system_down_and_back(tmp_path: Path) -> None:
    async with seed_system("003", tmp_path) as (sandbox, config):
        env = config.environment("production")
        assert [h.name for h in env.health] == list(PATHS)
        assert env.thresholds.failures_before_down == 3
        async with health_monitor(config) as monitor:
            await settle(monitor, expected("healthy"), "all healthy")
            for mode in ("degraded", "down", "healthy"):
                sandbox.set_mode("production", mode)
                await settle(monitor, expected(mode), f"verdicts when {mode}")
            live = monitor.states["production//api/health/live"]
            assert changes(live) == []
            ready = monitor.states["production//api/health/ready"]
            assert changes(ready) == [(H, X), (X, H)]
            metrics = monitor.states["production//api/health/metrics"].last
            assert metrics is not None and metrics.metric("p95_ms") is not None


async def test_the_log_file_is_followed_and_the_runbook_filters_pick_the_right_lines(
    tmp_path: Path,
) -> None:
    async with seed_system("003", tmp_path) as (sandbox, config):
        env = config.environment("production")
        assert [s.kind for s in env.logs] == ["file"]
        lines, kinds = await followed(sandbox, env)
    assert picked(lines, kinds, LogFilter.preset("errors")) == ["database", "error"]
    assert picked(lines, kinds, LogFilter.preset("auth")) == ["auth"]
    assert picked(lines, kinds, LogFilter.preset("slow")) == ["slow"]
    assert picked(lines, kinds, LogFilter.preset("database")) == ["database"]


async def test_the_database_pane_shows_the_workload(
    tmp_path: Path, pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with seed_system("003", tmp_path) as (_sandbox, config):
        env = config.environment("production")
        assert env.database_secret == "production/database_url"
        publish_secret(monkeypatch, env.database_secret, pg_dsn)
        async with workload(pg_dsn), db_monitor(env) as snapshots:
            await wait_until(lambda: any(shows_workload(s) for s in snapshots),
                             "the slow report and the sessions", timeout=20)
