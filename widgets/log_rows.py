"""The rows the log view shows: the buffer seen through the current filter, kept up to date
incrementally.

The engine's buffer is a ring that changes under the reader; the view keeps its own list
of rows (references to the same immutable ``LogLine`` objects) so that a frame is always
drawn from one consistent state and a paused view stays still. Each update filters only
the lines that arrived since the last one (plus the ``2 x context`` lines before them, so
``grep -C`` context that straddles two updates comes out the same as a full pass; only
at the very front, once the ring has dropped a match, may its context lines stay a
little longer than a fresh pass would keep them).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from tui.logs.filters import LogFilter
from tui.logs.parse import LogLine


def _seq(line: LogLine) -> int:
    return line.seq


def first_index_after(lines: Sequence[LogLine], seq: int) -> int:
    """Index of the first line of ``lines`` (ordered by seq) numbered above ``seq``."""
    return bisect.bisect_right(lines, seq, key=_seq)


class LogRows:
    """The filtered rows of a log buffer: ``lines[i]`` with ``matches[i]`` (a filter hit).

    ``update(buffer)`` takes in what arrived since the last call and forgets rows the
    buffer has dropped; ``rebuild(buffer)`` starts over (after the filter changed).
    """

    def __init__(self, log_filter: LogFilter | None = None) -> None:
        self.filter = log_filter or LogFilter()
        self.lines: list[LogLine] = []
        self.matches: list[bool] = []
        self.last_seq = 0

    def __len__(self) -> int:
        return len(self.lines)

    def rebuild(self, buffer: Sequence[LogLine]) -> None:
        """Filter every line of ``buffer`` again."""
        self.lines = []
        self.matches = []
        self.last_seq = 0
        self.update(buffer)

    def update(self, buffer: Sequence[LogLine]) -> int:
        """Add the lines of ``buffer`` newer than the last update; returns how many rows
        were forgotten at the front (because the buffer dropped their lines)."""
        forgotten = self._trim(buffer)
        if not len(buffer):
            return forgotten
        start = first_index_after(buffer, self.last_seq)
        if start >= len(buffer):
            return forgotten
        context = self.filter.context if self.filter.active else 0
        window_start = max(0, start - 2 * context)
        window = _slice(buffer, window_start, len(buffer))
        cutoff = 0 if window_start == 0 else min(context, start - window_start)
        cutoff_seq = window[cutoff].seq
        keep = bisect.bisect_left(self.lines, cutoff_seq, key=_seq)
        del self.lines[keep:]
        del self.matches[keep:]
        if not self.filter.active:
            fresh = window[cutoff:]
            self.lines.extend(fresh)
            self.matches.extend([False] * len(fresh))
        else:
            for index, matched in self.filter.select(window):
                if index >= cutoff:
                    self.lines.append(window[index])
                    self.matches.append(matched)
        self.last_seq = window[-1].seq
        return forgotten

    def _trim(self, buffer: Sequence[LogLine]) -> int:
        if not len(buffer):
            count = len(self.lines)
            self.lines.clear()
            self.matches.clear()
            return count
        first = buffer[0].seq
        if not self.lines or self.lines[0].seq >= first:
            return 0
        count = bisect.bisect_left(self.lines, first, key=_seq)
        del self.lines[:count]
        del self.matches[:count]
        return count

    def index_of(self, seq: int) -> int:
        """Index of the row numbered ``seq``, or of the first row after it."""
        return bisect.bisect_left(self.lines, seq, key=_seq)

    def next_match(self, start: int, step: int) -> int | None:
        """The nearest row after (``step`` 1) or before (-1) ``start`` that is a hit."""
        matches = self.matches
        index = start + step
        while 0 <= index < len(matches):
            if matches[index]:
                return index
            index += step
        return None


def _slice(buffer: Sequence[LogLine], start: int, stop: int) -> Sequence[LogLine]:
    """Lines ``start..stop`` of ``buffer``: a run without an object per line when the
    buffer offers one (only the rows kept become ``LogLine`` views)."""
    window = getattr(buffer, "window", None)
    if window is not None:
        return window(start, stop)
    return list(buffer[start:stop])
