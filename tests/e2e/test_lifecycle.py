"""The real `onduty` process through the ways a console's life ends or gets rough.

SIGHUP (the SSH link dropping), SIGTERM, stdin at end-of-file, a dumb terminal, a tiny
window and a storm of resizes: each must end cleanly or keep working, with every child
process group dead and the terminal restored (FAULTS 33-38).
"""

from __future__ import annotations

import fcntl
import os
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.http import LocalServer, json_reply
from tests.support.tmux import TMUX, TmuxSession, process_alive, processes_matching, wait_until

ROOT = Path(__file__).resolve().parents[2]
needs_tmux = pytest.mark.skipif(TMUX is None, reason="tmux is not installed "
                                "(.ci/system-packages.sh installs it; CI never skips this)")


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer({"/health": json_reply('{"status":"ok"}')}) as local:
        yield local


@pytest.fixture
def console_env(tmp_path: Path, server: LocalServer) -> dict[str, str]:
    """A config with one probed endpoint and a command log source with a marker in argv."""
    marker = f"onduty-lifecycle-{os.getpid()}-{time.monotonic_ns()}"
    config = tmp_path / "config.toml"
    config.write_text(
        "[environments.production]\n"
        f'base_url = "{server.url("")}"\n'
        "[[environments.production.health]]\n"
        'path = "/health"\ninterval = "1s"\n'
        "[[environments.production.logs]]\n"
        'name = "ticker"\nshell = true\n'
        f"command = \"while true; do echo {marker} tick; sleep 0.2; done\"\n"
    )
    return {
        "ONDUTY_CONFIG": str(config),
        "HOME": str(tmp_path),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "MARKER": marker,
    }


def start(console_env: dict[str, str], width: int = 100, height: int = 30) -> TmuxSession:
    session = TmuxSession([sys.executable, "-m", "tui.cli"], width=width, height=height,
                          env=console_env)
    session._tmux("set-option", "-t", session.name, "remain-on-exit", "on")
    return session


def pane_dead(session: TmuxSession) -> bool:
    return session._tmux("display-message", "-p", "-t", session.name,
                         "#{pane_dead}").strip() == "1"


class PtyConsole:
    """The real `onduty` on a pseudo-terminal whose output is recorded byte for byte."""

    def __init__(self, env: dict[str, str], *, stdin: int | None = None) -> None:
        self.primary, secondary = os.openpty()
        fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tui.cli"], stdin=secondary if stdin is None else stdin,
            stdout=secondary, stderr=secondary, env=env, cwd=ROOT, start_new_session=True,
        )
        os.close(secondary)
        self.output = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.primary, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output += chunk

    def text(self) -> str:
        return self.output.decode(errors="replace")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._reader.join(5)
        os.close(self.primary)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_stops_children_and_restores_the_terminal(console_env: dict[str, str],
                                                           signum: int) -> None:
    console = PtyConsole(console_env)
    try:
        wait_until(lambda: "tick" in console.text() and "healthy" in console.text(), 30,
                   "probes and log lines on the screen")
        children = processes_matching(console_env["MARKER"])
        assert children, "the log command should be running"
        restore_from = len(console.output)
        console.process.send_signal(signum)
        assert console.process.wait(15) == 128 + signum
        console._reader.join(5)
        tail = bytes(console.output[restore_from:])
        assert b"\x1b[?1049l" in tail, "the alternate screen must be left"
        assert b"\x1b[?25h" in tail, "the cursor must be shown again"
        assert b"\x1b[?1000l" in tail, "mouse reporting must be turned off"
        wait_until(lambda: not any(process_alive(p) for p in children), 10,
                   "the log command's whole process group to die")
    finally:
        console.close()


@pytest.mark.parametrize("how", ["q", "SIGTERM"])
def test_quitting_at_the_first_frame_exits_and_starts_nothing(console_env: dict[str, str],
                                                              how: str) -> None:
    """The panes and engines load after the first frame; quitting right then must not
    leave the console hanging on exit or a log command running behind it."""
    console = PtyConsole(console_env)
    try:
        wait_until(lambda: "production" in console.text(), 30, "the first frame")
        if how == "q":
            os.write(console.primary, b"q")
        else:
            console.process.send_signal(signal.SIGTERM)
        status = console.process.wait(15)
        assert status == (0 if how == "q" else 128 + signal.SIGTERM)
        wait_until(lambda: not processes_matching(console_env["MARKER"]), 10,
                   "no log command left running")
    finally:
        console.close()


def test_losing_the_terminal_ends_the_app_and_its_children(console_env: dict[str, str]) -> None:
    """The SSH link drops: the pty's other side closes (SIGHUP, then EIO on every read)."""
    console = PtyConsole(console_env)
    try:
        wait_until(lambda: "tick" in console.text(), 30, "log lines on the screen")
        children = processes_matching(console_env["MARKER"])
        assert children
        os.close(console.primary)
        console.primary = os.open(os.devnull, os.O_RDONLY)
        status = console.process.wait(15)
        assert status in (0, 128 + signal.SIGHUP, -signal.SIGHUP), status
        wait_until(lambda: not any(process_alive(p) for p in children), 10,
                   "the log command's whole process group to die")
    finally:
        console.close()


def test_stdin_at_eof_exits_without_spinning(console_env: dict[str, str]) -> None:
    started = time.monotonic()
    console = PtyConsole(console_env, stdin=subprocess.DEVNULL)  # the pty is read, as a
    try:                                                         # terminal would
        status, cpu = _wait_with_usage(console.process.pid, timeout=30)
        console.process.returncode = os.waitstatus_to_exitcode(status)
    finally:
        console.close()
    elapsed = time.monotonic() - started
    assert os.waitstatus_to_exitcode(status) == 0
    assert cpu < max(4.0, elapsed * 0.8), f"{cpu:.1f}s of CPU in {elapsed:.1f}s: a busy loop"
    wait_until(lambda: not processes_matching(console_env["MARKER"]), 10,
               "the log command to be stopped")


def _wait_with_usage(pid: int, timeout: float) -> tuple[int, float]:
    """Reap ``pid`` and return its wait status and the CPU seconds it used."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, usage.ru_utime + usage.ru_stime
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.wait4(pid, 0)
    raise AssertionError(f"onduty kept running {timeout}s with stdin at end-of-file")


def test_a_dumb_terminal_gets_a_plain_message(console_env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli"], env={**console_env, "TERM": "dumb"}, cwd=ROOT,
        capture_output=True, text=True, timeout=30, check=False,
    )
    assert result.returncode == 2
    assert "TERM=dumb" in result.stderr
    assert "onduty check" in result.stderr
    assert "Traceback" not in result.stderr


@needs_tmux
def test_a_tiny_window_and_a_resize_storm_do_not_break_it(console_env: dict[str, str]) -> None:
    session = start(console_env, width=40, height=10)
    try:
        session.wait_for(lambda s: "production" in s, 30, "the console at 40x10")
        deadline = time.monotonic() + 2
        sizes = [(120, 40), (80, 24), (40, 10), (200, 60)]
        count = 0
        while count < 100 and time.monotonic() < deadline + 3:
            width, height = sizes[count % len(sizes)]
            session.resize(width, height)
            count += 1
        session.resize(100, 30)
        session.send("2")
        screen = session.wait_for(lambda s: "uptime" in s, 20,
                                  "the health screen after 100 resizes")
        assert "Traceback" not in screen
        assert not pane_dead(session)
    finally:
        session.hang_up()
