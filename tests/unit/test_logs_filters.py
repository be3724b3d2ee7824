"""Filters: regex/substring, invalid regex, levels, seed presets, context, highlight, shapes."""

from __future__ import annotations

import json
import re

import pytest

from tui.logs.filters import PRESETS, LogFilter, duration_ms, error_shape, error_shapes
from tui.logs.parse import Level, LineKind, LogLine, marker_line, parse_lines
from tui.logs.sources import LineAssembler


def parse(*texts: str) -> list[LogLine]:
    chunk = LineAssembler().feed("".join(t + "\n" for t in texts).encode())
    assert chunk is not None
    return parse_lines(chunk.raw, chunk.display, source="api", seq=1, received=0.0)


LOG = parse(
    "INFO server started",                          # 0
    "ERROR database connection refused",            # 1
    "INFO GET /api/users 200 12ms",                 # 2
    "WARN auth token expired for user 42",          # 3
    "INFO GET /api/orders 200 1500ms",              # 4
    "level=error msg=\"Unauthorized\" status=401",  # 5
    "INFO query took 3ms",                          # 6
    "DEBUG cache hit",                              # 7
    "INFO job failed: Exception in worker(3)",      # 8
)


def shown(log_filter: LogFilter, lines: list[LogLine] = LOG) -> list[int]:
    return [index for index, _ in log_filter.select(lines)]


def test_no_filter_shows_everything() -> None:
    empty = LogFilter()
    assert not empty.active
    assert shown(empty) == list(range(len(LOG)))
    assert empty.describe() == "no filter"


def test_substring_is_case_insensitive_by_default() -> None:
    assert shown(LogFilter("get /API", regex=False)) == [2, 4]
    assert shown(LogFilter("GET /API", regex=False, case_sensitive=True)) == []


def test_regex() -> None:
    assert shown(LogFilter(r"\b\d{4}ms")) == [4]


def test_regex_special_characters_are_literal_in_substring_mode() -> None:
    assert shown(LogFilter("msg=\"unauth", regex=False)) == [5]
    assert shown(LogFilter(".*", regex=False)) == []


def test_invalid_regex_falls_back_to_substring_with_a_clear_error() -> None:
    broken = LogFilter("worker(3")
    assert broken.error is not None
    assert "invalid regex" in broken.error and "missing )" in broken.error
    assert "plain text" in broken.error
    assert shown(broken) == [8]
    assert "invalid regex" in broken.describe()


def test_level_minimum() -> None:
    assert shown(LogFilter(min_level=Level.WARN)) == [1, 3, 5]
    assert shown(LogFilter("auth", min_level=Level.ERROR)) == [5]  # "Unauthorized"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("errors", [1, 5, 8]),  # error|exception|failed (5 says level=error)
        ("auth", [3, 5]),  # auth|unauthorized|401
        ("database", [1, 6]),  # database|connection|query|pool
        ("slow", [4]),  # > 1000 ms
    ],
)
def test_seed_presets(name: str, expected: list[int]) -> None:
    assert shown(LogFilter.preset(name)) == expected
    assert PRESETS[name].title in LogFilter.preset(name).describe()


def test_level_and_preset_combine_and_error_status_counts() -> None:
    assert shown(LogFilter.preset("auth", min_level=Level.ERROR)) == [5]


def test_unknown_preset() -> None:
    with pytest.raises(ValueError, match="known: errors"):
        LogFilter.preset("nope")


def test_slow_threshold_is_adjustable_and_reads_json_fields() -> None:
    lines = parse(
        json.dumps({"level": 30, "msg": "request completed", "responseTime": 2500}),
        "method=GET path=/a duration=0.9s",
        "GET /b 200 - 1200",  # awk '$NF > 1000'
        "response_time: 80",
    )
    assert shown(LogFilter.preset("slow"), lines) == [0, 2]
    assert shown(LogFilter.preset("slow", slow_ms=50), lines) == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("text", "value"),
    [("response_time=1234", 1234.0), ("responseTime: 55.5", 55.5), ("took 2.5s", 2500.0),
     ("duration=2s x", 2000.0), ("GET / 200 1500.2 ms - 12", 1500.2), ("done in 7", 7.0),
     ("no numbers", None), ("elapsed_ms=9", 9.0)],
)
def test_duration_ms(text: str, value: float | None) -> None:
    assert duration_ms(text) == value


def test_highlight_only_hides_nothing() -> None:
    rows = LogFilter.preset("errors", highlight_only=True).select(LOG)
    assert [index for index, _ in rows] == list(range(len(LOG)))
    assert [index for index, hit in rows if hit] == [1, 5, 8]


def test_context_lines_like_grep_c() -> None:
    rows = LogFilter("user 42", context=2).select(LOG)
    assert rows == [(1, False), (2, False), (3, True), (4, False), (5, False)]
    rows = LogFilter("started|cache", context=1).select(LOG)
    assert rows == [(0, True), (1, False), (6, False), (7, True), (8, False)]


def test_markers_are_always_shown_but_never_match() -> None:
    lines = [*LOG[:2], marker_line(LineKind.ROTATED, "── rotated error ──", source="f", seq=99,
                                   received=0.0)]
    log_filter = LogFilter("error")
    assert log_filter.select(lines) == [(1, True), (2, False)]
    assert not log_filter.matches(lines[2]) and log_filter.matches(lines[1])


def test_spans_for_highlighting() -> None:
    assert LogFilter("err|ok").spans("ERROR ok err") == [(0, 3), (6, 8), (9, 12)]
    assert LogFilter("x*").spans("abc") == []
    assert LogFilter(min_level=Level.WARN).spans("abc") == []


def test_describe_for_the_pane_title() -> None:
    described = LogFilter.preset("errors", min_level=Level.WARN, context=3,
                                 highlight_only=True).describe()
    assert described == (
        "errors · /error|exception|failed/ · level ≥ WARN · ±3 lines · highlight only"
    )
    assert LogFilter("a\x1b[2Jb", regex=False).describe() == '"a␛[2Jb"'
    assert LogFilter.preset("slow").describe() == "slow requests · slower than 1000 ms"


def test_replace_drops_the_preset_name_when_the_pattern_changes() -> None:
    edited = LogFilter.preset("errors").replace(pattern="timeout")
    assert edited.preset_name is None and edited.describe() == "/timeout/"
    assert LogFilter.preset("errors").replace(context=1).preset_name == "errors"


def test_negative_context_is_rejected() -> None:
    with pytest.raises(ValueError):
        LogFilter(context=-1)


def test_error_shapes_fold_numbers_ids_and_strings() -> None:
    lines = parse(
        "2024-05-01T10:00:01Z ERROR timeout after 3000 ms on query 17",
        "2024-05-01T10:00:02Z ERROR timeout after 5000 ms on query 99",
        "2024-05-01T10:00:03Z ERROR user 6f1c2a3b-1d2e-4f50-8a9b-0c1d2e3f4a5b not found",
        "2024-05-01T10:00:04Z ERROR user 0d8e3c1f-aaaa-4bbb-8ccc-123456789abc not found",
        "2024-05-01T10:00:05Z ERROR user 11111111-2222-4333-8444-555555555555 not found",
        "2024-05-01T10:00:06Z ERROR bad token \"abc\" at 0xdeadbeef",
        json.dumps({"level": 50, "msg": "db pool exhausted", "reqId": 12}),
        json.dumps({"level": 50, "msg": "db pool exhausted", "reqId": 13}),
        "2024-05-01T10:00:07Z INFO timeout after 1 ms on query 1",
    )
    assert error_shapes(lines) == [
        ("ERROR user <uuid> not found", 3),
        ("ERROR timeout after <n> ms on query <n>", 2),
        ("db pool exhausted", 2),
        ('ERROR bad token "…" at <hex>', 1),
    ]
    assert error_shapes(lines, limit=1) == [("ERROR user <uuid> not found", 3)]


def test_error_shape_hex_ids() -> None:
    assert error_shape("trace a1b2c3d4e5f6 failed in deadbeef99") == "trace <hex> failed in <hex>"
    assert error_shape("it's 'quoted' here") == "it's '…' here"


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\x45rror", [1, 5]),  # names "E": must not be searched in lowered text
        (r"\S+ms$", [2, 4, 6]),  # uppercase escape keeps its meaning
        (r"GET /api/(users|orders)", [2, 4]),
        (r"get /api/(users|orders)", [2, 4]),
        (r"\bwarn\b", [3]),
    ],
)
def test_case_insensitive_search_keeps_regex_meaning(pattern: str, expected: list[int]) -> None:
    assert LogFilter(pattern).hits(LOG) == expected
    assert LogFilter(pattern, min_level=Level.UNKNOWN).hits(LOG) == expected


@pytest.mark.parametrize(
    "pattern",
    [r"^info", r"ms$", r"\binfo\b", r"\Aerror", r"(?<=\s)info", r"(?<!x)GET", r"^$", r"İ",
     r"user", r"(?m)^warn", r"\d+ms$", r"s\n?i", r"e.*r"],
)
@pytest.mark.parametrize("case_sensitive", [False, True])
def test_searching_lines_in_their_block_finds_what_a_search_of_each_line_finds(
    pattern: str, case_sensitive: bool
) -> None:
    """The filter searches each line in place inside its packed block: same hits as grep."""
    texts = ["INFO first", "", "error at start", "x GET /a 200 5ms", "İSTANBUL info",
             "warn user ms", "sinfo", "xinfo GET"] * 40  # over one 256-line block
    lines = parse(*texts)
    lines.insert(100, marker_line(LineKind.GAP, "gap", source="api", seq=0, received=0.0))
    lines.insert(5, LogLine(0, "api", 0.0, Level.INFO, LineKind.TEXT, "info\nerror ms"))
    flags = 0 if case_sensitive else re.IGNORECASE
    expected = [i for i, line in enumerate(lines)
                if not line.is_marker and re.search(pattern, line.text, flags)]
    assert expected
    assert LogFilter(pattern, case_sensitive=case_sensitive).hits(lines) == expected
    assert LogFilter(pattern, case_sensitive=case_sensitive).hits(lines[3:300]) == [
        i - 3 for i in expected if 3 <= i < 300]


def test_json_lines_are_searched_as_written() -> None:
    """Like grep on the stream: a JSON line's filter text is the JSON, fields included."""
    lines = parse(json.dumps({"level": 30, "msg": "ok", "hostname": "db-7", "ms": 12}))
    assert lines[0].text == "ok ms=12"
    assert LogFilter("db-7").hits(lines) == [0]
    assert LogFilter("ok ms").hits(lines) == []
