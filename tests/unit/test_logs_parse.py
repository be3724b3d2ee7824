"""Parsing: levels for plain text, JSON (pino, bunyan, winston), logfmt and access logs."""

from __future__ import annotations

import json
import tracemalloc

import pytest

from tui.logs.parse import (
    Level,
    LineKind,
    LogLine,
    ansi_spans,
    marker_line,
    parse_lines,
    parse_time,
    text_level,
)
from tui.logs.sources import LineAssembler


def parse(*texts: str) -> list[LogLine]:
    data = "".join(t + "\n" for t in texts).encode()
    chunk = LineAssembler().feed(data)
    assert chunk is not None
    return parse_lines(chunk.raw, chunk.display, source="api", seq=1, received=100.0)


def one(text: str) -> LogLine:
    return parse(text)[0]


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("2024-05-01T10:00:00Z INFO server started", Level.INFO),
        ("2024-05-01 10:00:00 WARN pool nearly full", Level.WARN),
        ("2024-05-01 10:00:00 WARNING disk", Level.WARN),
        ("ERROR connection refused", Level.ERROR),
        ("[error] upstream timed out", Level.ERROR),
        ("[Warn] slow", Level.WARN),
        ("time=2024-05-01T10:00:00Z level=error msg=\"db down\"", Level.ERROR),
        ("level=debug msg=tick", Level.DEBUG),
        ("FATAL out of memory", Level.FATAL),
        ("TypeError: cannot read properties of undefined", Level.ERROR),
        ("Error: connect ECONNREFUSED 127.0.0.1:5432", Level.ERROR),
        ("Traceback (most recent call last):", Level.ERROR),
        ("user said there was no error here", Level.UNKNOWN),
        ("DEBUGGING is not a level, INFORMATIONAL neither", Level.UNKNOWN),
        ("just words", Level.UNKNOWN),
    ],
)
def test_plain_text_levels(text: str, level: Level) -> None:
    assert one(text).level is level


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ('127.0.0.1 - - [10/Oct/2024:13:55:36 +0000] "GET /health HTTP/1.1" 503 1', Level.ERROR),
        ('10.0.0.2 - - [10/Oct/2024:13:55:36 +0000] "POST /login HTTP/1.1" 401 0', Level.WARN),
        ('10.0.0.2 - - [10/Oct/2024:13:55:36 +0000] "GET / HTTP/2.0" 200 512', Level.INFO),
        ("GET /api/orders 500 1234.567 ms - 12", Level.ERROR),  # morgan "dev"
        ("INFO GET /api/orders 404 3ms", Level.WARN),  # the worse of level and status
        ("method=GET path=/x status=502 duration=3ms", Level.ERROR),
        ("GET /ok 200 3 ms", Level.INFO),
    ],
)
def test_access_log_status(text: str, level: Level) -> None:
    assert one(text).level is level


def test_clf_time_is_parsed() -> None:
    line = one('1.2.3.4 - - [10/Oct/2024:13:55:36 +0000] "GET / HTTP/1.1" 200 1')
    assert line.ts == pytest.approx(1728568536.0)


@pytest.mark.parametrize(
    ("value", "level"),
    [(10, Level.TRACE), (20, Level.DEBUG), (30, Level.INFO), (40, Level.WARN),
     (50, Level.ERROR), (60, Level.FATAL)],
)
def test_pino_numeric_levels(value: int, level: Level) -> None:
    line = one(json.dumps({"level": value, "time": 1714557600123, "pid": 1, "hostname": "h",
                           "msg": "hello"}))
    assert line.level is level
    assert line.ts == pytest.approx(1714557600.123)
    assert line.text == "hello"  # pid/hostname are noise in the compact view


def test_bunyan_line() -> None:
    line = one(json.dumps({"name": "api", "hostname": "h", "pid": 7, "level": 50,
                           "msg": "query failed", "time": "2024-05-01T10:00:00.000Z", "v": 0}))
    assert line.level is Level.ERROR
    assert line.ts == pytest.approx(1714557600.0)
    assert line.text == "query failed name=api"


@pytest.mark.parametrize(
    ("word", "level"),
    [("error", Level.ERROR), ("warn", Level.WARN), ("info", Level.INFO), ("http", Level.INFO),
     ("verbose", Level.DEBUG), ("debug", Level.DEBUG), ("silly", Level.TRACE)],
)
def test_winston_string_levels(word: str, level: Level) -> None:
    line = one(json.dumps({"level": word, "message": "m", "timestamp": "2024-05-01T10:00:00Z"}))
    assert line.level is level
    assert line.ts == pytest.approx(1714557600.0)


def test_json_compact_text_puts_message_first_then_fields() -> None:
    line = one(json.dumps({"level": 30, "time": 1, "reqId": "req-1", "msg": "request completed",
                           "res": {"statusCode": 200}, "responseTime": 12.5, "note": "a b"}))
    assert line.text == (
        'request completed reqId=req-1 res={"statusCode":200} responseTime=12.5 note="a b"'
    )
    assert line.message == "request completed"
    assert line.original.startswith("{")


def test_json_status_raises_the_level() -> None:
    line = one(json.dumps({"level": 30, "msg": "request completed", "res": {"statusCode": 503}}))
    assert line.level is Level.ERROR


def test_json_without_level_uses_the_message_words() -> None:
    assert one(json.dumps({"message": "ERROR pool exhausted"})).level is Level.ERROR


def test_json_fields_are_flattened_and_sanitised_on_demand() -> None:
    line = one(json.dumps({"level": 50, "msg": "boom", "err": {"type": "Error",
                                                              "stack": "a\nb\u001b[2J"}}))
    fields = line.fields()
    assert fields["err.type"] == "Error"
    assert fields["err.stack"] == "a␊b␛[2J"
    assert fields["level"] == "50"


def test_json_escapes_in_values_are_made_visible() -> None:
    line = one(json.dumps({"msg": "title \u001b]0;pwned\u0007 set"}))
    assert "\x1b" not in line.text and "␛]0;pwned␇" in line.text


def test_json_array_or_broken_json_is_plain_text() -> None:
    assert one("[1, 2, 3]").text == "[1, 2, 3]"
    broken = one('{"level": 50, "msg": "cut')
    assert broken.text == '{"level": 50, "msg": "cut'
    assert broken.raw is None


def test_journald_json_priority_and_message() -> None:
    line = one(json.dumps({"PRIORITY": "3", "MESSAGE": "unit failed",
                           "__REALTIME_TIMESTAMP": "1714557600000000"}))
    assert line.level is Level.ERROR
    assert line.text == "unit failed"
    assert line.ts == pytest.approx(1714557600.0)


def test_logfmt_fields_and_time() -> None:
    line = one('ts=2024-05-01T10:00:00Z level=warn msg="slow query" duration=1500ms')
    assert line.level is Level.WARN
    assert line.ts == pytest.approx(1714557600.0)
    assert line.fields() == {"ts": "2024-05-01T10:00:00Z", "level": "warn",
                             "msg": '"slow query"', "duration": "1500ms"}


def test_plain_leading_timestamp_naive_is_utc() -> None:
    assert one("2024-05-01 10:00:00,250 INFO x").ts == pytest.approx(1714557600.25)
    assert one("no time here").ts is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1714557600, 1714557600.0), (1714557600123, 1714557600.123),
     (1714557600123456, 1714557600.123456), ("1714557600", 1714557600.0),
     ("2024-05-01T12:00:00+02:00", 1714557600.0), ("nonsense", None), (True, None)],
)
def test_parse_time(value: object, expected: float | None) -> None:
    result = parse_time(value)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


def test_seq_source_received_and_kind() -> None:
    chunk = LineAssembler().feed(b"a\nb\n", stderr=True)
    assert chunk is not None and chunk.stderr
    lines = parse_lines(chunk.raw, chunk.display, source="web", seq=41, received=7.5,
                        kind=LineKind.STDERR)
    assert [(x.seq, x.source, x.received, x.kind) for x in lines] == [
        (41, "web", 7.5, LineKind.STDERR), (42, "web", 7.5, LineKind.STDERR)]
    assert lines[0].is_stderr and not lines[0].is_marker


def test_marker_lines_are_a_distinct_kind() -> None:
    marker = marker_line(LineKind.ROTATED, "── app.log rotated \x1b[2J ──", source="f", seq=3,
                         received=1.0)
    assert marker.is_marker and marker.kind is LineKind.ROTATED
    assert "\x1b" not in marker.text
    assert marker.fields() == {} and marker.ts is None and not marker.truncated


def test_truncated_flag_follows_the_clip_note() -> None:
    chunk = LineAssembler(max_line=4).feed(b"abcdefgh\nok\n")
    assert chunk is not None
    lines = parse_lines(chunk.raw, chunk.display, source="s", seq=1, received=0.0)
    assert lines[0].truncated and not lines[1].truncated


def test_ansi_spans_interpret_only_sgr() -> None:
    text, spans = ansi_spans("\x1b[1;31mERROR\x1b[0m db \x1b[38;5;208mslow\x1b[39m "
                             "\x1b[48;2;0;0;255mbg\x1b[0m \x1b]0;t\x07 \x1b[2J end")
    assert text == "ERROR db slow bg ␛]0;t␇ ␛[2J end"
    assert spans == [(0, 5, "bold red"), (9, 13, "color(208)"), (14, 16, "on #0000ff")]


def test_ansi_spans_offsets_account_for_placeholders() -> None:
    text, spans = ansi_spans("\x00\x1b[32mok\x1b[0m")
    assert text == "␀ok"
    assert spans == [(1, 3, "green")]


def test_styled_uses_source_colour_only_when_consistent() -> None:
    line = one("\x1b[33mWARN\x1b[0m cache \x1b]52;c;eA==\x07")
    text, spans = line.styled()
    assert text == "WARN cache ␛]52;c;eA==␇"
    assert spans == [(0, 4, "yellow")]
    assert line.level is Level.WARN
    assert one("plain").styled() == ("plain", [])


def test_text_level_is_bounded_to_the_head() -> None:
    assert text_level("x" * 300 + " ERROR") is Level.UNKNOWN


def test_a_million_lines_fit_the_memory_budget() -> None:
    """300 MB for 1M lines: measured on 50k typical ~90-byte lines, per line."""
    rows = "".join(
        f"2024-06-01T12:00:{i % 60:02d}.123Z INFO GET /api/users/{i} 200 {i % 2000}ms "
        f"request_id=abc{i:06x}\n"
        for i in range(50_000)
    ).encode()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        assembler = LineAssembler()
        kept: list[LogLine] = []
        for start in range(0, len(rows), 65536):
            chunk = assembler.feed(rows[start:start + 65536])
            if chunk is not None:
                kept.extend(parse_lines(chunk.raw, chunk.display, source="s",
                                        seq=1_000_000 + len(kept), received=0.0))
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(kept) == 50_000
    assert used / len(kept) < 170


def test_lines_are_immutable_values_whichever_way_they_were_made() -> None:
    made = LogLine(7, "api", 1.5, Level.WARN, LineKind.TEXT, "WARN slow\nsecond", "raw")
    assert (made.seq, made.source, made.received, made.level, made.kind) == (
        7, "api", 1.5, Level.WARN, LineKind.TEXT)
    assert made.text == made.search_text == "WARN slow\nsecond" and made.raw == "raw"
    with pytest.raises(AttributeError):
        made.seq = 8  # type: ignore[misc]
    chunk = LineAssembler().feed(b"WARN slow\n")
    assert chunk is not None
    parsed = parse_lines(chunk.raw, chunk.display, source="api", seq=7, received=1.5)[0]
    assert parsed == LogLine(7, "api", 1.5, Level.WARN, LineKind.TEXT, "WARN slow")
    assert hash(parsed) == hash(LogLine(7, "api", 1.5, Level.WARN, LineKind.TEXT, "WARN slow"))
    assert parsed != made


def test_json_display_text_is_built_on_demand_from_the_line_as_written() -> None:
    raw = json.dumps({"level": 50, "msg": "payment failed", "orderId": "a1"})
    chunk = LineAssembler().feed(f"{raw}\nplain \x1b[2J\n".encode())
    assert chunk is not None
    lines = parse_lines(chunk.raw, chunk.display, source="api", seq=1, received=0.0)
    assert lines[0].search_text == raw and lines[0].raw == raw
    assert lines[0].text == "payment failed orderId=a1" and lines[0].level is Level.ERROR
    assert lines[1].text == lines[1].search_text == "plain ␛[2J"
    assert lines[1].raw == "plain \x1b[2J"
    assert lines[0].footprint < lines[1].footprint + len(raw)


def test_seq_numbers_run_on_across_blocks() -> None:
    chunk = LineAssembler().feed(b"".join(b"line %d\n" % i for i in range(600)))
    assert chunk is not None
    lines = parse_lines(chunk.raw, chunk.display, source="api", seq=1000, received=0.0)
    assert [line.seq for line in lines] == list(range(1000, 1600))
    assert [line.text for line in lines[255:258]] == ["line 255", "line 256", "line 257"]
