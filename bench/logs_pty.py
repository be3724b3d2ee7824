"""Shared by the bench/logs_*.py benchmarks: run a program under a pseudo-terminal of a
fixed size, drain and count everything it writes to the terminal, type keys into it, and
install toolong (the peer) into its own virtual environment under bench/.peers/.

Not a benchmark itself.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import random
import shutil
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / "bench" / ".peers"
TOOLONG_VENV = PEERS / "toolong"
ERRORS_RE = "error|exception|failed"


class PtyProgram:
    """A program on its own pty; a thread drains the output and counts the bytes."""

    def __init__(self, argv: Sequence[str], *, cols: int = 120, rows: int = 40,
                 env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        full_env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        full_env.update({"TERM": "xterm-256color", "PYTHONPATH": str(ROOT)})
        full_env.update(env or {})
        self.process = subprocess.Popen(
            list(argv), stdin=slave, stdout=slave, stderr=slave, env=full_env, cwd=cwd,
            start_new_session=True, close_fds=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        os.close(slave)
        self.master = master
        self.total = 0
        self._tail = b""
        self._found: dict[bytes, float] = {}
        self._wanted: set[bytes] = set()
        self._marks: list[tuple[float, int]] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.master, 1 << 16)
            except OSError:
                return
            if not data:
                return
            now = time.monotonic()
            with self._lock:
                self.total += len(data)
                window = self._tail + data
                for wanted in list(self._wanted):
                    if wanted in window:
                        self._found[wanted] = now
                        self._wanted.discard(wanted)
                self._tail = window[-4096:]

    def expect(self, text: str) -> None:
        """Start looking for ``text`` in the output (call before causing it)."""
        with self._lock:
            self._wanted.add(text.encode())
            self._found.pop(text.encode(), None)

    def wait(self, text: str, timeout: float) -> float:
        """The monotonic time ``text`` was seen (``expect`` it first); raises on timeout."""
        key = text.encode()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if key in self._found:
                    return self._found[key]
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.process.args[0]} exited ({self.process.returncode})"
                                   f" before showing {text!r}: ...{self._tail[-600:]!r}")
            time.sleep(0.002)
        raise TimeoutError(f"{text!r} not seen within {timeout} s; last output: "
                           f"...{self._tail[-600:]!r}")

    def send(self, keys: str | bytes) -> None:
        os.write(self.master, keys.encode() if isinstance(keys, str) else keys)

    def rss_peak_kb(self) -> int:
        """Peak RSS (VmHWM) of the program and every descendant, summed, in KiB."""
        return sum(_hwm(pid) for pid in [self.process.pid, *_descendants(self.process.pid)])

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        with contextlib.suppress(OSError):
            os.close(self.master)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _hwm(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def onduty_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "tui.cli", "logs", *args]


def toolong() -> Path:
    """The `tl` of toolong in bench/.peers/toolong, installed on first use."""
    tl = TOOLONG_VENV / "bin" / "tl"
    if not tl.exists():
        print("installing toolong into bench/.peers/toolong (it pins an older Textual)...",
              file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(TOOLONG_VENV)], check=True)
        subprocess.run([str(TOOLONG_VENV / "bin" / "pip"), "install", "-q", "toolong"],
                       check=True)
    return tl


def grep_path() -> str:
    found = shutil.which("grep")
    if found is None:
        raise SystemExit("grep is not installed")
    return found


def sample_lines(count: int, seed: int = 7) -> list[bytes]:
    """Express/pino-shaped lines like the seeds' services write (~10% errors)."""
    rng = random.Random(seed)
    paths = ["/api/users", "/api/orders", "/api/health/ready", "/db/ping", "/api/login"]
    out = []
    for n in range(count):
        roll = rng.random()
        stamp = f"2024-05-01T10:{n // 60000 % 60:02d}:{n // 1000 % 60:02d}.{n % 1000:03d}Z"
        if roll < 0.05:
            out.append(f"{stamp} ERROR database query failed: connection {n % 97} reset by "
                       f"peer after {rng.randint(1, 5000)} ms\n".encode())
        elif roll < 0.10:
            out.append(('{"level":50,"time":' + str(1714557600000 + n) + ',"pid":42,'
                        '"hostname":"api-1","msg":"payment failed","orderId":"' + f"{n:08x}"
                        + '","responseTime":' + str(rng.randint(5, 3000)) + "}\n").encode())
        elif roll < 0.20:
            out.append(('{"level":30,"time":' + str(1714557600000 + n) + ',"pid":42,'
                        '"hostname":"api-1","msg":"request completed","req":{"method":"GET",'
                        '"url":"' + rng.choice(paths) + '"},"responseTime":'
                        + str(rng.randint(1, 900)) + "}\n").encode())
        else:
            out.append(f"{stamp} INFO GET {rng.choice(paths)}/{n % 1000} 200 "
                       f"{rng.randint(1, 900)}ms - request served\n".encode())
    return out


GENERATOR = r"""
import os, sys, time
path, go, count, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
data = open(path, 'rb').read()
while not os.path.exists(go):
    time.sleep(0.005)
out = sys.stdout.buffer
if rate <= 0:
    out.write(data)
    out.flush()
else:
    lines = data.splitlines(keepends=True)
    start = time.monotonic()
    step = max(1, int(rate / 100))
    for i in range(0, len(lines), step):
        out.write(b''.join(lines[i:i + step]))
        out.flush()
        delay = start + (i + step) / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
while True:
    time.sleep(3600)
"""


def write_generator(directory: Path) -> Path:
    """A script that waits for a go-file, then writes a prepared file to stdout (all at
    once, or at ``rate`` lines/s), then stays alive so no tool sees the source end."""
    script = directory / "generate.py"
    script.write_text(GENERATOR)
    return script


def ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}x" if theirs else "n/a"
