"""Startup and idle cost of the console on a bastion, next to a bare Textual app.

Prints, from one run on this machine:
- first frame: time from exec to the first screen text, onduty vs a bare Textual app
  (target: within 1.5x); onduty's first frame is its starting screen (pane frames and the
  status bar naming the environment), so the time until the panes show data (the last line
  of the log file) is printed beside it;
- `onduty --help` and `onduty check URL` wall time (target: under 0.3 s);
- idle CPU of the console over a window (target: under 1 % of one core), with a local
  health endpoint and a log file, the way it sits all day between incidents.

Usage: python bench/startup.py [--runs 5] [--idle-seconds 60]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import http.server
import os
import pty
import re
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BARE_APP = """
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("bare textual ready")

Bare().run()
"""
_ESCAPES = re.compile(
    rb"\x1b\[[0-9;?<>=]*[A-Za-z~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b."
)


class _Quiet(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"status":"ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


def spawn_in_pty(argv: list[str], env: dict[str, str]) -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    return pid, fd


def read_until(fd: int, marker: bytes, timeout: float) -> float:
    """Seconds until ``marker`` appears in the pty output (escape sequences removed)."""
    start = time.perf_counter()
    seen = b""
    while time.perf_counter() - start < timeout:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        seen += chunk
        if marker in _ESCAPES.sub(b"", seen):
            return time.perf_counter() - start
    raise RuntimeError(f"{marker!r} not seen within {timeout}s")


def stop(pid: int, fd: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            os.read(fd, 65536)
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.02)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    os.close(fd)


def first_frame(argv: list[str], marker: bytes, env: dict[str, str]) -> float:
    spawn_start = time.perf_counter()
    pid, fd = spawn_in_pty(argv, env)
    try:
        read_until(fd, marker, 30)
        return time.perf_counter() - spawn_start
    finally:
        stop(pid, fd)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def wall(argv: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, capture_output=True, check=False, timeout=60)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    args = parser.parse_args()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        log = home / "app.log"
        log.write_text("".join(f"INFO request {i} served in 12 ms\n" for i in range(200)))
        config = home / "config.toml"
        config.write_text(
            f'[environments.production]\nbase_url = "{url}"\n'
            '[[environments.production.health]]\npath = "/health"\n'
            '[[environments.production.health]]\npath = "/api/health/ready"\n'
            f'[[environments.production.logs]]\nfile = "{log}"\n'
        )
        env = {
            **os.environ,
            "TERM": "xterm-256color",
            "XDG_STATE_HOME": str(home / "state"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
            "ONDUTY_CONFIG": str(config),
        }
        bare_script = home / "bare.py"
        bare_script.write_text(BARE_APP)
        onduty = [sys.executable, "-m", "tui.cli"]

        bare = [first_frame([sys.executable, str(bare_script)], b"bare textual ready", env)
                for _ in range(args.runs)]
        ours = [first_frame(onduty, b"production", env) for _ in range(args.runs)]
        filled = [first_frame(onduty, b"request 199 served", env) for _ in range(args.runs)]
        help_time = wall([*onduty, "--help"], env, args.runs)
        check_time = wall([*onduty, "check", f"{url}/health"], env, args.runs)

        pid, fd = spawn_in_pty(onduty, env)
        try:
            read_until(fd, b"production", 30)
            drain = threading.Thread(target=_drain, args=(fd,), daemon=True)
            drain.start()
            time.sleep(3)
            before = cpu_seconds(pid)
            time.sleep(args.idle_seconds)
            idle_pct = (cpu_seconds(pid) - before) / args.idle_seconds * 100
        finally:
            stop(pid, fd)
    server.shutdown()

    bare_ms, ours_ms = statistics.median(bare) * 1000, statistics.median(ours) * 1000
    filled_ms = statistics.median(filled) * 1000
    print(f"first frame       onduty {ours_ms:7.0f} ms   bare Textual {bare_ms:7.0f} ms   "
          f"ratio {ours_ms / bare_ms:.2f}x (target <= 1.5x)")
    print(f"panes filled      onduty {filled_ms:7.0f} ms   (last log line on screen; "
          f"{filled_ms / bare_ms:.2f}x the bare first frame)")
    print(f"onduty --help     {help_time * 1000:7.0f} ms (target < 300 ms)")
    print(f"onduty check URL  {check_time * 1000:7.0f} ms (target < 300 ms)")
    print(f"idle CPU          {idle_pct:7.2f} % of one core over {args.idle_seconds:.0f} s "
          "(target < 1 %)")
    return 0


def _drain(fd: int) -> None:
    """Keep reading the pty so the app never blocks on a full terminal buffer."""
    while True:
        try:
            if not os.read(fd, 65536):
                return
        except OSError:
            return


if __name__ == "__main__":
    sys.exit(main())
