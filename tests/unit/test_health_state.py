"""The debounce rule, uptime with gaps, and proxy routing decisions."""

from __future__ import annotations

import pytest

from tui.config import Thresholds
from tui.health.client import ProxyRoutes
from tui.health.model import HistoryPoint, Verdict
from tui.health.monitor import next_verdict, uptime_pct

H, D, X, U = Verdict.HEALTHY, Verdict.DEGRADED, Verdict.DOWN, Verdict.UNKNOWN
T = Thresholds(failures_before_down=3, successes_before_up=2)


def replay(raws: list[Verdict]) -> list[Verdict]:
    """The debounced verdict after each raw reading, as the monitor computes it."""
    current, settled, out = U, False, []
    for index in range(len(raws)):
        verdict = next_verdict(current, settled, raws[: index + 1], T)
        settled = settled or verdict is not current
        current = verdict
        out.append(current)
    return out


def test_down_only_after_three_consecutive_failures() -> None:
    assert replay([H, X, X, X]) == [H, H, H, X]


def test_up_only_after_two_consecutive_successes() -> None:
    assert replay([H, X, X, X, H, X, H, H]) == [H, H, H, X, X, X, X, H]


def test_flapping_never_changes_the_verdict() -> None:
    assert replay([H, X, H, X, X, H, X, X, H]) == [H] * 9


def test_first_failure_is_not_down_yet() -> None:
    assert replay([X, X, X]) == [U, U, X]


def test_degraded_and_healthy_also_debounced() -> None:
    assert replay([H, D, H, D, D]) == [H, H, H, H, D]


def test_any_up_readings_count_towards_recovery() -> None:
    assert replay([X, X, X, D, H]) == [U, U, X, X, H]


def test_uptime_counts_gaps_as_not_up() -> None:
    history = [HistoryPoint(0, 10, H), HistoryPoint(10, 10, H), HistoryPoint(20, 10, H),
               HistoryPoint(100, 10, H)]
    # each reading vouches for interval + timeout = 11 s: 10 + 10 + 11 + 10 of 110 s
    assert uptime_pct(history, 110, interval=10, timeout=1, window=1200) == pytest.approx(
        100 * 41 / 110, abs=0.01)


def test_uptime_counts_down_readings_and_window() -> None:
    history = [HistoryPoint(t, 5, X if t == 20 else H) for t in range(0, 100, 10)]
    assert uptime_pct(history, 100, interval=10, timeout=1, window=1000) == 90.0
    assert uptime_pct(history, 100, interval=10, timeout=1, window=50) == 100.0
    assert uptime_pct([], 100, interval=10, timeout=1, window=50) is None


def test_no_proxy_cidr_and_suffixes() -> None:
    routes = ProxyRoutes.from_environ({
        "HTTPS_PROXY": "http://user:pw@proxy.corp:3128",
        "http_proxy": "proxy.corp:8080",
        "NO_PROXY": "10.0.0.0/8, .internal.example,fd00::/8",
    })
    assert routes.route_for("https://api.example.com/health") == "via proxy proxy.corp:3128"
    assert routes.route_for("http://api.example.com/health") == "via proxy proxy.corp:8080"
    assert routes.route_for("https://10.1.2.3/health") == "direct"
    assert routes.route_for("https://11.1.2.3/health") == "via proxy proxy.corp:3128"
    assert routes.route_for("https://db.internal.example/") == "direct"
    assert routes.route_for("https://internal.example/") == "direct"
    assert routes.route_for("https://notinternal.example/") == "via proxy proxy.corp:3128"
    assert routes.route_for("https://[fd00::1]/") == "direct"
    assert routes.route_for("https://127.0.0.1:8443/") == "direct"
    assert routes.route_for("https://localhost/") == "direct"
    assert "pw" not in routes.route_for("https://api.example.com/")


def test_no_proxy_star_and_port() -> None:
    assert ProxyRoutes.from_environ({"ALL_PROXY": "http://p:1", "NO_PROXY": "*"}).route_for(
        "https://x.test/") == "direct"
    ported = ProxyRoutes.from_environ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "x.test:8443"})
    assert ported.route_for("https://x.test:8443/") == "direct"
    assert ported.route_for("https://x.test/") == "via proxy p:1"
