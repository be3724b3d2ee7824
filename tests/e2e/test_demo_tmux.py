"""End to end: the real `onduty demo` in tmux, driven by keys and read off the screen.

This is what a user does: start the demo, switch through every pane by key, read what
they show, then lose the terminal (tmux killed = SIGHUP, like a dropped SSH link) and
check that nothing the demo started is left running or left on disk.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.tmux import TMUX, TmuxSession, process_alive, processes_matching, wait_until

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed "
                                "(.ci/system-packages.sh installs it; CI never skips this)")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run_dir() -> Iterator[Path]:
    """A TMPDIR the demo's PostgreSQL can reach: as root it runs as the postgres user,
    which cannot enter pytest's private (0700) tmp tree."""
    path = Path(tempfile.mkdtemp(prefix="onduty-e2e-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def demo_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    return {
        "TMPDIR": str(tmp_path),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".state"),
        "XDG_DATA_HOME": str(home / ".data"),
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
    }


def test_demo_switches_through_every_pane_and_cleans_up_on_hangup(run_dir: Path) -> None:
    tmp_path = run_dir
    session = TmuxSession([sys.executable, "-m", "tui.cli", "demo"], width=120, height=40,
                          env=demo_env(tmp_path))
    try:
        app_pid = session.pane_pid
        dashboard = session.wait_for(
            lambda s: "healthy" in s and "production" in s and "conn (" in s,
            timeout=60, what="the dashboard with probes and database activity",
        )
        assert "logs" in dashboard
        assert "No incident open" in dashboard
        sandbox = processes_matching(str(tmp_path))
        assert sandbox, "the demo sandbox should be running under the test's TMPDIR"

        session.send("2")
        health = session.wait_for(lambda s: "uptime" in s and "since" in s, 15, "health screen")
        assert "/api/health/ready" in health
        assert "staging" in health

        session.send("3")
        logs = session.wait_for(lambda s: "logs ·" in s and ("INF" in s or "ERR" in s), 15,
                                "logs screen with lines")
        assert "connected" in logs

        session.send("4")
        database = session.wait_for(lambda s: "connections" in s and "query" in s, 30,
                                    "database screen with statements")
        assert "database · ok" in database

        session.send("5")
        session.wait_for(lambda s: "No incident open" in s and "uptime" not in s, 10,
                         "incident screen")

        session.send("1")
        session.wait_for(lambda s: "health" in s and "No incident open" in s, 10, "dashboard")
    finally:
        session.hang_up()

    wait_until(lambda: not process_alive(app_pid), 20, "onduty to exit after SIGHUP")
    wait_until(lambda: not processes_matching(str(tmp_path)), 20,
               "every sandbox process to be gone")
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "home"]
    assert leftovers == [], f"the demo left files behind: {leftovers}"
