"""`onduty logs` wiring with real engines: the built-in config, a real followed file (rotated
by the test), a real command, and the options the pane opens with."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support.log_ui import screen_text, wait_for
from tui.app import create_app
from tui.hub.logs import LogsOptions, options, set_options
from tui.logs.cli import (
    LogsUsageError,
    build_config,
    build_parser,
    initial_filter,
    run_logs,
    split_command,
)
from tui.logs.parse import Level
from widgets.log_pane import LogPane
from widgets.log_view import LogView


@pytest.fixture(autouse=True)
def _reset_options():  # type: ignore[no-untyped-def]
    saved = options()
    yield
    set_options(saved)


def parse(argv: list[str]):  # type: ignore[no-untyped-def]
    before, command = split_command(argv)
    return build_parser().parse_args(before), command


def test_files_stdin_and_command_become_one_environment(tmp_path: Path) -> None:
    args, command = parse(["--filter", "x", str(tmp_path / "a/app.log"),
                           str(tmp_path / "b/app.log"), "-", "--", "fly", "logs", "-a", "x"])
    config = build_config(args, command)
    (env,) = config.environments
    assert [(s.name, s.kind) for s in env.logs] == [
        ("a/app.log", "file"), ("b/app.log", "file"), ("stdin", "stdin"), ("fly", "command")]
    assert env.logs[3].command == ("fly", "logs", "-a", "x")
    assert config.path is None


def test_shell_pipeline_and_usage_errors() -> None:
    args, command = parse(["--shell", "--", "kubectl logs -f x | grep -v health"])
    (env,) = build_config(args, command).environments
    assert env.logs[0].shell and env.logs[0].command == ("kubectl logs -f x | grep -v health",)
    with pytest.raises(LogsUsageError, match="give FILE"):
        build_config(*parse([]))
    with pytest.raises(LogsUsageError, match="unrecognized"):
        run_logs(["--bogus", "f"])
    with pytest.raises(LogsUsageError, match="once"):
        build_config(*parse(["-", "-"]))


def test_initial_filter_from_options() -> None:
    args, _ = parse(["--preset", "slow", "--slow-ms", "250", "--level", "warn", "f"])
    chosen = initial_filter(args)
    assert chosen is not None
    assert chosen.slow_ms == 250 and chosen.min_level is Level.WARN
    assert chosen.preset_name == "slow"
    assert initial_filter(parse(["f"])[0]) is None


async def test_real_file_is_followed_across_rotation_with_the_initial_filter(
        tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("INFO boot\nERROR first failure\n")
    args, command = parse(["--preset", "errors", str(log)])
    set_options(LogsOptions(initial_filter=initial_filter(args)))
    app = create_app(build_config(args, command), state_file=tmp_path / "state.json",
                     initial_mode="logs")
    async with app.run_test(size=(120, 30)):
        pane = app.screen.query_one(LogPane)
        view = app.screen.query_one(LogView)
        await wait_for(lambda: [line.text for line in view.rows.lines] ==
                       ["ERROR first failure"], message="first error")
        assert "filter: errors" in pane.title and "app.log: connected" in pane.title
        log.rename(tmp_path / "app.log.1")
        log.write_text("INFO fresh\nERROR after rotation\n")
        await wait_for(lambda: "after rotation" in screen_text(app), message="new file")
        assert "rotated · app.log" in screen_text(app)


async def test_real_command_that_exits_is_shown_ended(tmp_path: Path) -> None:
    code = "print('INFO hello from child'); print('ERROR child broke')"
    args, command = parse(["--once", "--", sys.executable, "-c", code])
    set_options(LogsOptions(restart=False))
    app = create_app(build_config(args, command), state_file=tmp_path / "state.json",
                     initial_mode="logs")
    async with app.run_test(size=(120, 30)):
        pane = app.screen.query_one(LogPane)
        await wait_for(lambda: "ended (exit 0)" in pane.title, message="ended")
        # The title is set with the batch; the rows are drawn at the next refresh.
        await wait_for(lambda: "hello from child" in screen_text(app), message="lines drawn")
        text = screen_text(app)
        assert "hello from child" in text and "ERR" in text
