"""Line assembly: chunk boundaries, CRLF, huge lines, invalid UTF-8 and escape sequences."""

from __future__ import annotations

import pytest

from tui.logs.parse import parse_lines
from tui.logs.sources import Chunk, LineAssembler, human_size


def feed_all(assembler: LineAssembler, *parts: bytes, eof: bool = True) -> list[str]:
    out: list[str] = []
    for part in parts:
        chunk = assembler.feed(part)
        if chunk is not None:
            out.extend(chunk.display)
    if eof:
        chunk = assembler.flush()
        if chunk is not None:
            out.extend(chunk.display)
    return out


def test_partial_lines_are_held_until_complete() -> None:
    assembler = LineAssembler()
    assert assembler.feed(b"hel") is None
    assert assembler.pending == 3
    chunk = assembler.feed(b"lo\nwor")
    assert chunk is not None and chunk.display == ["hello"]
    chunk = assembler.feed(b"ld\n")
    assert chunk is not None and chunk.display == ["world"]
    assert assembler.flush() is None


def test_partial_line_is_flushed_at_eof() -> None:
    assert feed_all(LineAssembler(), b"a\nlast without newline") == ["a", "last without newline"]


def test_crlf_is_stripped_even_across_chunks() -> None:
    assert feed_all(LineAssembler(), b"one\r\ntwo\r", b"\nthree\r\n") == ["one", "two", "three"]


def test_empty_lines_survive() -> None:
    assert feed_all(LineAssembler(), b"a\n\nb\n") == ["a", "", "b"]


def test_ten_megabyte_line_is_truncated_without_holding_it() -> None:
    assembler = LineAssembler(max_line=64 * 1024)
    size = 10 * 1024 * 1024
    block = b"x" * 65536
    out: list[str] = []
    for _ in range(size // len(block)):
        chunk = assembler.feed(block)
        assert chunk is None
        assert assembler.pending <= 64 * 1024  # never more than the kept head
    chunk = assembler.feed(b"\nnext line\n")
    assert chunk is not None
    out.extend(chunk.display)
    assert len(out) == 2
    assert out[0].startswith("x" * 100)
    assert out[0].endswith(" … [truncated 10.0 MB]")
    assert len(out[0]) < 64 * 1024 + 40
    assert out[1] == "next line"


def test_long_line_inside_one_chunk_is_truncated() -> None:
    out = feed_all(LineAssembler(max_line=10), b"short\n" + b"y" * 50 + b"\nafter\n")
    assert out == ["short", "y" * 10 + " … [truncated 50 B]", "after"]


def test_long_line_at_eof_is_truncated() -> None:
    out = feed_all(LineAssembler(max_line=8), b"z" * 5000)
    assert out == ["z" * 8 + " … [truncated 4.9 KB]"]


def test_truncation_does_not_cut_a_character_in_half() -> None:
    out = feed_all(LineAssembler(max_line=4), "aé€x".encode() + b"\n")
    assert out[0].startswith("aé ")  # "€" (3 bytes) would not fit whole: dropped, not garbled


def test_invalid_utf8_and_nul_survive_visibly() -> None:
    out = feed_all(LineAssembler(), b"bad \xff\xfe byte\x00nul\n", b"split \xe2\x82", b"\xac ok\n")
    assert out[0] == "bad \\xff\\xfe byte␀nul"
    assert out[1] == "split € ok"  # a character split across reads is joined


@pytest.mark.parametrize(
    ("payload", "visible"),
    [
        (b"\x1b]52;c;ZWNobyBwd25lZA==\x07", "␛]52;c;ZWNobyBwd25lZA==␇"),  # OSC 52, BEL
        (b"\x1b]52;c;ZWNobw==\x1b\\", "␛]52;c;ZWNobw==␛\\"),  # OSC 52, ST
        (b"\x1b]0;pwned title\x07", "␛]0;pwned title␇"),  # OSC 0 title
        (b"\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "␛]8;;http://evil␛\\link␛]8;;␛\\"),
        (b"\x1b[2J\x1b[H\x1b[1A", "␛[2J␛[H␛[1A"),  # CSI erase / cursor
        (b"\x1bP1$qm\x1b\\", "␛P1$qm␛\\"),  # DCS
        ("\u009b31m \u009d0;x\u009c".encode(), "⟨U+009B⟩31m ⟨U+009D⟩0;x⟨U+009C⟩"),  # 8-bit C1
        ("rtl \u202eevil\u2066".encode(), "rtl ⟨U+202E⟩evil⟨U+2066⟩"),
    ],
)
def test_escape_sequences_come_out_as_visible_placeholders(payload: bytes, visible: str) -> None:
    out = feed_all(LineAssembler(), b"before " + payload + b" after\n")
    assert out == [f"before {visible} after"]
    assert "\x1b" not in out[0] and "\x07" not in out[0] and "\x9b" not in out[0]


def test_sgr_colour_is_removed_from_display_and_kept_in_raw() -> None:
    assembler = LineAssembler()
    chunk = assembler.feed(b"\x1b[31mERROR\x1b[0m boom\n")
    assert chunk is not None
    assert chunk.display == ["ERROR boom"]
    assert chunk.raw == ["\x1b[31mERROR\x1b[0m boom"]


def test_line_ending_mid_escape_leaves_the_next_lines_unchanged() -> None:
    out = feed_all(LineAssembler(), b"cut \x1b[3\nnormal line\n\x1b]0;half\nplain\n")
    assert out == ["cut ␛[3", "normal line", "␛]0;half", "plain"]


def test_same_list_is_shared_when_nothing_needed_sanitising() -> None:
    chunk = LineAssembler().feed(b"a\nb\n")
    assert isinstance(chunk, Chunk)
    assert chunk.display is chunk.raw
    lines = parse_lines(chunk.raw, chunk.display, source="s", seq=1, received=0.0)
    assert [line.raw for line in lines] == [None, None]


def test_human_size() -> None:
    assert human_size(10 * 1024 * 1024) == "10.0 MB"
    assert human_size(50) == "50 B"
    assert human_size(3 * 1024**3) == "3.0 GB"
