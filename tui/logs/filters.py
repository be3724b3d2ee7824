"""Filtering and searching log lines: the ``grep``/``awk`` pipeline of the seed runbooks.

A ``LogFilter`` is an immutable description (pattern, level minimum, slow threshold,
context lines, highlight-only) compiled once, so matching a flood costs one regex search
per line. ``error_shapes`` answers the seeds' "count errors by type".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tui.logs.parse import Level, LineKind, LogLine, marker_positions, scan
from tui.sanitize import sanitize


@dataclass(frozen=True)
class Preset:
    """A named filter from the seed runbooks."""

    name: str
    title: str
    pattern: str = ""
    slow_ms: float | None = None


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset("errors", "errors", r"error|exception|failed"),
        Preset("auth", "auth failures", r"auth|unauthorized|401"),
        Preset("database", "database", r"database|connection|query|pool"),
        Preset("slow", "slow requests", slow_ms=1000.0),
    )
}

_MARKER = int(LineKind.ROTATED)  # kinds from here on are markers, not output
_CODE_ESCAPE = re.compile(r"\\[xuUN0-9]")  # escapes naming a character, maybe uppercase
_NOT_IN_PLACE = re.compile(r"\\A|\(\?<[=!]")  # would see the newline before a line
_DURATION_KEY = re.compile(
    r"\b(?:response_?time|responseTime|duration(?:_ms)?|elapsed(?:_ms)?|latency(?:_ms)?|took"
    r"|time_ms|request_time)[\"']?\s*[=:]\s*\"?(\d+(?:\.\d+)?)\s*(ms|s|µs|us)?",
    re.IGNORECASE,
)
_DURATION_MS = re.compile(r"(\d+(?:\.\d+)?)\s?ms\b")
_TRAILING_NUMBER = re.compile(r"(\d+(?:\.\d+)?)(ms|s)?\s*$")
_UNIT_MS = {None: 1.0, "": 1.0, "ms": 1.0, "s": 1000.0, "µs": 0.001, "us": 0.001}


def duration_ms(text: str) -> float | None:
    """The request duration in a line, in ms: a named field, else "N ms", else the last number.

    The last rule is the seeds' ``awk '$NF > 1000'``.
    """
    match = _DURATION_KEY.search(text)
    if match is not None:
        return float(match.group(1)) * _UNIT_MS[(match.group(2) or "").lower()]
    found = _DURATION_MS.findall(text)
    if found:
        return float(found[-1])
    tail = _TRAILING_NUMBER.search(text)
    if tail is not None:
        return float(tail.group(1)) * _UNIT_MS[tail.group(2)]
    return None


@dataclass(frozen=True)
class LogFilter:
    """What the log pane shows: lines matching every criterion given.

    ``pattern`` is a regular expression unless ``regex`` is False; an invalid regex is
    matched as plain text and ``error`` says why. Matching ignores case unless
    ``case_sensitive``. Marker lines (rotation, gaps) are always shown.
    """

    pattern: str = ""
    regex: bool = True
    case_sensitive: bool = False
    min_level: Level | None = None
    slow_ms: float | None = None
    highlight_only: bool = False
    context: int = 0
    preset_name: str | None = None
    error: str | None = field(default=None, init=False, compare=False)
    _compiled: re.Pattern[str] | None = field(default=None, init=False, repr=False,
                                              compare=False)
    _lowered: re.Pattern[str] | None = field(default=None, init=False, repr=False,
                                             compare=False)
    _in_place: re.Pattern[str] | None = field(default=None, init=False, repr=False,
                                              compare=False)

    def __post_init__(self) -> None:
        if self.context < 0:
            raise ValueError("context lines cannot be negative")
        if not self.pattern:
            return
        flags = 0 if self.case_sensitive else re.IGNORECASE
        source = self.pattern if self.regex else re.escape(self.pattern)
        try:
            compiled = re.compile(source, flags)
        except re.error as exc:
            where = f" at position {exc.pos}" if exc.pos is not None else ""
            object.__setattr__(
                self, "error",
                f"invalid regex {sanitize(self.pattern)!r}: {exc.msg}{where}; "
                "matching it as plain text",
            )
            source = re.escape(self.pattern)
            compiled = re.compile(source, flags)
        object.__setattr__(self, "_compiled", compiled)
        lowered = flags and source == source.lower() and not _CODE_ESCAPE.search(source)
        if lowered:
            # Same matches, about four times faster: a case-sensitive search of lowered text.
            object.__setattr__(self, "_lowered", re.compile(source))
        if not _NOT_IN_PLACE.search(source):
            # For parse.scan: each line searched inside its block, between newlines.
            object.__setattr__(self, "_in_place",
                               re.compile(source, (0 if lowered else flags) | re.MULTILINE))

    @classmethod
    def preset(cls, name: str, **changes: Any) -> LogFilter:
        """The named preset (``errors``, ``auth``, ``database``, ``slow``) with ``changes``."""
        try:
            preset = PRESETS[name]
        except KeyError:
            known = ", ".join(PRESETS)
            raise ValueError(f"no log filter preset {name!r} (known: {known})") from None
        values: dict[str, Any] = {"pattern": preset.pattern, "slow_ms": preset.slow_ms,
                                  "preset_name": name}
        return cls(**(values | changes))

    def replace(self, **changes: Any) -> LogFilter:
        """A copy with ``changes``; editing the pattern by hand drops the preset's name."""
        if ("pattern" in changes or "slow_ms" in changes) and "preset_name" not in changes:
            changes["preset_name"] = None
        return replace(self, **changes)

    @property
    def active(self) -> bool:
        """True if the filter hides or highlights anything."""
        return bool(self.pattern) or self.min_level is not None or self.slow_ms is not None

    def _predicate(self) -> Callable[[LogLine], bool] | None:
        tests: list[Callable[[LogLine], bool]] = []
        if self._lowered is not None:
            lowered = self._lowered.search
            tests.append(lambda line: lowered(line.search_text.lower()) is not None)
        elif self._compiled is not None:
            search = self._compiled.search
            tests.append(lambda line: search(line.search_text) is not None)
        if self.min_level is not None:
            minimum = self.min_level
            tests.append(lambda line: line.level >= minimum)
        if self.slow_ms is not None:
            threshold = self.slow_ms

            def slow(line: LogLine) -> bool:
                value = duration_ms(line.search_text)
                return value is not None and value > threshold

            tests.append(slow)
        if not tests:
            return None
        if len(tests) == 1:
            return tests[0]
        return lambda line: all(test(line) for test in tests)

    def matches(self, line: LogLine) -> bool:
        """True if ``line`` meets every criterion (markers never match; they are context)."""
        if line.is_marker:
            return False
        predicate = self._predicate()
        return predicate is None or predicate(line)

    def hits(self, lines: Sequence[LogLine]) -> list[int]:
        """Indices of the matching lines (the fast path: one compiled search per line)."""
        if self._compiled is not None and self.min_level is None and self.slow_ms is None:
            if self._lowered is not None:
                return scan(lines, self._lowered, self._in_place, lowered=True)
            return scan(lines, self._compiled, self._in_place)
        predicate = self._predicate()
        if predicate is None:
            return []
        return [i for i, line in enumerate(lines) if line.kind < _MARKER and predicate(line)]

    def select(self, lines: Sequence[LogLine]) -> list[tuple[int, bool]]:
        """The rows to show: ``(index, is_match)`` in order.

        Without a filter every line is shown; in highlight-only mode too, with matches
        flagged. Otherwise matches, their ``context`` neighbours (like ``grep -C``) and
        marker lines. A jump in the index is where ``grep`` would print ``--``.
        """
        if not self.active:
            return [(i, False) for i in range(len(lines))]
        hits = self.hits(lines)
        if self.highlight_only:
            flags = [False] * len(lines)
            for index in hits:
                flags[index] = True
            return list(enumerate(flags))
        rows: dict[int, bool] = {}
        if self.context:
            last = len(lines) - 1
            span = self.context
            for index in hits:
                for near in range(max(0, index - span), min(last, index + span) + 1):
                    rows.setdefault(near, False)
        for index in hits:
            rows[index] = True
        for index in marker_positions(lines):
            rows.setdefault(index, False)
        return sorted(rows.items())

    def spans(self, text: str, limit: int = 200) -> list[tuple[int, int]]:
        """Where the pattern matches in ``text``, for highlighting (empty matches skipped)."""
        if self._compiled is None:
            return []
        out: list[tuple[int, int]] = []
        for match in self._compiled.finditer(text):
            if match.end() > match.start():
                out.append(match.span())
                if len(out) >= limit:
                    break
        return out

    def describe(self) -> str:
        """One line for the pane title, e.g. ``errors /error|exception|failed/ · level ≥ WARN``."""
        if not self.active:
            return "no filter"
        parts: list[str] = []
        if self.preset_name:
            parts.append(PRESETS[self.preset_name].title)
        if self.pattern:
            shown = sanitize(self.pattern)
            if self.error is not None:
                parts.append(f'"{shown}" (invalid regex, as text)')
            else:
                parts.append(f"/{shown}/" if self.regex else f'"{shown}"')
            if self.case_sensitive:
                parts.append("case-sensitive")
        if self.min_level is not None:
            parts.append(f"level ≥ {self.min_level.name}")
        if self.slow_ms is not None:
            parts.append(f"slower than {self.slow_ms:g} ms")
        if self.context:
            parts.append(f"±{self.context} lines")
        if self.highlight_only:
            parts.append("highlight only")
        return " · ".join(parts)


# --------------------------------------------------------------------------- error shapes

_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?"), "<time>"),
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
     "<uuid>"),
    (re.compile(r'"(?:[^"\\]|\\.)*"'), '"…"'),
    (re.compile(r"(?<!\w)'(?:[^'\\]|\\.)*'(?!\w)"), "'…'"),
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), "<hex>"),
    (re.compile(r"\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{6,}\b"), "<hex>"),
    (re.compile(r"\d+(?:\.\d+)?"), "<n>"),
    (re.compile(r"\s+"), " "),
)


def error_shape(message: str) -> str:
    """``message`` with numbers, hex ids, UUIDs, times and quoted strings folded."""
    for pattern, replacement in _SHAPES:
        message = pattern.sub(replacement, message)
    return message.strip().removeprefix("<time> ")[:300]


def error_shapes(
    lines: Iterable[LogLine], *, min_level: Level = Level.ERROR, limit: int | None = None
) -> list[tuple[str, int]]:
    """Count error lines by normalised shape, most frequent first."""
    counts = Counter(
        error_shape(line.message)
        for line in lines
        if line.level >= min_level and not line.is_marker
    )
    return counts.most_common(limit)
