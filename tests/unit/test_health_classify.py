"""Body formats, thresholds and the status-code fallback of tui.health.classify."""

from __future__ import annotations

import json

import pytest

from tui.config import Thresholds
from tui.health.classify import classify
from tui.health.model import Verdict


def run(body: str, status: int = 200, latency: float = 50, *, is_json: bool = True,
        cert_days: int | None = None, thresholds: Thresholds | None = None):
    parsed = json.loads(body) if is_json else body
    return classify(status=status, body=parsed, body_is_json=is_json, latency_ms=latency,
                    thresholds=thresholds or Thresholds(), cert_days=cert_days)


def check(result, name: str):
    return next(c for c in result.checks if c.name == name)


@pytest.mark.parametrize(
    ("body", "verdict", "fmt"),
    [
        ('{"status": "ok", "timestamp": "2025-01-23T12:00:00Z"}', Verdict.HEALTHY, "json"),
        ('{"healthy": true, "status": "healthy", "timestamp": "x"}', Verdict.HEALTHY, "json"),
        ('{"healthy": false, "status": "unhealthy"}', Verdict.DOWN, "json"),
        ('{"alive": true, "timestamp": "x"}', Verdict.HEALTHY, "json"),
        ('{"alive": false}', Verdict.DOWN, "json"),
        ('{"status": "degraded"}', Verdict.DEGRADED, "json"),
        ('{"status": "UP"}', Verdict.HEALTHY, "spring-boot"),
        ('{"status": "OUT_OF_SERVICE"}', Verdict.DOWN, "spring-boot"),
        ('{"status": "UNKNOWN"}', Verdict.UNKNOWN, "spring-boot"),
        ('{"status": "pass"}', Verdict.HEALTHY, "health+json"),
        ('{"status": "warn"}', Verdict.DEGRADED, "health+json"),
        ('{"status": "fail", "output": "db"}', Verdict.DOWN, "health+json"),
        ('{"status": "Healthy", "entries": {}}', Verdict.HEALTHY, "aspnet"),
        ('{"status": "Degraded"}', Verdict.DEGRADED, "aspnet"),
        ('{"cluster_name": "es", "status": "green", "unassigned_shards": 0}', Verdict.HEALTHY,
         "elasticsearch"),
        ('{"cluster_name": "es", "status": "red"}', Verdict.DOWN, "elasticsearch"),
    ],
)
def test_json_formats(body: str, verdict: Verdict, fmt: str) -> None:
    result = run(body)
    assert result.verdict is verdict
    assert result.recognised
    assert result.body_format == fmt


def test_seed_capacity_planner_body_names_the_database() -> None:
    result = run('{"status": "ok", "environment": "production", "version": "1.0.0", '
                 '"database": "connected", "uptime": 3600}')
    assert result.verdict is Verdict.HEALTHY
    assert check(result, "database").verdict is Verdict.HEALTHY


def test_seed_detailed_checks_schema_and_memory() -> None:
    result = run(json.dumps({
        "status": "ok",
        "checks": {
            "database": {"status": "healthy", "responseTime": 12},
            "schema": {"status": "unhealthy", "missingTables": ["tasks", "projects"]},
            "system": {"status": "healthy", "memory": {"heapUsed": 800, "heapTotal": 1000}},
        },
    }))
    assert result.verdict is Verdict.DOWN  # the checks decide, not the hard-coded "ok"
    assert check(result, "database").detail == "12 ms"
    assert check(result, "schema").verdict is Verdict.DOWN
    assert "schema check failed (tasks, projects)" in result.problems
    assert dict(result.metrics)["memory_pct"] == 80.0
    assert check(result, "memory").verdict is Verdict.DEGRADED
    assert check(result, "memory").detail == "memory 80 % (> 75 %)"


def test_seed_metrics_body_percentiles_and_error_rate() -> None:
    result = run(json.dumps({
        "responseTime": {"avg": 120, "p50": 80, "p95": 2600, "p99": 9000},
        "requests": {"total": 1000, "errors": 70},
        "errors": {"total": 70, "rate": 0.5},
    }))
    metrics = dict(result.metrics)
    assert result.body_format == "metrics"
    assert metrics["p95_ms"] == 2600 and metrics["p99_ms"] == 9000
    assert metrics["error_rate_pct"] == 7.0  # from requests, not the per-second "rate"
    assert check(result, "p95").verdict is Verdict.DEGRADED
    assert check(result, "error rate").verdict is Verdict.DOWN
    assert result.verdict is Verdict.DOWN
    assert "error rate 7 % (> 5 %)" in result.problems


def test_error_rate_fraction_and_percent_string() -> None:
    assert dict(run('{"errorRate": 0.02}').metrics)["error_rate_pct"] == 2.0
    assert dict(run('{"errorRate": "3.5%"}').metrics)["error_rate_pct"] == 3.5


def test_spring_components_are_named_sub_checks() -> None:
    result = run(json.dumps({
        "status": "DOWN",
        "components": {
            "db": {"status": "DOWN", "details": {"error": "Connection refused"}},
            "diskSpace": {"status": "UP"},
            "redis": {"status": "UP", "components": {"primary": {"status": "UP"}}},
        },
    }), status=503)
    assert result.verdict is Verdict.DOWN
    assert check(result, "db").detail == "Connection refused"
    assert check(result, "redis/primary").verdict is Verdict.HEALTHY
    assert result.problems == ("db check failed (Connection refused)",)


def test_ietf_checks_with_observed_values() -> None:
    result = run(json.dumps({
        "status": "warn",
        "checks": {
            "cpu:utilization": [{"componentId": "a", "status": "warn", "observedValue": 85,
                                 "observedUnit": "percent"}],
            "postgres:responseTime": [{"status": "pass", "observedValue": 12,
                                       "observedUnit": "ms"}],
        },
    }))
    assert result.verdict is Verdict.DEGRADED
    assert check(result, "cpu:utilization").detail == "85 percent"
    assert check(result, "postgres:responseTime").verdict is Verdict.HEALTHY


def test_aspnet_entries() -> None:
    result = run(json.dumps({
        "status": "Unhealthy",
        "totalDuration": "00:00:00.1",
        "entries": {"sql": {"status": "Unhealthy", "description": "timeout"},
                    "redis": {"status": "Healthy"}},
    }), status=503)
    assert result.verdict is Verdict.DOWN
    assert check(result, "sql").detail == "timeout"
    assert check(result, "redis").verdict is Verdict.HEALTHY


def test_elasticsearch_yellow_names_unassigned_shards() -> None:
    result = run('{"cluster_name": "logs", "status": "yellow", "unassigned_shards": 5}')
    assert result.verdict is Verdict.DEGRADED
    assert check(result, "shards").detail == "5 unassigned"


@pytest.mark.parametrize(
    ("text", "verdict"),
    [("ok", Verdict.HEALTHY), ("OK\n", Verdict.HEALTHY), ("Healthy", Verdict.HEALTHY),
     ("Degraded", Verdict.DEGRADED), ("Unhealthy", Verdict.DOWN)],
)
def test_plain_text_words(text: str, verdict: Verdict) -> None:
    result = run(text, is_json=False)
    assert result.verdict is verdict
    assert result.recognised


def test_kubernetes_readyz_verbose() -> None:
    text = ("[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n"
            "[+]poststarthook/start-informers ok\nreadyz check failed\n")
    result = run(text, status=500, is_json=False)
    assert result.body_format == "kubernetes"
    assert result.verdict is Verdict.DOWN
    assert check(result, "etcd").verdict is Verdict.DOWN
    assert check(result, "poststarthook/start-informers").verdict is Verdict.HEALTHY
    assert "etcd check failed (failed: reason withheld)" in result.problems


def test_unrecognised_body_falls_back_to_status() -> None:
    ok = run('{"foo": "bar"}')
    bad = run("<html>Bad Gateway</html>", status=502, is_json=False)
    assert (ok.verdict, ok.recognised) == (Verdict.HEALTHY, False)
    assert (bad.verdict, bad.recognised) == (Verdict.DOWN, False)


def test_status_code_beats_a_happy_body() -> None:
    assert run('{"status": "ok"}', status=503).verdict is Verdict.DOWN


@pytest.mark.parametrize(
    ("latency", "verdict", "detail"),
    [(200, Verdict.HEALTHY, "latency 200 ms"),
     (1500, Verdict.DEGRADED, "latency 1500 ms (> 1000 ms)"),
     (2500, Verdict.DOWN, "latency 2500 ms (> 2000 ms)")],
)
def test_latency_thresholds(latency: float, verdict: Verdict, detail: str) -> None:
    result = run('{"status": "ok"}', latency=latency)
    assert result.verdict is verdict
    assert check(result, "latency").detail == detail


def test_thresholds_are_overridable() -> None:
    strict = Thresholds(latency_warn_ms=100, latency_critical_ms=150)
    assert run('{"status": "ok"}', latency=120, thresholds=strict).verdict is Verdict.DEGRADED


def test_certificate_days() -> None:
    soon = run('{"status": "ok"}', cert_days=6)
    fine = run('{"status": "ok"}', cert_days=60)
    assert soon.verdict is Verdict.DEGRADED
    assert soon.problems == ("TLS certificate expires in 6 days",)
    assert fine.verdict is Verdict.HEALTHY


def test_sub_check_text_from_the_body_is_sanitised() -> None:
    result = run(json.dumps({"status": "DOWN", "components": {
        "db\x1b]0;pwned\x07": {"status": "DOWN", "details": {"error": "\x1b[2J[/] gone"}}}}))
    names = [c.name for c in result.checks]
    assert "db␛]0;pwned␇" in names
    assert all("\x1b" not in c.detail and "\x1b" not in c.name for c in result.checks)
    assert "␛[2J[/] gone" in result.problems[0]
