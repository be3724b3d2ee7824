"""Helpers for the log engine tests: waiting on conditions, collecting output, checking pids."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path

from tui.logs.parse import LineKind
from tui.logs.sources import Chunk, Marker


async def wait_for(
    condition: Callable[[], object], timeout: float = 5.0, message: str = ""
) -> None:
    """Poll ``condition`` every few ms until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message or condition}")
        await asyncio.sleep(0.005)


class Collector:
    """An ``emit`` callback that records what a source produced, in order."""

    def __init__(self) -> None:
        self.items: list[Chunk | Marker] = []

    def __call__(self, item: Chunk | Marker) -> None:
        self.items.append(item)

    @property
    def lines(self) -> list[str]:
        """Display text of every line (markers excluded)."""
        return [text for item in self.items if isinstance(item, Chunk) for text in item.display]

    @property
    def raw(self) -> list[str]:
        return [text for item in self.items if isinstance(item, Chunk) for text in item.raw]

    @property
    def stderr_lines(self) -> list[str]:
        return [t for item in self.items if isinstance(item, Chunk) and item.stderr
                for t in item.display]

    def markers(self, kind: LineKind | None = None) -> list[Marker]:
        return [item for item in self.items
                if isinstance(item, Marker) and (kind is None or item.kind is kind)]

    def sequence(self) -> list[str]:
        """Lines and markers in order; markers as ``<kind>``."""
        out: list[str] = []
        for item in self.items:
            if isinstance(item, Marker):
                out.append(f"<{item.kind.name}>")
            else:
                out.extend(item.display)
        return out


def process_state(pid: int) -> str | None:
    """The /proc state letter of ``pid`` (``Z`` for a zombie), or None if it is gone."""
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
    except FileNotFoundError:
        return None
    return data.rsplit(b")", 1)[1].split()[0].decode()


def is_running(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie (an orphan's zombie is already dead).

    ``os.kill(pid, 0)`` is the first check; /proc tells a zombie from a live process,
    because on this machine PID 1 does not reap orphans.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return process_state(pid) not in (None, "Z", "X")


def group_pids(pgid: int) -> list[int]:
    """Running (non-zombie) processes whose process group is ``pgid``."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_bytes().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            pids.append(int(entry))
    return pids
