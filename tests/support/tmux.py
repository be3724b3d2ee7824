"""Driving the real `onduty` command in tmux, as a user at a terminal would."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

TMUX = shutil.which("tmux")


class TmuxSession:
    """One detached tmux server + session on a private socket, killed on close."""

    def __init__(self, command: list[str], *, width: int, height: int, env: dict[str, str],
                 name: str = "onduty-test") -> None:
        self.socket = f"onduty-test-{os.getpid()}-{time.monotonic_ns()}"
        self.name = name
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        # COLUMNS/LINES from the test runner's environment would override the pane's size.
        # exec: the pane's pid is then the command itself, not a shell around it.
        shell_command = f"exec env -u COLUMNS -u LINES {exports} {shlex.join(command)}"
        self._tmux("new-session", "-d", "-s", name, "-x", str(width), "-y", str(height),
                   shell_command)
        self._tmux("set-option", "-t", name, "remain-on-exit", "off")
        self.resize(width, height)

    def _tmux(self, *args: str) -> str:
        assert TMUX is not None
        result = subprocess.run([TMUX, "-L", self.socket, *args], capture_output=True,
                                text=True, timeout=10, check=False)
        return result.stdout

    @property
    def pane_pid(self) -> int:
        return int(self._tmux("display-message", "-p", "-t", self.name, "#{pane_pid}").strip())

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.name)

    def send(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", self.name, *keys)

    def resize(self, width: int, height: int) -> None:
        self._tmux("resize-window", "-t", self.name, "-x", str(width), "-y", str(height))

    def wait_for(self, predicate: Callable[[str], bool], timeout: float, what: str) -> str:
        """Poll the screen until ``predicate`` holds; fail with the last screen if not."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}; screen:\n{screen}")

    def hang_up(self) -> None:
        """Kill the tmux server: the pane's process gets SIGHUP, like a dropped SSH link."""
        self._tmux("kill-server")


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            return stat.read_text().split(") ", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return False
    return True


def processes_matching(text: str) -> list[int]:
    """PIDs whose command line contains ``text`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline and process_alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
