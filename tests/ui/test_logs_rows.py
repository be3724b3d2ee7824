"""The view's rows: filtering only what arrived must give exactly what one full pass over
the buffer gives (context straddling two updates included), while the ring drops lines."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.logs.buffer import LogBuffer
from tui.logs.filters import LogFilter
from tui.logs.parse import Level, LineKind, LogLine
from widgets.log_rows import LogRows

WORDS = ("ok", "error", "auth", "slow 1500ms", "db")


def make_line(seq: int, word: str) -> LogLine:
    kind = LineKind.GAP if word == "gap" else LineKind.TEXT
    level = Level.ERROR if word == "error" else Level.INFO
    return LogLine(seq, "api", 0.0, level, kind, f"{seq} {word}")


@settings(max_examples=200, deadline=None)
@given(
    batches=st.lists(st.lists(st.sampled_from((*WORDS, "gap")), max_size=12), max_size=12),
    context=st.sampled_from((0, 1, 2, 3)),
    pattern=st.sampled_from(("", "error", "auth|db")),
    highlight=st.booleans(),
    cap=st.sampled_from((5, 17, 1000)),
)
def test_incremental_rows_equal_a_full_pass(batches: list[list[str]], context: int,
                                            pattern: str, highlight: bool, cap: int) -> None:
    log_filter = LogFilter(pattern=pattern, context=context, highlight_only=highlight)
    buffer = LogBuffer(cap)
    rows = LogRows(log_filter)
    seq = 1
    for batch in batches:
        buffer.extend(make_line(seq + i, word) for i, word in enumerate(batch))
        seq += len(batch)
        rows.update(buffer)
        full = LogRows(log_filter)
        full.rebuild(buffer)
        # Once the ring drops lines, a context line may outlive its match by up to
        # ``context`` lines at the very front; from there on both agree exactly.
        start = buffer[0].seq + (context if buffer.dropped else 0) if len(buffer) else 0
        assert _rows(rows, start) == _rows(full, start)
        assert all(line.seq >= buffer[0].seq for line in rows.lines)


def _rows(rows: LogRows, start: int) -> list[tuple[int, bool]]:
    return [(line.seq, matched) for line, matched in zip(rows.lines, rows.matches, strict=True)
            if line.seq >= start]


def test_trim_counts_rows_dropped_by_the_ring() -> None:
    buffer = LogBuffer(4)
    rows = LogRows()
    buffer.extend(make_line(i, "ok") for i in range(1, 5))
    assert rows.update(buffer) == 0
    buffer.extend(make_line(i, "ok") for i in range(5, 7))
    assert rows.update(buffer) == 2
    assert [line.seq for line in rows.lines] == [3, 4, 5, 6]


def test_next_match_walks_hits_both_ways() -> None:
    buffer = LogBuffer(100)
    buffer.extend(make_line(i, w) for i, w in enumerate(["ok", "error", "ok", "error"], 1))
    rows = LogRows(LogFilter(pattern="error", highlight_only=True))
    rows.update(buffer)
    assert rows.next_match(-1, 1) == 1
    assert rows.next_match(1, 1) == 3
    assert rows.next_match(3, 1) is None
    assert rows.next_match(3, -1) == 1
