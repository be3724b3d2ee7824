"""Run several log sources at once and deliver their lines in rate-limited batches.

``LogTail`` numbers, parses and buffers every line as it arrives, but tells its owner
about them at most every ``flush_interval`` seconds: a flood of 50,000 lines a second
becomes about ten ``LogBatch`` calls, never one call per line, so the UI stays
responsive and the terminal is not flooded with redraws. When nothing arrives it sleeps
until something does (or a status or heartbeat is due), so an idle console stays idle.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tui.logs.buffer import LogBuffer
from tui.logs.parse import (
    Level,
    LineKind,
    LineRun,
    LogLine,
    count_at_least,
    marker_line,
    parse_run,
)
from tui.logs.sources import Chunk, Marker, Source, SourceStatus

HISTORY_SECONDS = 60


@dataclass(frozen=True, slots=True)
class SourceReport:
    """One source's label, status and rates, for the pane header and its sparkline."""

    name: str
    kind: str
    status: SourceStatus
    lines_per_s: float
    errors_per_s: float
    total_lines: int
    total_errors: int
    history: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class LogBatch:
    """What arrived since the last batch, and the state of every source.

    ``lines`` holds at most the buffer's cap (a ``LineRun``: views are made as they are
    read); ``skipped`` counts lines that arrived and were pushed out of the buffer before
    they could be delivered (a flood beyond cap).
    """

    lines: Sequence[LogLine]
    sources: tuple[SourceReport, ...]
    total: int
    dropped: int
    skipped: int
    memory_bytes: int


class RateMeter:
    """Lines and errors per second, in one-second buckets kept for a sparkline.

    Buckets are counted from the meter's creation, so the first one is a whole second.
    """

    def __init__(self, seconds: int = HISTORY_SECONDS) -> None:
        self.lines: deque[int] = deque([0] * seconds, maxlen=seconds)
        self.errors: deque[int] = deque([0] * seconds, maxlen=seconds)
        self.total_lines = 0
        self.total_errors = 0
        self._origin = time.monotonic()
        self._second = 0
        self._now_lines = 0
        self._now_errors = 0

    def add(self, lines: int, errors: int, now: float) -> None:
        self.roll(now)
        self._now_lines += lines
        self._now_errors += errors
        self.total_lines += lines
        self.total_errors += errors

    def roll(self, now: float) -> None:
        """Close the buckets of the seconds that have passed."""
        second = int(now - self._origin)
        if second <= self._second:
            return
        for _ in range(min(second - self._second, self.lines.maxlen or 1)):
            self.lines.append(self._now_lines)
            self.errors.append(self._now_errors)
            self._now_lines = self._now_errors = 0
        self._second = second

    def rates(self, now: float) -> tuple[float, float]:
        """Lines/s and errors/s over the last complete second."""
        self.roll(now)
        return float(self.lines[-1]), float(self.errors[-1])


class LogTail:
    """Run ``sources``; parse, number and buffer their lines; call ``on_batch`` in batches.

    ``start()`` needs a running loop. ``stop()`` stops every source (killing command
    process groups) and delivers a last batch. ``kill_children()`` is the synchronous
    version for a SIGHUP handler.
    """

    def __init__(
        self,
        sources: Sequence[Source],
        *,
        on_batch: Callable[[LogBatch], None],
        cap: int = 100_000,
        flush_interval: float = 0.1,
        heartbeat: float = 1.0,
    ) -> None:
        names = [source.name for source in sources]
        if len(set(names)) != len(names):
            raise ValueError(f"log sources need distinct names, got {names}")
        self.sources = tuple(sources)
        self.on_batch = on_batch
        self.buffer = LogBuffer(cap)
        self.flush_interval = flush_interval
        self.heartbeat = heartbeat
        self.batches = 0
        self.wakeups = 0
        self._next_seq = 1
        self._pending: list[LineRun] = []
        self._pending_count = 0
        self._skipped = 0
        self._meters = {source.name: RateMeter() for source in sources}
        self._flusher: asyncio.Task[None] | None = None
        self._last_reports: tuple[tuple[str, SourceStatus], ...] = ()
        self._last_call = 0.0
        self._arrived = asyncio.Event()

    # -- lifecycle

    def start(self) -> None:
        """Start every source and the batch flusher (call from within the running loop)."""
        if self._flusher is not None:
            return
        for source in self.sources:
            source.start(self._receiver(source))
        self._flusher = asyncio.get_running_loop().create_task(self._flush_loop(),
                                                               name="log tail flusher")

    async def stop(self) -> None:
        """Stop all sources (process groups killed and reaped), then flush a last batch."""
        await asyncio.gather(*(source.stop() for source in self.sources))
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        self.flush(force=True)

    def kill_children(self) -> None:
        """Kill every command's process group now, synchronously (for SIGHUP/SIGTERM)."""
        for source in self.sources:
            source.kill_now()

    # -- ingest

    def _receiver(self, source: Source) -> Callable[[Chunk | Marker], None]:
        meter = self._meters[source.name]
        name = source.name

        def receive(item: Chunk | Marker) -> None:
            if isinstance(item, Marker):
                lines = LineRun.of([marker_line(item.kind, item.text, source=name,
                                                seq=self._next_seq, received=item.received)])
            else:
                lines = parse_run(
                    item.raw, item.display, source=name, seq=self._next_seq,
                    received=item.received,
                    kind=LineKind.STDERR if item.stderr else LineKind.TEXT, plain=item.plain,
                    suspects=item.suspects,
                )
                meter.add(len(lines), count_at_least(lines, Level.ERROR), time.monotonic())
            self._next_seq += len(lines)
            self._append(lines)

        return receive

    def _append(self, lines: LineRun) -> None:
        self.buffer.extend(lines)
        self._pending.append(lines)
        self._pending_count += len(lines)
        cap = self.buffer.cap
        if self._pending_count > 2 * cap:
            kept = self._pending_run()[-cap:]
            self._skipped += self._pending_count - cap
            self._pending = [kept]
            self._pending_count = cap
        self._arrived.set()

    def _pending_run(self) -> LineRun:
        """Every pending line as one run."""
        if len(self._pending) == 1:
            return self._pending[0]
        run = LineRun()
        for part in self._pending:
            run.blocks.extend(part.blocks)
            run.indexes.extend(part.indexes)
        return run

    # -- delivery

    async def _flush_loop(self) -> None:
        """Sleep until lines arrive (or the next status check is due), then let
        ``flush_interval`` pass so that a flood is delivered in few batches."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), self._idle_wait())
            self.wakeups += 1
            if self._arrived.is_set():
                await asyncio.sleep(self.flush_interval)
                self._arrived.clear()
            self.flush()

    def _idle_wait(self) -> float:
        """How long to sleep when no line arrives: until the heartbeat, and at most a
        second, because sources change status on their own (quiet, restarting in N s)."""
        return max(self.flush_interval, min(1.0, self.heartbeat))

    def flush(self, *, force: bool = False) -> bool:
        """Deliver a batch now if lines arrived, a status changed or a heartbeat is due."""
        now = time.monotonic()
        # Cheap check first: this runs every flush_interval, mostly to find nothing to say.
        statuses = tuple((source.name, source.status) for source in self.sources)
        if not (force or self._pending or statuses != self._last_reports
                or now - self._last_call >= self.heartbeat):
            return False
        reports = self.reports(now)
        pending = self._pending_run()
        cap = self.buffer.cap
        skipped = self._skipped + max(0, len(pending) - cap)
        batch = LogBatch(
            lines=pending[-cap:],
            sources=reports,
            total=len(self.buffer),
            dropped=self.buffer.dropped,
            skipped=skipped,
            memory_bytes=self.buffer.memory_bytes,
        )
        self._pending = []
        self._pending_count = 0
        self._skipped = 0
        self._last_reports = statuses
        self._last_call = now
        self.batches += 1
        try:
            self.on_batch(batch)
        except Exception as exc:  # a broken consumer must not stop the tail
            asyncio.get_running_loop().call_exception_handler(
                {"message": "log batch consumer failed", "exception": exc}
            )
        return True

    def reports(self, now: float | None = None) -> tuple[SourceReport, ...]:
        """Status and rates of every source."""
        now = time.monotonic() if now is None else now
        out = []
        for source in self.sources:
            meter = self._meters[source.name]
            lines_per_s, errors_per_s = meter.rates(now)
            out.append(SourceReport(
                source.name, source.kind, source.status, lines_per_s, errors_per_s,
                meter.total_lines, meter.total_errors, tuple(meter.lines),
            ))
        return tuple(out)
