"""The ring buffer: cap, dropped counter, O(1) windows, seq lookup and memory figure."""

from __future__ import annotations

import pytest

from tui.logs.buffer import LogBuffer, line_bytes
from tui.logs.parse import Level, LineKind, LogLine


def lines(start: int, count: int, text: str = "line") -> list[LogLine]:
    return [LogLine(seq, "s", 0.0, Level.INFO, LineKind.TEXT, f"{text} {seq}")
            for seq in range(start, start + count)]


def seqs(items: list[LogLine]) -> list[int]:
    return [line.seq for line in items]


def test_fills_then_drops_oldest_and_counts() -> None:
    buffer = LogBuffer(cap=5)
    assert buffer.extend(lines(1, 3)) == 0
    assert seqs(buffer.snapshot()) == [1, 2, 3]
    assert buffer.extend(lines(4, 4)) == 2
    assert seqs(buffer.snapshot()) == [3, 4, 5, 6, 7]
    assert buffer.dropped == 2 and buffer.appended == 7
    assert (buffer.first_seq, buffer.last_seq) == (3, 7)


def test_batch_larger_than_cap_keeps_the_newest() -> None:
    buffer = LogBuffer(cap=4)
    buffer.extend(lines(1, 2))
    assert buffer.extend(lines(3, 10)) == 8
    assert seqs(buffer.snapshot()) == [9, 10, 11, 12]
    assert buffer.dropped == 8


@pytest.mark.parametrize("batch", [1, 3, 7, 10])
def test_random_access_and_slices_match_a_plain_list(batch: int) -> None:
    buffer = LogBuffer(cap=10)
    reference: list[LogLine] = []
    seq = 1
    for _ in range(9):
        new = lines(seq, batch)
        seq += batch
        buffer.extend(new)
        reference = (reference + new)[-10:]
        assert list(buffer) == reference
        assert [buffer[i] for i in range(len(buffer))] == reference
        assert buffer[-1] == reference[-1]
        for start, stop in ((0, 3), (2, 9), (5, 50), (-4, 2), (8, 3)):
            assert buffer.slice(start, stop) == reference[max(0, start):stop]


def test_index_errors() -> None:
    buffer = LogBuffer(cap=3)
    with pytest.raises(IndexError):
        buffer[0]
    buffer.extend(lines(1, 2))
    with pytest.raises(IndexError):
        buffer[2]
    with pytest.raises(ValueError, match="at least 1"):
        LogBuffer(cap=0)


def test_index_of_seq() -> None:
    buffer = LogBuffer(cap=4)
    buffer.extend(lines(1, 6))
    assert buffer.index_of(3) == 0
    assert buffer.index_of(6) == 3
    assert buffer.index_of(2) is None  # dropped
    assert buffer.index_of(99) is None


def test_memory_figure_tracks_held_lines() -> None:
    buffer = LogBuffer(cap=3)
    buffer.extend(lines(1, 3, text="x" * 100))
    full = buffer.memory_bytes
    assert full == sum(line_bytes(line) for line in buffer)
    buffer.extend(lines(4, 2, text="y"))
    assert buffer.memory_bytes == sum(line_bytes(line) for line in buffer)
    assert buffer.memory_bytes < full
    buffer.clear()
    assert len(buffer) == 0 and buffer.memory_bytes == 0 and buffer.dropped == 2
