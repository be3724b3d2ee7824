"""Helpers for the log pane's Pilot tests: a buffer fed with parsed lines, published as
the hub publishes it, and waiting on the pane without sleeping."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from tui.app import OnDutyApp, create_app
from tui.config import parse_config
from tui.hub import LogViewData
from tui.logs.buffer import LogBuffer
from tui.logs.parse import LineKind, marker_line, parse_lines
from tui.logs.sources import LineAssembler

ONE_SOURCE = """
[environments.production]
base_url = "http://127.0.0.1:9"
[[environments.production.logs]]
name = "api"
file = "/nonexistent/api.log"
"""


class FakeTail:
    """A LogBuffer fed by hand, published to the app the way LogsHub does it."""

    def __init__(self, app: OnDutyApp, *, cap: int = 100_000,
                 sources: Sequence[tuple[str, str, str]] = (("api", "connected", "connected"),),
                 ) -> None:
        self.app = app
        self.buffer = LogBuffer(cap)
        self.sources = tuple(sources)
        self.next_seq = 1
        self.view: LogViewData | None = None
        # The wiring fills a screen from the app's latest view when it is shown again
        # (after a dialog): answer with what this fake published.
        app.log_view = lambda: self.view  # type: ignore[method-assign]

    def add(self, lines: Sequence[str], *, source: str = "api") -> None:
        chunk = LineAssembler().feed("".join(f"{line}\n" for line in lines).encode())
        assert chunk is not None
        parsed = parse_lines(chunk.raw, chunk.display, source=source, seq=self.next_seq,
                             received=time.time())
        self.next_seq += len(parsed)
        self.buffer.extend(parsed)

    def marker(self, kind: LineKind, text: str, *, source: str = "api") -> None:
        self.buffer.extend([marker_line(kind, text, source=source, seq=self.next_seq,
                                        received=time.time())])
        self.next_seq += 1

    def publish(self) -> LogViewData:
        buffer = self.buffer
        view = LogViewData(sources=self.sources, lines=buffer, total=buffer.appended,
                           dropped=buffer.dropped, memory_bytes=buffer.memory_bytes,
                           cap=buffer.cap)
        self.view = view
        self.app.logs_changed.publish(view)
        return view


def make_log_app(tmp_path: Path, source: str = ONE_SOURCE) -> OnDutyApp:
    config = parse_config(source, tmp_path / "config.toml")
    return create_app(config, engines=False, state_file=tmp_path / "state.json",
                      initial_mode="logs")


def screen_text(app: OnDutyApp) -> str:
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


async def wait_for(condition: Callable[[], object], timeout: float = 5.0,
                   message: str = "") -> None:
    """Poll ``condition`` every few ms until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for "
                                 f"{message or condition}")
        await asyncio.sleep(0.01)
