"""Start-up as in a terminal (``first_frame_first``): a light first frame, then the panes.

The console draws the starting screen (pane frames and the status bar) before it imports
and builds the panes, engines and incident side; these tests check what that frame shows,
that the real screen replaces it, and that quitting in between leaves nothing running.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from screens.starting import StartingScreen
from tests.support.log_ui import screen_text, wait_for
from tui.app import OnDutyApp, create_app
from tui.config import parse_config
from widgets.health_pane import HealthPane
from widgets.log_pane import LogPane


def make_app(tmp_path: Path, initial_mode: str = "dashboard") -> OnDutyApp:
    log = tmp_path / "app.log"
    log.write_text("INFO served in 12 ms\n")
    source = (
        '[environments.production]\nbase_url = "http://127.0.0.1:9"\n'
        '[[environments.production.health]]\npath = "/health"\n'
        f'[[environments.production.logs]]\nfile = "{log}"\n'
    )
    config = parse_config(source, tmp_path / "config.toml")
    return create_app(config, state_file=tmp_path / "state.json", incidents=False,
                      initial_mode=initial_mode, first_frame_first=True)


def engine_tasks() -> list[str]:
    names = (task.get_name() for task in asyncio.all_tasks())
    return [name for name in names if name.startswith(("probe ", "log source", "log tail"))]


async def test_the_first_frame_shows_the_layout_and_environment_then_the_real_panes(
        tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.screen, StartingScreen)
        text = screen_text(app)
        assert "production" in text
        for title in ("health", "logs", "database", "incident"):
            assert title in text
        await wait_for(lambda: app.current_mode == "dashboard", message="the dashboard")
        await wait_for(lambda: app.screen.query(HealthPane) and app.screen.query(LogPane),
                       message="the real panes")
        await wait_for(lambda: app.engines is not None and engine_tasks(),
                       message="engines started after the first frame")
        await pilot.press("3")
        assert app.current_mode == "logs"
    assert engine_tasks() == []


async def test_a_full_screen_opening_mode_replaces_its_own_frame(tmp_path: Path) -> None:
    app = make_app(tmp_path, initial_mode="logs")
    async with app.run_test(size=(80, 24)):
        await wait_for(lambda: app.current_mode == "logs" and app.screen.query(LogPane),
                       message="the logs screen")


async def test_quitting_during_start_up_leaves_no_engine_running(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    load_after_first_frame = app._start_after_first_frame

    def quit_first() -> None:  # the engineer quits (or SIGTERM lands) as the frame shows
        app.exit(0)
        load_after_first_frame()

    app._start_after_first_frame = quit_first  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
    await wait_for(lambda: not any(w.is_running for w in app.workers), message="workers")
    assert app.return_code == 0
    assert engine_tasks() == []


async def test_q_on_the_starting_screen_quits(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.screen, StartingScreen)
        await pilot.press("q")
    assert app.return_code == 0
    assert engine_tasks() == []
