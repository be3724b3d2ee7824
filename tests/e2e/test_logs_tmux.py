"""End to end: the real `onduty logs` in tmux, fed by a pipe and by a shell pipeline.

`... | onduty logs -` must read the pipe while taking its keys from the terminal, and
quitting must leave no child of a `sh -c` pipeline running.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import pytest

from tests.support.tmux import TMUX, TmuxSession, processes_matching, wait_until

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed "
                                "(.ci/system-packages.sh installs it; CI never skips this)")

ROOT = Path(__file__).resolve().parents[2]


def logs_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".state"),
        "XDG_DATA_HOME": str(home / ".data"),
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
    }


def test_piped_stdin_is_shown_filtered_by_keys_and_quit(tmp_path: Path) -> None:
    feed = tmp_path / "feed.log"
    feed.write_text("".join(
        [f"INFO GET /api/users 200 {n}ms\n" for n in range(30)]
        + ["ERROR payment failed: card declined\n", "WARN [/] [@click=app.quit] literal\n"]))
    onduty = shlex.join([sys.executable, "-m", "tui.cli", "logs", "-"])
    session = TmuxSession(["sh", "-c", f"(cat {shlex.quote(str(feed))}; sleep 60) | {onduty}"],
                          width=120, height=30, env=logs_env(tmp_path), name="logs-pipe")
    try:
        screen = session.wait_for(lambda s: "card declined" in s and "stdin" in s, 20,
                                  "piped lines")
        assert "[@click=app.quit] literal" in screen
        assert "logs · following" in screen and "filter:" not in screen
        session.send("/")
        session.send("-l", "declined")
        screen = session.wait_for(lambda s: "filter: /declined/" in s, 10, "filter in title")
        assert "GET /api/users" not in screen
        session.send("Escape")
        session.wait_for(lambda s: "GET /api/users" in s, 10, "filter cleared")
        session.send("q")
        wait_until(lambda: "filter" not in session.screen(), 10, "onduty to exit")
    finally:
        session.hang_up()


def test_quitting_kills_every_child_of_a_shell_pipeline(tmp_path: Path) -> None:
    marker = f"onduty-e2e-{os.getpid()}-pipeline"
    script = f"while true; do echo ERROR {marker} tick; sleep 0.2; done | cat | cat"
    session = TmuxSession([sys.executable, "-m", "tui.cli", "logs", "--shell", "--", script],
                          width=120, height=30, env=logs_env(tmp_path), name="logs-sh")
    try:
        session.wait_for(lambda s: f"{marker} tick" in s and "sh: connected" in s, 20,
                         "pipeline output")
        assert processes_matching(marker), "the pipeline runs"
        session.send("q")
        wait_until(lambda: not processes_matching(marker), 10, "every child to die")
    finally:
        session.hang_up()
