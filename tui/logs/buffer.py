"""The bounded store of received lines behind the log pane.

A ring with a line cap: when full, the oldest lines drop and are counted, so a flood can
never exhaust memory. Indexing is O(1) (a list used as a ring, not a deque, whose middle
is slow to reach), because a virtual list view asks for arbitrary windows of rows.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence

from tui.logs.parse import LogLine


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
        self._items: list[LogLine] = []
        self._head = 0
        self.dropped = 0
        self.appended = 0
        self.memory_bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> LogLine:  # type: ignore[override]
        size = len(self._items)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("log buffer index out of range")
        return self._items[(self._head + index) % size]

    def __iter__(self) -> Iterator[LogLine]:
        items, head = self._items, self._head
        yield from items[head:]
        yield from items[:head]

    def slice(self, start: int, stop: int) -> list[LogLine]:
        """Lines ``start``..``stop`` (clamped) oldest first: the rows of a view window."""
        size = len(self._items)
        start, stop = max(0, start), min(size, stop)
        if start >= stop:
            return []
        first, last = self._head + start, self._head + stop
        if last <= size:
            return self._items[first:last]
        if first >= size:
            return self._items[first - size : last - size]
        return self._items[first:] + self._items[: last - size]

    def snapshot(self) -> list[LogLine]:
        """A copy of every held line, oldest first, safe to keep while more arrive."""
        return self.slice(0, len(self._items))

    @property
    def first_seq(self) -> int | None:
        return self[0].seq if self._items else None

    @property
    def last_seq(self) -> int | None:
        return self[-1].seq if self._items else None

    def index_of(self, seq: int) -> int | None:
        """Index of the line numbered ``seq``, or None if it was dropped or never held."""
        index = bisect.bisect_left(self, seq, key=_seq)
        if index < len(self._items) and self[index].seq == seq:
            return index
        return None

    def extend(self, lines: Iterable[LogLine]) -> int:
        """Append ``lines`` (in seq order); returns how many older lines were dropped."""
        new = list(lines)
        if not new:
            return 0
        cap = self.cap
        items = self._items
        self.appended += len(new)
        if len(new) >= cap:
            dropped = len(items) + len(new) - cap
            self._items = new[-cap:]
            self._head = 0
            self.memory_bytes = sum(map(line_bytes, self._items))
            self.dropped += dropped
            return dropped
        self.memory_bytes += sum(map(line_bytes, new))
        room = cap - len(items)
        if room:
            items.extend(new[:room])
            new = new[room:]
            if not new:
                return 0
        head, count = self._head, len(new)
        end = head + count
        if end <= cap:
            self.memory_bytes -= sum(map(line_bytes, items[head:end]))
            items[head:end] = new
        else:
            split = cap - head
            self.memory_bytes -= sum(map(line_bytes, items[head:]))
            self.memory_bytes -= sum(map(line_bytes, items[: end - cap]))
            items[head:] = new[:split]
            items[: end - cap] = new[split:]
        self._head = end % cap
        self.dropped += count
        return count

    def clear(self) -> None:
        """Forget every line (the counters of dropped and appended lines stay)."""
        self._items = []
        self._head = 0
        self.memory_bytes = 0


def _seq(line: LogLine) -> int:
    return line.seq
