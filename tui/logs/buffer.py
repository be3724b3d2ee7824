"""The bounded store of received lines behind the log pane.

A ring with a line cap: when full, the oldest lines drop and are counted, so a flood can
never exhaust memory. Indexing is O(1) (lists used as a ring, not a deque, whose middle
is slow to reach), because a virtual list view asks for arbitrary windows of rows. A
line is held as its packed block and its index in it (a list entry and a byte), not as
an object: ``LogLine`` views are made for the lines that are looked at.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterable, Iterator, Sequence

from tui.logs.parse import LineRun, LogLine


def line_bytes(line: LogLine) -> int:
    """Approximate memory held by ``line`` (its object, characters and any separate raw)."""
    return line.footprint


class LogBuffer(Sequence[LogLine]):
    """Ring buffer of the last ``cap`` lines, oldest first.

    ``dropped`` counts lines pushed out by newer ones; ``memory_bytes`` is an estimate
    of what the held lines cost, for the pane's footer.
    """

    def __init__(self, cap: int = 100_000) -> None:
        if cap < 1:
            raise ValueError("the line cap must be at least 1")
        self.cap = cap
        self._blocks: list[object] = []  # the block of each held line (see parse.LineRun)
        self._indexes = array("B")  # and its index in that block
        self._head = 0
        self.dropped = 0
        self.appended = 0
        self.memory_bytes = 0

    def __len__(self) -> int:
        return len(self._blocks)

    def __getitem__(self, index: int) -> LogLine:  # type: ignore[override]
        size = len(self._blocks)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("log buffer index out of range")
        return LineRun(self._blocks, self._indexes)[(self._head + index) % size]

    def __iter__(self) -> Iterator[LogLine]:
        return iter(self.window(0, len(self._blocks)))

    def window(self, start: int, stop: int) -> LineRun:
        """Lines ``start``..``stop`` (clamped) oldest first, as a run (no object per line)."""
        size = len(self._blocks)
        start, stop = max(0, start), min(size, stop)
        if start >= stop:
            return LineRun()
        first, last = self._head + start, self._head + stop
        blocks, indexes = self._blocks, self._indexes
        if last <= size:
            return LineRun(blocks[first:last], indexes[first:last])
        if first >= size:
            return LineRun(blocks[first - size : last - size], indexes[first - size : last - size])
        return LineRun(blocks[first:] + blocks[: last - size],
                       indexes[first:] + indexes[: last - size])

    def slice(self, start: int, stop: int) -> list[LogLine]:
        """Lines ``start``..``stop`` (clamped) oldest first: the rows of a view window."""
        return list(self.window(start, stop))

    def snapshot(self) -> list[LogLine]:
        """A copy of every held line, oldest first, safe to keep while more arrive."""
        return self.slice(0, len(self._blocks))

    @property
    def first_seq(self) -> int | None:
        return self[0].seq if self._blocks else None

    @property
    def last_seq(self) -> int | None:
        return self[-1].seq if self._blocks else None

    def index_of(self, seq: int) -> int | None:
        """Index of the line numbered ``seq``, or None if it was dropped or never held."""
        index = bisect.bisect_left(self, seq, key=_seq)
        if index < len(self._blocks) and self[index].seq == seq:
            return index
        return None

    def extend(self, lines: Iterable[LogLine]) -> int:
        """Append ``lines`` (in seq order); returns how many older lines were dropped."""
        new = LineRun.of(lines)
        count = len(new)
        if not count:
            return 0
        cap = self.cap
        blocks, indexes = self._blocks, self._indexes
        self.appended += count
        if count >= cap:
            dropped = len(blocks) + count - cap
            kept = new[-cap:]
            self._blocks, self._indexes = kept.blocks, kept.indexes
            self._head = 0
            self.memory_bytes = kept.footprint
            self.dropped += dropped
            return dropped
        self.memory_bytes += new.footprint
        room = cap - len(blocks)
        if room:
            blocks.extend(new.blocks[:room])
            indexes.extend(new.indexes[:room])
            if count <= room:
                return 0
            new = new[room:]
            count = len(new)
        head = self._head
        end = head + count
        if end <= cap:
            self.memory_bytes -= LineRun(blocks[head:end], indexes[head:end]).footprint
            blocks[head:end] = new.blocks
            indexes[head:end] = new.indexes
        else:
            split = cap - head
            self.memory_bytes -= LineRun(blocks[head:], indexes[head:]).footprint
            self.memory_bytes -= LineRun(blocks[: end - cap], indexes[: end - cap]).footprint
            blocks[head:] = new.blocks[:split]
            indexes[head:] = new.indexes[:split]
            blocks[: end - cap] = new.blocks[split:]
            indexes[: end - cap] = new.indexes[split:]
        self._head = end % cap
        self.dropped += count
        return count

    def clear(self) -> None:
        """Forget every line (the counters of dropped and appended lines stay)."""
        self._blocks = []
        self._indexes = array("B")
        self._head = 0
        self.memory_bytes = 0


def _seq(line: LogLine) -> int:
    return line.seq
