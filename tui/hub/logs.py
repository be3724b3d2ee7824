"""The log tail of the environment being shown."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui.config import Environment, LogSource
from tui.hub.base import Sink

if TYPE_CHECKING:
    from tui.logs.filters import LogFilter
    from tui.logs.parse import LogLine
    from tui.logs.sources import Source
    from tui.logs.tail import LogBatch, LogTail, SourceReport

_FAILING = ("failed", "never connected")
HISTORY_SECONDS = 60


@dataclass(frozen=True)
class LogsOptions:
    """How ``onduty logs`` asked for the tail: read stdin from a duplicated fd (fd 0 is
    the terminal again by then), the line cap, whether commands restart, and the filter
    the pane opens with."""

    stdin_fd: int = 0
    cap: int = 100_000
    restart: bool = True
    initial_filter: LogFilter | None = None


_OPTIONS = LogsOptions()


def set_options(options: LogsOptions) -> None:
    """Set the options of every tail started from now on (the `onduty logs` command)."""
    global _OPTIONS
    _OPTIONS = options


def options() -> LogsOptions:
    return _OPTIONS


@dataclass(frozen=True)
class LogViewData:
    """What the log pane shows: the buffer's lines and each source's state in words.

    ``sources`` is ``(name, state, message)`` per source; ``reports`` carries the rates
    and the per-second line counts; ``error_history`` the per-second error counts.
    """

    sources: tuple[tuple[str, str, str], ...]
    lines: Sequence[LogLine]
    total: int
    dropped: int
    memory_bytes: int
    cap: int = 100_000
    reports: tuple[SourceReport, ...] = ()
    error_history: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    initial_filter: LogFilter | None = None

    def failing(self) -> list[str]:
        """Sources that are down, as "name: what happened"."""
        return [f"{name}: {message}" for name, state, message in self.sources
                if state in _FAILING]


class ErrorHistory:
    """Errors per second per source, from the running totals each batch reports."""

    def __init__(self, seconds: int = HISTORY_SECONDS) -> None:
        self.seconds = seconds
        self._buckets: dict[str, deque[int]] = {}
        self._last_total: dict[str, int] = {}
        self._second = int(time.monotonic())

    def add(self, reports: Sequence[SourceReport], now: float) -> dict[str, tuple[int, ...]]:
        second = int(now)
        passed = min(max(0, second - self._second), self.seconds)
        self._second = max(self._second, second)
        out: dict[str, tuple[int, ...]] = {}
        for report in reports:
            buckets = self._buckets.setdefault(
                report.name, deque([0] * self.seconds, maxlen=self.seconds))
            for _ in range(passed):
                buckets.append(0)
            delta = report.total_errors - self._last_total.get(report.name, 0)
            self._last_total[report.name] = report.total_errors
            buckets[-1] += max(0, delta)
            out[report.name] = tuple(buckets)
        return out


def make_source(spec: LogSource, opts: LogsOptions) -> Source:
    """The running source for a configured one, with the `onduty logs` options applied."""
    from tui.logs.sources import CommandSource, StdinSource, source_from_config

    if spec.kind == "stdin":
        return StdinSource(spec.name, fd=opts.stdin_fd)
    if spec.kind == "command" and not opts.restart:
        return CommandSource(spec.command, spec.name, shell=spec.shell, restart=False)
    return source_from_config(spec)


class LogsHub:
    """Starts a LogTail on the environment's sources; publishes a view per batch."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self._tail: LogTail | None = None
        self._view: LogViewData | None = None
        self._errors = ErrorHistory()

    def view(self) -> LogViewData | None:
        return self._view

    def start(self, env: Environment | None) -> None:
        if env is None or not env.logs:
            return
        from tui.logs.tail import LogTail

        opts = _OPTIONS
        self._errors = ErrorHistory()
        self._tail = LogTail([make_source(s, opts) for s in env.logs], on_batch=self._on_batch,
                             cap=opts.cap)
        self._tail.start()

    async def stop(self) -> None:
        if self._tail is not None:
            tail, self._tail = self._tail, None
            await tail.stop()
        self._view = None
        self.sink.logs_changed.publish(None)
        self.sink.set_problem("logs", None)

    def kill_children(self) -> None:
        if self._tail is not None:
            self._tail.kill_children()

    def _on_batch(self, batch: LogBatch) -> None:
        tail = self._tail
        if tail is None:
            return
        buffer = tail.buffer
        view = LogViewData(
            sources=tuple((s.name, s.status.state.value, s.status.message)
                          for s in batch.sources),
            lines=buffer,
            total=buffer.appended,
            dropped=buffer.dropped,
            memory_bytes=buffer.memory_bytes,
            cap=buffer.cap,
            reports=batch.sources,
            error_history=self._errors.add(batch.sources, time.monotonic()),
            initial_filter=_OPTIONS.initial_filter,
        )
        self._view = view
        self.sink.set_problem("logs", "; ".join(view.failing()) or None)
        self.sink.logs_changed.publish(view)
