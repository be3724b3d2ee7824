"""Real ``keyring`` backends for tests, and a small pty driver for prompts without echo.

Each backend is a genuine ``keyring.backend.KeyringBackend`` subclass, installed with
``keyring.set_keyring`` exactly as a user's configured backend would be. Their priority
raises, so keyring's own detection never picks one of them by accident.
"""

from __future__ import annotations

import contextlib
import os
import pty
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
from jaraco.classes import properties
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError

ROOT = Path(__file__).resolve().parents[2]


class _TestBackend(KeyringBackend):
    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("test backend: installed explicitly with keyring.set_keyring")


class MemoryKeyring(_TestBackend):
    """Holds entries in a dict: the in-process keyring for unit tests."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.entries:
            raise PasswordDeleteError("No such password!")
        del self.entries[(service, username)]


class PlaintextKeyring(MemoryKeyring):
    """Stands for keyrings.alt's PlaintextKeyring: stores, but without encryption."""


class LockedKeyring(_TestBackend):
    """A keyring whose collection stays locked: every call raises ``KeyringLocked``."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("Failed to unlock the collection!")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("Failed to unlock the collection!")


class BlockingKeyring(MemoryKeyring):
    """``get_password`` blocks (like an unlock prompt nobody answers) until ``release``."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self._gate = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.entered.set()
        self._gate.wait()
        return super().get_password(service, username)

    def release(self) -> None:
        self._gate.set()


@contextlib.contextmanager
def installed(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    """Make ``backend`` keyring's active backend for the block, then restore the old one."""
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def secret_cli_command() -> list[str]:
    """argv that runs ``onduty secret ...`` from this checkout (arguments appended)."""
    return [
        sys.executable,
        "-c",
        "import sys; from tui.secret_cli import run_secret; sys.exit(run_secret(sys.argv[1:]))",
    ]


class PtySession:
    """A child process on a pseudo-terminal: wait for text, type lines, collect output."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        master, slave = pty.openpty()
        self._master = master
        self.output = b""
        self.process = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )
        os.close(slave)

    def expect(self, text: str, timeout: float = 10.0) -> None:
        """Read until ``text`` has appeared in the output; fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        while text.encode() not in self.output:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._read(remaining):
                raise AssertionError(f"{text!r} not seen; output so far: {self.output!r}")

    def send(self, line: str) -> None:
        os.write(self._master, line.encode() + b"\r")

    def finish(self, timeout: float = 15.0) -> int:
        """Wait for exit, collecting the rest of the output; return the exit code."""
        deadline = time.monotonic() + timeout
        while self._read(max(0.0, deadline - time.monotonic())):
            pass
        code = self.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        os.close(self._master)
        return code

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self._master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self._master, 4096)
        except OSError:
            return False
        self.output += chunk
        return bool(chunk)
