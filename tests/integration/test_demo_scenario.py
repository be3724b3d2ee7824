"""The demo's scenario, bodies and log lines as pure functions (no processes)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from tui.config import Thresholds
from tui.demo.contract import HEALTH_PATHS
from tui.demo.logwriter import HOSTILE_SAMPLES, LogLineFactory
from tui.demo.scenario import (
    CYCLE_SECONDS,
    DATABASE_DOWN,
    HEALTHY,
    RECOVERING,
    SLOW,
    Scenario,
    phase_start,
    scenario_from_env,
)
from tui.demo.service import Snapshot, render
from tui.errors import OnDutyError

LIMITS = Thresholds()
NOW_MS = 1_737_633_600_000


@pytest.mark.parametrize(
    ("seconds", "phase"),
    [(0, HEALTHY), (79.9, HEALTHY), (80, SLOW), (119, SLOW), (120, DATABASE_DOWN),
     (154, DATABASE_DOWN), (155, RECOVERING), (179.9, RECOVERING), (180, HEALTHY),
     (180 + 130, DATABASE_DOWN)],
)
def test_phase_follows_the_cycle(seconds: float, phase: str) -> None:
    assert Scenario().at(seconds).phase == phase


def test_healthy_phase_is_under_every_warning_threshold() -> None:
    for second in range(0, 80, 3):
        cond = Scenario().at(second)
        assert cond.database_up
        assert cond.avg_ms < LIMITS.latency_warn_ms
        assert cond.p95_ms < LIMITS.p95_warn_ms
        assert cond.error_rate_pct < LIMITS.error_rate_warn_pct
        assert cond.heap_pct < LIMITS.memory_warn_pct


def test_slow_phase_delays_over_a_second_and_p95_over_two() -> None:
    for second in range(80, 120, 3):
        cond = Scenario().at(second)
        assert cond.database_up
        assert cond.delay_ms > 1000
        assert cond.p95_ms > LIMITS.p95_warn_ms
        assert cond.error_rate_pct > LIMITS.error_rate_warn_pct


def test_database_down_phase_fails_the_database_fast() -> None:
    for second in range(120, 155, 3):
        cond = Scenario().at(second)
        assert not cond.database_up
        assert cond.delay_ms < 1000
        assert cond.error_rate_pct > LIMITS.error_rate_critical_pct


def test_recovery_eases_back_to_healthy_figures() -> None:
    start, end = Scenario().at(156), Scenario().at(179)
    assert start.database_up and end.database_up
    assert end.p95_ms < start.p95_ms
    assert end.p95_ms < LIMITS.p95_warn_ms
    assert end.error_rate_pct < LIMITS.error_rate_warn_pct


def test_speed_and_offset_shift_real_time_into_the_cycle() -> None:
    assert Scenario(speed=10).at(8.5).phase == SLOW
    assert Scenario(offset=phase_start(DATABASE_DOWN)).at(0).phase == DATABASE_DOWN
    frozen = Scenario(speed=0, offset=phase_start(SLOW) + 1)
    assert {frozen.at(t).phase for t in (0, 50, 500, 5000)} == {SLOW}
    assert Scenario(speed=2).at(CYCLE_SECONDS / 2).phase == HEALTHY


def test_steady_scenario_never_degrades() -> None:
    steady = Scenario(steady=True, speed=3)
    assert all(not steady.at(t).degraded for t in range(0, 400, 7))


def test_scenario_from_env_reads_offset_and_speed() -> None:
    scenario = scenario_from_env({"ONDUTY_DEMO_SCENARIO_OFFSET": "130", "ONDUTY_DEMO_SPEED": "0"})
    assert scenario.at(99).phase == DATABASE_DOWN
    assert scenario_from_env({}) == Scenario()
    for bad in ({"ONDUTY_DEMO_SPEED": "fast"}, {"ONDUTY_DEMO_SCENARIO_OFFSET": "-5"},
                {"ONDUTY_DEMO_SPEED": "nan"}):
        with pytest.raises(OnDutyError, match="ONDUTY_DEMO"):
            scenario_from_env(bad)


def _snap(second: float) -> Snapshot:
    return Snapshot("production", Scenario().at(second), 42.0, datetime(2025, 1, 23, tzinfo=UTC))


def test_bodies_when_healthy_have_the_seed_shapes() -> None:
    snap = _snap(10)
    assert render("/health", snap) == (200, {
        "status": "ok", "environment": "production", "version": "2.14.3",
        "database": "connected", "uptime": 42})
    status, quick = render("/api/health/quick", snap)
    assert status == 200 and quick["healthy"] is True and quick["status"] == "healthy"
    assert quick["timestamp"] == "2025-01-23T00:00:00.000Z"
    assert render("/api/health/live", snap)[1]["alive"] is True
    assert render("/api/health/ready", snap)[0] == 200
    status, detailed = render("/api/health/detailed", snap)
    assert status == 200
    assert set(detailed["checks"]) == {"database", "schema", "system", "memory"}
    assert detailed["checks"]["database"]["status"] == "up"
    assert "heapPercent" in detailed["checks"]["system"]["memory"]
    metrics = render("/api/health/metrics", snap)[1]
    assert set(metrics["responseTime"]) >= {"avg", "p50", "p95", "p99"}
    assert metrics["errors"]["percentage"] < 1
    assert render("/db/ping", snap)[1]["status"] == "ok"
    assert render("/nope", snap) is None
    assert all(render(path, snap) is not None for path in HEALTH_PATHS)


def test_bodies_when_the_database_is_down() -> None:
    snap = _snap(phase_start(DATABASE_DOWN) + 2)
    assert render("/api/health/ready", snap)[0] == 503
    assert render("/api/health/ready", snap)[1]["checks"]["database"] == "down"
    status, ping = render("/db/ping", snap)
    assert status == 503 and ping["database"] == "disconnected"
    status, detailed = render("/api/health/detailed", snap)
    assert status == 503 and detailed["status"] == "unhealthy"
    assert detailed["checks"]["database"]["status"] == "down"
    status, quick = render("/api/health/quick", snap)
    assert status == 503 and quick["healthy"] is False
    assert render("/api/health/live", snap)[0] == 200
    assert render("/api/health/metrics", snap)[0] == 200


def test_slow_bodies_report_degraded_and_p95_over_threshold() -> None:
    snap = _snap(phase_start(SLOW) + 10)
    assert render("/api/health/quick", snap)[1]["status"] == "degraded"
    assert render("/api/health/metrics", snap)[1]["responseTime"]["p95"] > 2000


def _records(phase_second: float, count: int = 400) -> list[str]:
    factory = LogLineFactory(seed=7)
    return factory.lines(Scenario().at(phase_second), NOW_MS, count)


def _is_error(line: str) -> bool:
    if line.startswith("{"):
        return json.loads(line)["level"] >= 50
    return " ERROR " in line or re.search(r" 5\d\d [\d.]+ ms", line) is not None


def test_errors_follow_the_scenario() -> None:
    healthy = sum(map(_is_error, _records(10)))
    down = sum(map(_is_error, _records(phase_start(DATABASE_DOWN) + 5)))
    assert healthy > 0
    assert down > 4 * healthy


def test_log_lines_have_the_node_shapes() -> None:
    lines = _records(phase_start(SLOW) + 5, 600)
    pino = [json.loads(line) for line in lines if line.startswith("{")]
    assert pino and {r["level"] for r in pino} == {30, 40, 50}
    assert all(isinstance(r["time"], int) and "msg" in r for r in pino)
    assert any("responseTime" in r and "req" in r and "res" in r for r in pino)
    assert any(re.fullmatch(r"(GET|POST|PATCH) /\S+ \d{3} [\d.]+ ms - \d+", line)
               for line in lines)
    assert any("401" in line for line in lines)
    assert any("auth token expired" in line for line in lines)
    assert any(re.search(r"response_time=\d{4}", line) for line in lines)
    assert any(line.startswith("    at ") for line in lines)
    assert any("pg pool" in line for line in lines)


def test_hostile_text_appears_now_and_then() -> None:
    lines = _records(10, 450)
    hostile = [line for line in lines if any(
        sample in line or json.dumps(sample)[1:-1] in line for sample in HOSTILE_SAMPLES)]
    assert 5 <= len(hostile) <= 20
    assert any("\x1b" in line or "\\u001b" in line for line in hostile)


def test_backlog_has_every_kind_once() -> None:
    lines = LogLineFactory(seed=1).backlog(Scenario().at(0), NOW_MS)
    text = "\n".join(lines)
    assert "ERROR Database connection failed" in text
    assert "auth token expired" in text
    assert "response_time=1834" in text
    assert "pg pool" in text
    assert "    at " in text
