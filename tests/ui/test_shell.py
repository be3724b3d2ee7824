"""The app shell with Pilot: panes by key and palette, help, environments, themes, status bar.

Engines are off here (``engines=False``): these tests are about the shell; the panes are
fed engine results directly, the same immutable objects the engines publish.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from themes import THEMES
from tui.app import OnDutyApp, create_app
from tui.config import parse_config
from tui.health.model import EndpointState, ProbeResult, Verdict
from widgets.health_pane import HealthPane
from widgets.health_table import HealthTable
from widgets.status_bar import StatusBar

TWO_ENVS = """
[environments.production]
base_url = "http://127.0.0.1:9"
[[environments.production.health]]
path = "/health"
[environments.staging]
base_url = "http://127.0.0.1:9"
"""
ONE_ENV = """
[environments.production]
base_url = "http://127.0.0.1:9"
"""


def make_app(tmp_path: Path, source: str = TWO_ENVS) -> OnDutyApp:
    config = parse_config(source, tmp_path / "config.toml")
    return create_app(config, engines=False, state_file=tmp_path / "state.json")


def screen_text(app: OnDutyApp) -> str:
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


async def test_a_screen_shown_again_listens_once_to_each_signal(tmp_path: Path) -> None:
    """Textual resumes a newly created mode's screen twice; handlers must still run once
    per publish (a second subscription doubled every pane update)."""
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        for key in ("3", "1", "3", "2"):
            await pilot.press(key)
            await pilot.pause()
            for signal in (app.status_changed, app.logs_changed, app.health_changed):
                assert len(signal._subscriptions.get(app.screen, [])) <= 1, (key, signal)
        assert len(app.status_changed._subscriptions[app.screen]) == 1


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_number_keys_switch_between_the_five_screens(tmp_path: Path,
                                                           size: tuple[int, int]) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        assert app.current_mode == "dashboard"
        assert len(app.screen.query("Pane")) == 4
        for key, mode in [("2", "health"), ("3", "logs"), ("4", "database"), ("5", "incident"),
                          ("1", "dashboard")]:
            await pilot.press(key)
            assert app.current_mode == mode
        await pilot.press("exclamation_mark")
        assert app.current_mode == "incident"


async def test_the_palette_offers_every_screen_environment_and_theme(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for pane in ("dashboard", "health", "logs", "database", "incident"):
            assert f"go: {pane}" in titles
        assert "environment: staging" in titles
        for theme in THEMES:
            assert f"theme: {theme.name}" in titles


async def test_question_mark_shows_the_bindings(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await pilot.press("question_mark")
        assert app.screen.__class__.__name__ == "KeysScreen"
        text = screen_text(app)
        for description in ("Dashboard", "Health", "Logs", "Database", "Environment", "Quit",
                            "go.logs", "Pause"):
            assert description in text
        await pilot.press("escape")
        assert app.screen.__class__.__name__ == "LogsScreen"


async def test_environment_switcher_changes_environment_and_remembers(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        bar = app.screen.query_one(StatusBar)
        assert bar.environment == "production"
        await pilot.press("e")
        assert app.screen.__class__.__name__ == "EnvironmentSwitcher"
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.environment_name == "staging"
        assert app.screen.query_one(StatusBar).environment == "staging"
    assert json.loads((tmp_path / "state.json").read_text())["environment"] == "staging"
    again = make_app(tmp_path)
    async with again.run_test(size=(100, 30)):
        assert again.environment_name == "staging"


async def test_one_environment_has_no_switcher(tmp_path: Path) -> None:
    app = make_app(tmp_path, ONE_ENV)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("e")
        assert app.screen.__class__.__name__ == "DashboardScreen"
        assert "e:switch" not in screen_text(app)


async def test_theme_is_selectable_and_remembered(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)):
        assert app.theme == "onduty-dark"
        app.theme = "onduty-high-contrast"
    assert json.loads((tmp_path / "state.json").read_text())["theme"] == "onduty-high-contrast"
    again = make_app(tmp_path)
    async with again.run_test(size=(100, 30)):
        assert again.theme == "onduty-high-contrast"


async def test_an_unknown_remembered_theme_falls_back_with_a_notice(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text(json.dumps({"theme": "gone"}))
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.theme == "onduty-dark"
        assert any("gone" in str(n.message) for n in app._notifications)


async def test_status_bar_lists_panes_in_error(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        app.set_problem("db", "connection refused [/]")
        await pilot.pause()
        assert "db: connection refused [/]" in screen_text(app)
        app.set_problem("db", None)
        await pilot.pause()
        assert "connection refused" not in screen_text(app)


async def test_health_states_reach_the_pane_literally(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    now = time.time()
    probe = ProbeResult(
        endpoint="/health", url="http://x/health", final_url="http://x/health", started_at=now,
        verdict=Verdict.DOWN, reason="503 from /health: [bold]database[/] \x1b]0;t\x07 down",
        latency_ms=12.0, status=503,
    )
    state = EndpointState(key="production//health", env="production", endpoint="/health",
                          verdict=Verdict.DOWN, previous=Verdict.HEALTHY, last=probe, since=now,
                          changed=True)
    async with app.run_test(size=(160, 30)) as pilot:
        await pilot.press("2")
        app.health_changed.publish((state,))
        await pilot.pause()
        pane = app.screen.query_one(HealthPane)
        assert pane.query_one(HealthTable).row_count == 1
        text = screen_text(app)
        assert "✖ down" in text
        assert "[bold]database[/]" in text
        assert "\x1b" not in text
        assert "healthy → down" in text


async def test_q_quits(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_no_color_is_honoured_and_verdicts_stay_readable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NO_COLOR: every colour is filtered out, so a verdict must say itself in words."""
    from textual.filter import Monochrome, NoColor

    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(tmp_path)
    now = time.time()
    probe = ProbeResult(endpoint="/health", url="http://x/health", final_url="http://x/health",
                        started_at=now, verdict=Verdict.DOWN, reason="503 from /health",
                        latency_ms=5.0, status=503)
    state = EndpointState(key="production//health", env="production", endpoint="/health",
                          verdict=Verdict.DOWN, previous=Verdict.HEALTHY, last=probe, since=now,
                          changed=True)
    async with app.run_test(size=(120, 30)) as pilot:
        assert app.no_color
        assert any(isinstance(f, Monochrome | NoColor) for f in app._filters)
        await pilot.press("2")
        app.health_changed.publish((state,))
        await pilot.pause()
        assert "down" in screen_text(app)
