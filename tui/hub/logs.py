"""The log tail of the environment being shown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.config import Environment
from tui.hub.base import Sink

if TYPE_CHECKING:
    from tui.logs.parse import LogLine
    from tui.logs.tail import LogBatch, LogTail

_FAILING = ("failed", "never connected")


@dataclass(frozen=True)
class LogViewData:
    """What the log pane shows: the buffer's lines and each source's state in words."""

    sources: tuple[tuple[str, str, str], ...]
    lines: Sequence[LogLine]
    total: int
    dropped: int
    memory_bytes: int

    def failing(self) -> list[str]:
        """Sources that are down, as "name: what happened"."""
        return [f"{name}: {message}" for name, state, message in self.sources
                if state in _FAILING]


class LogsHub:
    """Starts a LogTail on the environment's sources; publishes a view per batch."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self._tail: LogTail | None = None
        self._view: LogViewData | None = None

    def view(self) -> LogViewData | None:
        return self._view

    def start(self, env: Environment | None) -> None:
        if env is None or not env.logs:
            return
        from tui.logs.sources import source_from_config
        from tui.logs.tail import LogTail

        self._tail = LogTail([source_from_config(s) for s in env.logs], on_batch=self._on_batch)
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
        )
        self._view = view
        self.sink.set_problem("logs", "; ".join(view.failing()) or None)
        self.sink.logs_changed.publish(view)
