"""The health pane and the endpoint detail with Pilot, fed engine results directly.

Covers the layout at 80x24 and 120x40, worst-first order, enter -> detail -> escape, and
FAULTS 1-4 where they reach this pane: escape sequences, bidi/zero-width characters and
markup from a body, a reason or a sub-check render literally and inertly.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.ui.test_shell import screen_text
from tui.app import OnDutyApp, create_app
from tui.config import parse_config
from tui.health.model import (
    EndpointState,
    HistoryPoint,
    Hop,
    ProbeResult,
    SubCheck,
    Verdict,
    VerdictChange,
)
from widgets.health_pane import HealthPane, fit_columns, fit_name
from widgets.health_table import HealthTable

CONFIG = """
[environments.production]
base_url = "http://127.0.0.1:9"
[[environments.production.health]]
path = "/api/health/ready"
[[environments.production.health]]
path = "/health"
[environments.production.thresholds]
latency_warn_ms = 800
[environments.staging]
base_url = "http://127.0.0.1:9"
[[environments.staging.health]]
path = "/api/health/detailed"
"""
HOSTILE = ("\x1b]52;c;ZWNobyBwd25lZA==\x07 \x1b]0;pwned\x1b\\ \x1b]8;;http://evil\x1b\\link"
           "\x1b]8;;\x1b\\ \x1b[2J\x1b[H \x9b31m \u202eevil\u202c zero\u200bwidth "
           "[/] [bold [link=http://evil]x[/link] [@click=app.quit]quit[/] \x1b[3")
CONTROL = ("\x1b", "\x07", "\x9b", "\u202e", "\u200b")


def make_app(tmp_path: Path, mode: str = "dashboard") -> OnDutyApp:
    config = parse_config(CONFIG, tmp_path / "config.toml")
    return create_app(config, engines=False, state_file=tmp_path / "state.json",
                      initial_mode=mode)


def state(env: str, endpoint: str, verdict: Verdict, reason: str, *, body: str = "",
          detail: str = "connected", previous: Verdict = Verdict.HEALTHY,
          route: str = "direct") -> EndpointState:
    now = time.time()
    last = ProbeResult(
        endpoint=endpoint, url=f"http://127.0.0.1:9{endpoint}",
        final_url=f"http://127.0.0.1:9{endpoint}", started_at=now, verdict=verdict,
        reason=reason, latency_ms=42.0, status=503 if verdict is Verdict.DOWN else 200,
        body_text=body, route=route, body_recognised=True,
        checks=(SubCheck("database", verdict, detail),),
        headers=(("content-type", "application/json"), ("retry-after", "30")),
        hops=(Hop("http://127.0.0.1:9/old", 301, f"http://127.0.0.1:9{endpoint}"),),
    )
    history = tuple(HistoryPoint(now - 60 + i, 40.0 + i, verdict) for i in range(20))
    changes = (VerdictChange(now - 600, Verdict.UNKNOWN, Verdict.HEALTHY, "200", initial=True),)
    if verdict is not previous:
        changes += (VerdictChange(now - 30, previous, verdict, reason),)
    return EndpointState(key=f"{env}/{endpoint}", env=env, endpoint=endpoint, verdict=verdict,
                         previous=previous, last=last, since=now - 30, changed=True,
                         history=history, uptime_pct=99.5, changes=changes)


def fleet() -> tuple[EndpointState, ...]:
    return (
        state("production", "/health", Verdict.HEALTHY, "200 from /health"),
        state("staging", "/api/health/detailed", Verdict.DEGRADED,
              "TLS certificate expires in 6 days"),
        state("production", "/api/health/ready", Verdict.DOWN,
              "503 from /api/health/ready: database check failed",
              body='{\n  "status": "down"\n}', detail="connection refused"),
    )


def row_keys(app: OnDutyApp) -> list[str | None]:
    return app.screen.query_one(HealthPane).query_one(HealthTable).row_keys


def test_columns_fit_the_width_and_keep_name_and_reason() -> None:
    narrow = fit_columns(70, 28, compact=False)
    assert list(narrow)[:2] == ["verdict", "endpoint"] and "reason" in narrow
    assert "trend" not in narrow and narrow["endpoint"] == 28
    assert sum(narrow.values()) + 2 * len(narrow) <= 70
    wide = fit_columns(116, 28, compact=False)
    assert list(wide) == ["verdict", "endpoint", "latency", "trend", "uptime", "since",
                          "reason"]
    assert wide["reason"] >= 24
    compact = fit_columns(35, 28, compact=True)
    assert list(compact) == ["verdict", "endpoint"] and compact["endpoint"] >= 28
    assert fit_name("production", "/api/health/ready", 40) == "production /api/health/ready"
    assert fit_name("production", "/api/health/ready", 22) == "prod /api/health/ready"
    assert fit_name("production", "/api/health/detailed", 18) == "prod …lth/detailed"
    assert fit_name("production", "/health", 40, short_env=True) == "prod /health"


async def test_rows_shorten_the_environment_alike(tmp_path: Path) -> None:
    """At 80x24 one long path made its row read "prod ..." among "production ..." rows."""
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.health_changed.publish((
            state("production", "/health", Verdict.HEALTHY, "200 OK"),
            state("production", "/api/health/detailed/db1", Verdict.HEALTHY,
                  "200 OK"),
        ))
        await pilot.pause()
        text = screen_text(app)
        assert "prod /health" in text and "prod /api/health/detailed/db1" in text
        assert "production /health" not in text


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_dashboard_shows_verdict_name_and_reason_legibly(tmp_path: Path,
                                                              size: tuple[int, int]) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        app.health_changed.publish(fleet())
        await pilot.pause()
        text = screen_text(app)
        assert "✖  production /api/health/ready" in text
        assert "503 from /api/health/ready: d" in text
        assert "TLS certificate expires in 6" in text
        assert "●  production /health" in text
        assert row_keys(app) == ["production//api/health/ready", "staging//api/health/detailed",
                                 "production//health"]


async def test_health_screen_columns_worst_first_and_cursor_stays(tmp_path: Path) -> None:
    app = make_app(tmp_path, "health")
    async with app.run_test(size=(120, 40)) as pilot:
        app.health_changed.publish(fleet())
        await pilot.pause()
        text = screen_text(app)
        for label in ("verdict", "endpoint", "latency", "trend", "uptime", "since", "reason"):
            assert label in text
        assert "99.5%" in text and "42 ms" in text
        assert "503 from /api/health/ready: dat" in text
        assert "staging /api/health/detailed  healthy → degraded" in text
        assert "unknown → healthy" not in text  # the first reading after start is not news
        await pilot.press("down", "down")
        assert app.screen.query_one(HealthPane).selected_key == "production//health"
        app.health_changed.publish((state("production", "/health", Verdict.DOWN, "timed out"),))
        await pilot.pause()
        assert set(row_keys(app)[:2]) == {"production//api/health/ready", "production//health"}
        assert app.screen.query_one(HealthPane).selected_key == "production//health"


async def test_enter_opens_the_detail_and_escape_returns(tmp_path: Path) -> None:
    app = make_app(tmp_path, "health")
    async with app.run_test(size=(120, 40)) as pilot:
        app.health_changed.publish(fleet())
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "HealthDetailScreen"
        text = screen_text(app)
        for expected in ("✖ down  production /api/health/ready", "Last response",
                         "status        503", "final url     http://127.0.0.1:9/api/health/ready",
                         "redirect      301 http://127.0.0.1:9/old →", "route         direct",
                         "TLS           none (plain http)", "retry-after   30", "Sub-checks",
                         "database  connection refused", "Thresholds",
                         "latency       warn > 800 ms", "3 failures in a row", "History",
                         "healthy → down", '"status": "down"'):
            assert expected in text, expected
        app.health_changed.publish((state("production", "/api/health/ready", Verdict.HEALTHY,
                                          "200 from /api/health/ready",
                                          previous=Verdict.DOWN),))
        await pilot.pause()
        assert "● healthy  production /api/health/ready" in screen_text(app)
        await pilot.press("escape")
        assert app.screen.__class__.__name__ == "HealthScreen"


async def test_route_via_proxy_is_shown_in_the_detail(tmp_path: Path) -> None:
    app = make_app(tmp_path, "health")
    async with app.run_test(size=(120, 40)) as pilot:
        app.health_changed.publish((state("production", "/health", Verdict.UNKNOWN,
                                          "proxy error via proxy proxy.corp:3128",
                                          route="via proxy proxy.corp:3128"),))
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert "route         via proxy proxy.corp:3128" in screen_text(app)


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
async def test_hostile_text_renders_literally_in_pane_strip_and_detail(
        tmp_path: Path, size: tuple[int, int]) -> None:
    from tui.sanitize import sanitize

    evil = state("production", "/api/health/ready", Verdict.DOWN, sanitize(HOSTILE),
                 body=sanitize('{"error": "' + HOSTILE + '"}', multiline=True),
                 detail=sanitize(HOSTILE))
    app = make_app(tmp_path, "health")
    async with app.run_test(size=size) as pilot:
        app.health_changed.publish((evil,))
        await pilot.pause()
        pane_text = screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        detail_text = screen_text(app)
        await pilot.click("#health-detail")
        await pilot.pause()
        assert app.is_running and app.screen.__class__.__name__ == "HealthDetailScreen"
    for text in (pane_text, detail_text):
        assert not any(c in text for c in CONTROL)
        assert "␛]52;c;" in text
    assert "[@click=app.quit]quit[/]" in detail_text
    assert "[link=http://evil]x[/link]" in detail_text
    assert "[bold" in detail_text and "⟨U+202E⟩evil" in detail_text
    assert "zero⟨U+200B⟩width" in detail_text and "⟨U+009B⟩31m" in detail_text
    assert "␛[3" in detail_text  # a line ending mid-escape...
    assert "Last response" in detail_text  # ...leaves what follows it intact
