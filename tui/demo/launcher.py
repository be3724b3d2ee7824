"""Start and stop the demo sandbox from the console's process.

The sandbox runs as a child in its own session (so a terminal's Ctrl-C or a hang-up
reaches the console, which then stops it on purpose) with a pipe on its stdin: if the
console dies, the pipe closes and the sandbox cleans up by itself. ``stop()`` closes
the pipe, terminates the whole process group, kills whatever remains after a deadline
(including a PostgreSQL server left behind in the run dir) and removes the run dir.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import tui
from tui.config import Config, Environment, HealthEndpoint, LogSource
from tui.demo.contract import HEALTH_PATHS, READY_FILE
from tui.errors import OnDutyError

SECRET_NAME = "demo/database_url"
SECRET_ENV = "ONDUTY_SECRET_DEMO_DATABASE_URL"
PROBE_INTERVAL = 5.0
PROBE_TIMEOUT = 5.0
_STOP_DEADLINE = 15.0


@dataclass
class Sandbox:
    """A running sandbox: where its service, logs and database are, and how to stop it."""

    base_url: str
    staging_url: str
    log_file: str
    dsn: str | None
    db_error: str | None
    db_pid: int | None
    run_dir: Path
    process: subprocess.Popen[bytes] = field(repr=False)
    stderr: IO[bytes] = field(repr=False)
    _stopped: bool = field(default=False, repr=False)

    @property
    def pid(self) -> int:
        """The sandbox process (also its process group id)."""
        return self.process.pid

    def config(self) -> Config:
        """The console's config for the sandbox: production and staging, lively probes."""
        production = Environment(
            name="production",
            base_url=self.base_url,
            health=_endpoints(self.base_url),
            logs=(LogSource(name="orders-api", file=self.log_file),),
            database_secret=SECRET_NAME,
        )
        staging = Environment(name="staging", base_url=self.staging_url,
                              health=_endpoints(self.staging_url))
        return Config(environments=(production, staging),
                      incident_store=self.run_dir / "incidents.sqlite3")

    def stop(self) -> None:
        """Stop the sandbox and everything it started, and remove the run dir; idempotent."""
        if self._stopped:
            return
        self._stopped = True
        atexit.unregister(self.stop)
        _terminate(self.process)
        _kill_leftover_servers(self.run_dir)
        shutil.rmtree(self.run_dir, ignore_errors=True)
        self.stderr.close()
        if self.dsn is not None and os.environ.get(SECRET_ENV) == self.dsn:
            del os.environ[SECRET_ENV]


def _endpoints(base_url: str) -> tuple[HealthEndpoint, ...]:
    return tuple(
        HealthEndpoint(name=path, url=base_url + path, interval=PROBE_INTERVAL,
                       timeout=PROBE_TIMEOUT)
        for path in HEALTH_PATHS
    )


def start_sandbox(timeout: float = 60, *, with_db: bool = True) -> Sandbox:
    """Start the sandbox process and wait (at most ``timeout`` s) until it is ready.

    The database URL is published as the secret ``demo/database_url`` through the
    environment-variable fallback, so nothing is written to the keyring.
    """
    run_dir = Path(tempfile.mkdtemp(prefix="onduty-demo-"))
    # Anonymous, so nothing is left on disk; the sandbox's stderr is read only on failure.
    stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed by Sandbox.stop()
    env = dict(os.environ)
    project_root = str(Path(tui.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (project_root, env.get("PYTHONPATH")) if p)
    args = [sys.executable, "-m", "tui.demo.sandbox", str(run_dir)]
    if not with_db:
        args.append("--no-db")
    try:
        process = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr,
            start_new_session=True, env=env, close_fds=True,
        )
    except OSError as exc:
        stderr.close()
        shutil.rmtree(run_dir, ignore_errors=True)
        raise OnDutyError(f"could not start the demo sandbox: {exc}") from None
    try:
        ready = _wait_ready(run_dir / READY_FILE, process, stderr, timeout)
    except BaseException:
        _terminate(process)
        _kill_leftover_servers(run_dir)
        shutil.rmtree(run_dir, ignore_errors=True)
        stderr.close()
        raise
    sandbox = Sandbox(
        base_url=ready["base_url"], staging_url=ready["staging_url"],
        log_file=ready["log_file"], dsn=ready.get("dsn"), db_error=ready.get("db_error"),
        db_pid=ready.get("db_pid"), run_dir=run_dir, process=process, stderr=stderr,
    )
    atexit.register(sandbox.stop)
    if sandbox.dsn is not None:
        os.environ[SECRET_ENV] = sandbox.dsn
    return sandbox


def _wait_ready(
    path: Path, process: subprocess.Popen[bytes], stderr: IO[bytes], timeout: float
) -> dict[str, Any]:
    """Poll for the sandbox's ready file; fail early if the sandbox exits."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("base_url"):
                return data
        if process.poll() is not None:
            raise OnDutyError(
                f"the demo sandbox exited (status {process.returncode}) before it was ready: "
                f"{_tail(stderr)}"
            )
        if time.monotonic() > deadline:
            raise OnDutyError(
                f"the demo sandbox was not ready within {timeout:g} s: {_tail(stderr)}"
            )
        time.sleep(0.05)


def _tail(stderr: IO[bytes], limit: int = 2000) -> str:
    """The end of the sandbox's stderr, as one readable line."""
    with contextlib.suppress(OSError, ValueError):
        stderr.seek(0)
        text = stderr.read().decode("utf-8", errors="replace").strip()
        return " | ".join(text[-limit:].splitlines()) or "(no error output)"
    return "(no error output)"


def _terminate(process: subprocess.Popen[bytes]) -> None:
    """Close stdin, SIGTERM the group, wait, then SIGKILL the group."""
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
    group = process.pid
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_DEADLINE
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=_STOP_DEADLINE)
    while _group_alive(group) and time.monotonic() < deadline:
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _kill_leftover_servers(run_dir: Path) -> None:
    """Kill a PostgreSQL server whose data dir is still in ``run_dir`` (its own group)."""
    for pid_file in run_dir.glob("*/data/postmaster.pid"):
        try:
            pid = int(pid_file.read_text().split()[0])
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
        except (OSError, ValueError, IndexError):
            continue
        if comm in ("postgres", "postmaster"):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
