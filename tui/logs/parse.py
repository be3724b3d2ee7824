"""Log lines as onduty holds them: level, time and a compact, sanitised display text.

A flood can bring hundreds of thousands of lines a second, so almost nothing is worked
out on arrival: lines are packed in blocks of 256 (one string, offsets, a level byte
each), and a line's level is worked out when it is first asked for (drawn, or filtered by
level). Only the lines that could be errors are levelled at once, because errors per
second must count every one: a single pass of a DFA over the text (``error_suspects``,
RE2) finds the few lines that hold an error word, a 5xx status or anything the pass
cannot judge, and only those are parsed. Anything else that is only needed for the lines
on screen (a JSON line's display text, the timestamp, fields, source colours) is derived
on demand from the line as written. A buffer holds a line as its block and index (no
object per line), which keeps a million lines well inside 300 MB.
"""

from __future__ import annotations

import json
import math
import re
import sys
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from enum import IntEnum
from itertools import accumulate, repeat
from json.scanner import make_scanner
from operator import add
from typing import Any, overload

import re2

from tui.sanitize import sanitize


class Level(IntEnum):
    """Severity, ordered so ``level >= Level.WARN`` works; numbers follow pino/bunyan."""

    UNKNOWN = 0
    TRACE = 10
    DEBUG = 20
    INFO = 30
    WARN = 40
    ERROR = 50
    FATAL = 60


class LineKind(IntEnum):
    """What a line is: output (stdout or stderr) or a marker onduty put in the stream."""

    TEXT = 0
    STDERR = 1
    ROTATED = 10
    FILE_TRUNCATED = 11
    DELETED = 12
    RECREATED = 13
    GAP = 14
    REPLAY = 15
    NOTICE = 16

    @property
    def is_marker(self) -> bool:
        return self >= LineKind.ROTATED


CLIP_SUFFIX = re.compile(r" … \[truncated \d+(?:\.\d)? [KMG]?B\]$")


_BLOCK = 256  # lines per block: line indexes stay small cached ints, never allocated
_JSON = 0x80  # flag bit in a block's level code: the line is a JSON object
# A level code not worked out yet; such a line is known to be below ERROR (see parse_run).
_UNSET = 0xFF


class _Block:
    """Up to 256 lines of one read, packed: one string and a byte per line.

    ``text`` holds every line's searchable text (the sanitised line as the source wrote
    it), one after another with a newline after each; ``starts`` where each begins (and
    one more entry past the end); ``codes`` each line's level, with
    ``_JSON`` set for JSON lines, whose display text is built only when asked for, or
    ``_UNSET`` until it is worked out (``code``); ``raws`` the original of the few lines
    that sanitising changed (or explicit texts).
    """

    __slots__ = ("base", "codes", "joined", "kind", "raws", "received", "source", "starts",
                 "text")

    def __init__(
        self, base: int, source: str, received: float, kind: LineKind, text: str,
        starts: array[int], codes: bytearray, raws: dict[int, str] | None,
    ) -> None:
        self.base = base
        self.source = source
        self.received = received
        self.kind = kind
        self.text = text
        self.starts = starts
        self.codes = codes
        self.raws = raws
        # True when no line holds a newline of its own: a pattern can then search the
        # block in place (see ``scan``).
        self.joined = "\n" not in text if len(codes) == 1 else True

    def code(self, index: int) -> int:
        """Line ``index``'s level code, worked out now if it was not yet."""
        code = self.codes[index]
        if code == _UNSET:
            starts = self.starts
            shown = self.text[starts[index]:starts[index + 1] - 1]
            raws = self.raws
            original = raws.get(index, shown) if raws is not None else shown
            code = self.codes[index] = _line_code(shown, original)
        return code

    def settle(self, first: int, stop: int) -> bytearray:
        """The level codes of lines ``first..stop-1``, every one worked out."""
        codes = self.codes
        if _UNSET in codes[first:stop]:
            for index in range(first, stop):
                if codes[index] == _UNSET:
                    self.code(index)
        return codes


class LogLine:
    """One received line. ``text`` is safe to display; ``raw`` is kept only if it differs.

    ``seq`` increases by one per line across all sources of a tail; ``received`` is the
    epoch time of the read that brought it (shared by the lines of one read). Lines are
    immutable views into a packed block of up to 256 lines, so a million of them cost
    little more than their characters (see ``parse_lines``).
    """

    __slots__ = ("_block", "_index")
    _block: _Block
    _index: int

    def __init__(
        self, seq: int, source: str, received: float, level: Level, kind: LineKind,
        text: str, raw: str | None = None,
    ) -> None:
        raws = None if raw is None or raw == text else {0: raw}
        _set_block(self, _Block(seq, sys.intern(source), received, kind, text,
                                array("Q", (0, len(text) + 1)), bytearray((int(level),)),
                                raws))
        _set_index(self, 0)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("LogLine is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LogLine):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"LogLine(seq={self.seq}, source={self.source!r}, level={self.level.name}, "
                f"kind={self.kind.name}, text={self.text!r})")

    def _key(self) -> tuple[object, ...]:
        return (self.seq, self.source, self.received, self.level, self.kind, self.text,
                self.raw)

    @property
    def seq(self) -> int:
        return self._block.base + self._index

    @property
    def source(self) -> str:
        return self._block.source

    @property
    def received(self) -> float:
        return self._block.received

    @property
    def kind(self) -> LineKind:
        return self._block.kind

    @property
    def level(self) -> Level:
        return _LEVEL_OF[self._block.code(self._index) & 0x7F]

    @property
    def search_text(self) -> str:
        """What filters search: ``text``, or for a JSON line the (sanitised) JSON itself.

        Searching the JSON as written is what ``grep`` on the stream would do, and it
        spares building the display text of every JSON line on each filter pass.
        """
        block, index = self._block, self._index
        starts = block.starts
        return block.text[starts[index]:starts[index + 1] - 1]

    @property
    def text(self) -> str:
        """The sanitised display text (for JSON: message first, then the fields)."""
        block, index = self._block, self._index
        starts = block.starts
        shown = block.text[starts[index]:starts[index + 1] - 1]
        if block.code(index) & _JSON:
            obj = _json_object(self.original)
            if obj is not None:
                return _json_display(obj)
        return shown

    @property
    def raw(self) -> str | None:
        """The original line when it differs from ``text`` (JSON, escapes), else None."""
        block, index = self._block, self._index
        raws = block.raws
        if raws is not None and index in raws:
            return raws[index]
        if block.code(index) & _JSON:
            return self.search_text
        return None

    @property
    def footprint(self) -> int:
        """Approximate bytes this line holds in a buffer: its entry, characters and level code."""
        block, index = self._block, self._index
        starts = block.starts
        size = _LINE_BYTES + starts[index + 1] - starts[index] - 1
        raws = block.raws
        if raws is not None and index in raws:
            size += _STR_BYTES + len(raws[index])
        return size

    @property
    def original(self) -> str:
        """The line as the source wrote it (decoded, escapes still in it)."""
        raw = self.raw
        return self.text if raw is None else raw

    @property
    def is_marker(self) -> bool:
        return self._block.kind >= LineKind.ROTATED

    @property
    def is_stderr(self) -> bool:
        return self._block.kind is LineKind.STDERR

    @property
    def truncated(self) -> bool:
        """True when the line was longer than the source's limit and was clipped."""
        return not self.is_marker and CLIP_SUFFIX.search(self.search_text) is not None

    @property
    def ts(self) -> float | None:
        """The line's own timestamp (epoch seconds) if it has one; naive times are UTC."""
        if self.is_marker:
            return None
        raw = self.raw
        obj = _json_object(raw) if raw is not None and raw[:1] == "{" else None
        if obj is not None:
            return _json_time(obj)
        return text_time(self.text)

    @property
    def message(self) -> str:
        """The message alone: JSON ``msg``/``message`` without the other fields, else the text."""
        raw = self.raw
        obj = _json_object(raw) if raw is not None and raw[:1] == "{" else None
        if obj is not None:
            msg = _first(obj, _MSG_KEYS)
            if msg is not None:
                return sanitize(_scalar(msg))
        return self.text

    def fields(self) -> dict[str, str]:
        """Structured fields, sanitised, flattened with dots (JSON) or as given (logfmt)."""
        if self.is_marker:
            return {}
        raw = self.raw
        obj = _json_object(raw) if raw is not None and raw[:1] == "{" else None
        if obj is not None:
            flat: dict[str, str] = {}
            _flatten(obj, "", flat)
            return flat
        text = self.text
        return {sanitize(k): sanitize(v) for k, v in _LOGFMT_PAIR.findall(text)} if (
            "=" in text
        ) else {}

    def styled(self) -> tuple[str, list[tuple[int, int, str]]]:
        """Text plus the source's SGR colours as ``(start, end, rich style)`` spans.

        Only SGR is interpreted; JSON lines and lines without colour come back unstyled.
        """
        raw = self.raw
        text = self.text
        if raw is None or "\x1b[" not in raw or raw.startswith("{"):
            return text, []
        plain, spans = ansi_spans(raw)
        if not text.startswith(plain):
            return text, []
        return text, spans


class _PackedLine(LogLine):
    """A ``LogLine`` made by ``parse_lines``: a view of line ``index`` of ``block``."""

    __slots__ = ()

    def __init__(self, block: _Block, index: int) -> None:
        _set_block(self, block)
        _set_index(self, index)


_set_block = LogLine._block.__set__  # type: ignore[attr-defined]
_set_index = LogLine._index.__set__  # type: ignore[attr-defined]
# As a buffer holds a line: its block's list entry and index byte, newline, level code,
# offset (a view object is made only while a line is looked at); a str header for a raw.
_LINE_BYTES = 8 + 1 + 1 + 1 + 8
_STR_BYTES = 48


# --------------------------------------------------------------------------- levels

_WORDS: dict[str, Level] = {
    "trace": Level.TRACE, "silly": Level.TRACE, "finest": Level.TRACE,
    "debug": Level.DEBUG, "dbug": Level.DEBUG, "dbg": Level.DEBUG, "verbose": Level.DEBUG,
    "fine": Level.DEBUG,
    "info": Level.INFO, "inf": Level.INFO, "information": Level.INFO, "notice": Level.INFO,
    "http": Level.INFO, "log": Level.INFO,
    "warn": Level.WARN, "warning": Level.WARN, "wrn": Level.WARN,
    "error": Level.ERROR, "err": Level.ERROR, "eror": Level.ERROR, "severe": Level.ERROR,
    "exception": Level.ERROR, "traceback": Level.ERROR,
    "fatal": Level.FATAL, "critical": Level.FATAL, "crit": Level.FATAL, "panic": Level.FATAL,
    "emerg": Level.FATAL, "emergency": Level.FATAL, "alert": Level.FATAL,
}
_WORD_ALT = "|".join(sorted(_WORDS, key=len, reverse=True))
# Each pattern starts with literals so the regex engine can skip ahead quickly; the cheap
# substring checks in text_level decide which of them are worth running at all.
_UPPER_RE = re.compile(
    r"(?:TRACE|DEBUG|INFO|NOTICE|WARN(?:ING)?|ERR(?:OR)?|FATAL|CRIT(?:ICAL)?|PANIC|EMERG"
    r"|SEVERE)\b"
)
# ASCII case folding only: Unicode folding lets "ſ" match "s", and the word is then no key.
_KV_LEVEL_RE = re.compile(
    rf"(?:level|lvl|severity|loglevel)\s*[=:]\s*[\"']?({_WORD_ALT})\b",
    re.IGNORECASE | re.ASCII,
)
_BRACKET_RE = re.compile(rf"\[({_WORD_ALT})\]", re.IGNORECASE | re.ASCII)
_EXCEPTION_RE = re.compile(
    r"\b([A-Z]\w*(?:Error|Exception)|Error|Warning|Fatal)(?=:)"
    r"|^((?i:error|warning|fatal))(?=:)"
    r"|^(Traceback) \(most recent call last\)"
)
_REQUEST_RE = re.compile(
    r"(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|CONNECT) \S+(?: HTTP/[\d.]+)?\"? ([1-5]\d\d)\b"
)
_STATUS_RE = re.compile(r"status(?:_?code|Code)?[\"']?[=:]\s*\"?([1-5]\d\d)\b")
_HEAD = 200


def status_level(code: int) -> Level:
    """HTTP status -> level, as an access log reader would: 5xx error, 4xx warning."""
    if code >= 500:
        return Level.ERROR
    if code >= 400:
        return Level.WARN
    return Level.INFO


def text_level(text: str) -> Level:
    """Level of a plain-text or logfmt line: explicit level words first, then HTTP status.

    Level words are looked for in the first 200 characters; lowercase words count only
    in ``level=``, ``[error]`` or ``error:`` form, so prose ("no error") stays unknown.
    """
    head = text if len(text) <= _HEAD else text[:_HEAD]
    level = _word_level(head)
    if " /" in text:
        request = _REQUEST_RE.search(text)
        if request is not None:
            return max(level, status_level(int(request.group(1))))
    if "tatus" in text:
        status = _STATUS_RE.search(text)
        if status is not None:
            return max(level, status_level(int(status.group(1))))
    return level


def _word_level(head: str) -> Level:
    if ("evel" in head or "lvl" in head or "everity" in head or "EVEL" in head
            or "LVL" in head or "EVERITY" in head):
        match = _KV_LEVEL_RE.search(head)
        if match is not None:
            return _WORDS[match.group(1).lower()]
    if "[" in head:
        match = _BRACKET_RE.search(head)
        if match is not None:
            return _WORDS[match.group(1).lower()]
    start = 0
    while (match := _UPPER_RE.search(head, start)) is not None:
        start = match.start()
        if start == 0 or not (head[start - 1].isalnum() or head[start - 1] == "_"):
            return _WORDS[match.group().lower()]
        start += 1
    if "rror" in head or "xception" in head or "arning" in head or "atal" in head or (
        "Traceback" in head
    ):
        match = _EXCEPTION_RE.search(head)
        if match is not None:
            word = match.group(match.lastindex or 0)
            return _WORDS.get(word.lower(), Level.ERROR)
    return Level.UNKNOWN


def _json_level(obj: dict[str, Any]) -> Level | None:
    value = _first(obj, _LEVEL_KEYS)
    if isinstance(value, dict):
        value = _first(value, ("name", "level", "label"))
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return _numeric_level(int(value)) if math.isfinite(value) else None
    if isinstance(value, str):
        word = value.strip().lower()
        if word.isdecimal():
            return _syslog_level(int(word)) if len(word) == 1 else _numeric_level(int(word))
        return _WORDS.get(word)
    return None


def _numeric_level(value: int) -> Level:
    """pino/bunyan numbers (10..60); values between steps round down, above 60 is fatal."""
    if value >= 60:
        return Level.FATAL
    if value < 10:
        return _syslog_level(value)
    return _LEVEL_OF[value]


def _syslog_level(value: int) -> Level:
    """journald/syslog PRIORITY 0..7."""
    if value <= 2:
        return Level.FATAL
    return (Level.ERROR, Level.WARN, Level.INFO, Level.INFO, Level.DEBUG)[min(value, 7) - 3]


# --------------------------------------------------------------------------- times

_ISO_RE = re.compile(
    r"^\[?(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)"
)
_KV_TIME_RE = re.compile(r"\b(?:time|ts|timestamp|t)=\"?([0-9][0-9T:.,+\-Z ]*[0-9Z])")
_CLF_TIME_RE = re.compile(r"\[(\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\]")


def parse_time(value: Any) -> float | None:
    """Epoch seconds from epoch s/ms/µs/ns numbers or ISO-8601 text (naive = UTC)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.replace(".", "", 1).isdecimal():
            return parse_time(float(text))
        try:
            stamp = datetime.fromisoformat(text.replace(",", ".").replace("Z", "+00:00"))
        except ValueError:
            return None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        return stamp.timestamp()
    if isinstance(value, int | float):
        number = float(value)
        for threshold, divisor in ((1e17, 1e9), (1e14, 1e6), (1e11, 1e3)):
            if number >= threshold:
                return number / divisor
        return number
    return None


def text_time(text: str) -> float | None:
    """The timestamp at the start of a plain line, in logfmt ``time=``, or in a CLF ``[...]``."""
    match = _ISO_RE.match(text)
    if match is not None:
        return parse_time(match.group(1))
    if "=" in text:
        kv = _KV_TIME_RE.search(text)
        if kv is not None:
            return parse_time(kv.group(1))
    clf = _CLF_TIME_RE.search(text)
    if clf is not None:
        try:
            return datetime.strptime(clf.group(1), "%d/%b/%Y:%H:%M:%S %z").timestamp()
        except ValueError:
            return None
    return None


# --------------------------------------------------------------------------- JSON

_LEVEL_KEYS = ("level", "severity", "lvl", "log.level", "loglevel", "PRIORITY", "levelname")
_MSG_KEYS = ("msg", "message", "MESSAGE", "@message", "event", "error")
_TIME_KEYS = ("time", "timestamp", "ts", "@timestamp", "__REALTIME_TIMESTAMP", "datetime", "date")
_STATUS_KEYS = ("status", "statusCode", "status_code", "http.status_code")
_HIDDEN_KEYS = frozenset(
    (*_LEVEL_KEYS, *_TIME_KEYS, "msg", "message", "MESSAGE", "@message", "event", "v",
     "pid", "hostname")
)
_LOGFMT_PAIR = re.compile(r"([\w.@-]+)=(\"(?:[^\"\\]|\\.)*\"|\S*)")


_JSON_SCAN = make_scanner(json.JSONDecoder(strict=False))
_JSON_SPACE = re.compile(r"[ \t\n\r]*")  # what json.loads allows around a document


def _json_object(raw: str) -> dict[str, Any] | None:
    """``raw`` as a JSON object if ``json.loads(raw, strict=False)`` makes one, else None.

    Calls the decoder's scanner directly: ``json.loads`` with an option builds a new
    decoder per call, which costs more than parsing a short log line.
    """
    if raw.startswith("\ufeff"):
        return None
    start = 0 if raw[:1] == "{" else _JSON_SPACE.match(raw).end()  # type: ignore[union-attr]
    try:
        obj, end = _JSON_SCAN(raw, start)
    except (StopIteration, ValueError):
        return None
    if end != len(raw) and _JSON_SPACE.match(raw, end).end() != len(raw):  # type: ignore[union-attr]
        return None
    return obj if isinstance(obj, dict) else None


def _first(obj: dict[str, Any], keys: Sequence[str]) -> Any:
    for key in keys:
        if key in obj:
            return obj[key]
    return None


def _json_time(obj: dict[str, Any]) -> float | None:
    if "__REALTIME_TIMESTAMP" in obj:
        return parse_time(float(obj["__REALTIME_TIMESTAMP"]) / 1e6)
    return parse_time(_first(obj, _TIME_KEYS))


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _quoted(value: Any) -> str:
    """A logfmt-style value: strings quoted only when they need it, the rest as compact JSON."""
    if not isinstance(value, str):
        return _scalar(value)
    if value == "" or any(c in value for c in ' "='):
        return json.dumps(value, ensure_ascii=False)
    return value


def _flatten(obj: dict[str, Any], prefix: str, out: dict[str, str]) -> None:
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            _flatten(value, f"{name}.", out)
        else:
            out[sanitize(name)] = sanitize(_scalar(value))


def _json_status(obj: dict[str, Any]) -> int | None:
    value = _first(obj, _STATUS_KEYS)
    if value is None:
        for nest in ("res", "response", "http"):
            inner = obj.get(nest)
            if isinstance(inner, dict):
                value = _first(inner, _STATUS_KEYS)
                if value is not None:
                    break
    if isinstance(value, str) and value.isdecimal():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
        return value
    return None


def _json_display(obj: dict[str, Any]) -> str:
    """Compact display text of a JSON line: message first, then key=value fields."""
    msg = _first(obj, _MSG_KEYS)
    parts = [] if msg is None else [_scalar(msg)]
    parts.extend(
        f"{key}={_quoted(value)}"
        for key, value in obj.items()
        if key not in _HIDDEN_KEYS and not (value is msg and msg is not None)
    )
    return sanitize(" ".join(parts))


def _json_line_level(obj: dict[str, Any]) -> Level:
    """Level of a JSON line: its level field, else its message's words; HTTP status raises it."""
    level = _json_level(obj)
    if level is None:
        level = text_level(_json_display(obj)) if _first(obj, _MSG_KEYS) is not None else (
            Level.UNKNOWN
        )
    status = _json_status(obj)
    if status is not None:
        level = max(level, status_level(status))
    return level


_LEVEL_OF: tuple[Level, ...] = tuple(
    Level(code // 10 * 10) if code <= 60 else Level.UNKNOWN for code in range(128)
)


# --------------------------------------------------------------------------- lines

_INDEXES = array("B", range(_BLOCK))


class LineRun(Sequence[LogLine]):
    """Lines held as their blocks and indexes: one list entry and one byte per line.

    Runs of thousands of lines are parsed, buffered and searched without an object per
    line; a ``LogLine`` view is made only for a line that is looked at.
    """

    __slots__ = ("blocks", "indexes")

    def __init__(self, blocks: list[_Block] | None = None,
                 indexes: array[int] | None = None) -> None:
        self.blocks: list[_Block] = [] if blocks is None else blocks
        self.indexes: array[int] = array("B") if indexes is None else indexes

    @classmethod
    def of(cls, lines: Iterable[LogLine]) -> LineRun:
        """``lines`` as a run (the same object if it is one already)."""
        if isinstance(lines, LineRun):
            return lines
        items = list(lines)
        return cls([line._block for line in items], array("B", [line._index for line in items]))

    def __len__(self) -> int:
        return len(self.blocks)

    @overload
    def __getitem__(self, index: int) -> LogLine: ...

    @overload
    def __getitem__(self, index: slice) -> LineRun: ...

    def __getitem__(self, index: int | slice) -> LogLine | LineRun:
        if isinstance(index, slice):
            return LineRun(self.blocks[index], self.indexes[index])
        return _PackedLine(self.blocks[index], self.indexes[index])

    def __iter__(self) -> Iterator[LogLine]:
        return map(_PackedLine, self.blocks, self.indexes)

    def segments(self) -> Iterator[tuple[int, _Block, int, int]]:
        """``(position, block, first, stop)`` for each stretch of consecutive lines of one
        block: the run's lines ``position...`` are the block's lines ``first..stop-1``."""
        blocks, indexes = self.blocks, self.indexes
        position, size = 0, len(blocks)
        while position < size:
            block = blocks[position]
            first = indexes[position]
            stop = min(len(block.codes), first + size - position)
            last = position + stop - first - 1
            if blocks[last] is not block or indexes[last] != stop - 1:
                stop = first + 1  # not in order (a hand-made list): one line at a time
            yield position, block, first, stop
            position += stop - first

    @property
    def footprint(self) -> int:
        """Approximate bytes the lines hold (the sum of their ``footprint``)."""
        total = 0
        for _position, block, first, stop in self.segments():
            starts = block.starts
            count = stop - first
            total += (_LINE_BYTES - 1) * count + starts[stop] - starts[first]
            raws = block.raws
            if raws is not None:
                total += sum(_STR_BYTES + len(raw) for index, raw in raws.items()
                             if first <= index < stop)
        return total


def parse_lines(
    raw: list[str],
    display: list[str],
    *,
    source: str,
    seq: int,
    received: float,
    kind: LineKind = LineKind.TEXT,
) -> list[LogLine]:
    """Turn assembled lines into ``LogLine`` objects numbered from ``seq`` (see ``parse_run``)."""
    return list(parse_run(raw, display, source=source, seq=seq, received=received, kind=kind))


def parse_run(
    raw: list[str],
    display: list[str],
    *,
    source: str,
    seq: int,
    received: float,
    kind: LineKind = LineKind.TEXT,
    plain: bytes | None = None,
    suspects: Iterable[int] | None = None,
) -> LineRun:
    """Turn assembled lines into a ``LineRun`` numbered from ``seq``.

    ``display`` is the sanitised text of each ``raw`` line (the same list object when no
    line needed sanitising, which is the common case and the fast path); ``plain``, if
    given, the lines' bytes joined by newlines, all printable ASCII. Only the lines that
    could be errors (``suspects``, worked out here with ``error_suspects`` if not given)
    are levelled now; the others are levelled when first asked for, and are known
    meanwhile to be below ERROR.
    """
    same = display is raw
    source = sys.intern(source)
    whole = plain.decode("ascii") + "\n" if plain is not None else "\n".join(display) + "\n"
    if suspects is None:
        suspects = error_suspects(whole.encode("utf-8", "surrogatepass"))
    codes = bytearray((_UNSET,)) * len(display)
    for index in suspects:
        codes[index] = _line_code(display[index], display[index] if same else raw[index])
    blocks: list[_Block] = []
    indexes = array("B")
    base = 0
    for first in range(0, len(display), _BLOCK):
        stop = min(first + _BLOCK, len(display))
        shown = display[first:stop]
        starts = array("Q", accumulate(map(add, map(len, shown), repeat(1)), initial=0))
        raws = None if same else {
            index - first: raw[index] for index in range(first, stop)
            if raw[index] != display[index]
        }
        block = _Block(seq + first, source, received, kind, whole[base:base + starts[-1]],
                       starts, codes[first:stop], raws or None)
        base += starts[-1]
        blocks.extend(repeat(block, stop - first))
        indexes.extend(_INDEXES[:stop - first])
    return LineRun(blocks, indexes)


def _line_code(shown: str, original: str) -> int:
    """A line's level code: a JSON line by its fields (flagged ``_JSON``), any other by
    ``text_level`` of its display text."""
    if shown[:1] == "{":
        obj = _json_object(original)
        if obj is not None:
            return _JSON | _json_line_level(obj)
    return text_level(shown)


# Every way ``_line_code`` can come to ERROR or above leaves one of these in the line's
# display text (lowercased): a level word of ERROR or above (or a part of one: "err" is in
# "ERR", "error" and "stderr"), a 5xx after a space, "=", ":" or quote (a request, a
# status field, a JSON status; zero-padded in a JSON string), a JSON level key with a
# number that is not a plain 5-9 or 10-49 (syslog 0-3 is an error, pino 50 and 60 too).
# What the pass cannot judge is suspect as well: anything outside printable ASCII
# (sanitised or escaped characters, Unicode case folding), JSON escapes that decode to
# other text, and JSON numbers whose display form may differ (exponents, more digits than
# a float keeps). tests/unit/test_logs_suspects.py checks this against _line_code.
_SUSPECT = re2.compile(
    rb"err|eror|sever|xception|raceback|fatal|crit|panic|emerg|alert"
    rb'|[\t =:"]0*5\d\d\b'
    rb'|[^\t\n\x20-\x7e]|\\[^"\\/]|\de[-+]?\d|\.\d{12}'
    rb'|(?:level|severity|lvl|loglevel|priority|levelname|name|label)"[ \t]*:[ \t]*"?[ \t]*'
    rb"(?:0|[5-9][0-9]|[1-4](?:[^0-9]|[0-9][0-9.e])|[-+])"
)._regexp  # the C++ RE2 itself: its Match returns spans, no Python match objects
_UNANCHORED = re2._Anchor.UNANCHORED  # (google-re2 is pinned exactly for these two)


def error_suspects(text: bytes) -> list[int]:
    """Indexes of the lines of ``text`` (UTF-8, each line ended by a newline) that could
    be ERROR or above: a superset of them, found in one DFA pass over the text.

    RE2 releases the GIL while it scans, so a source's reader thread can run this
    beside the event loop.
    """
    data = text.lower()
    match = _SUSPECT.Match
    count = data.count
    find = data.find
    end = len(data)
    out: list[int] = []
    line = at = 0
    while at < end:
        found = match(_UNANCHORED, data, at, end)[0][0]
        if found < 0:
            break
        line += count(b"\n", at, found)
        out.append(line)
        at = find(b"\n", found) + 1
        line += 1
        if at == 0:
            break
    return out


def count_at_least(lines: Sequence[LogLine], minimum: Level) -> int:
    """How many of ``lines`` have a level of at least ``minimum`` (errors per second).

    Counting ERROR and above costs nothing: every line that is not levelled yet is known
    to be below ERROR. Lower minimums level the lines first.
    """
    if isinstance(lines, LineRun):
        table = _at_least_table(minimum)
        if minimum >= Level.ERROR:
            return sum(block.codes[first:stop].translate(table).count(1)
                       for _position, block, first, stop in lines.segments())
        return sum(block.settle(first, stop)[first:stop].translate(table).count(1)
                   for _position, block, first, stop in lines.segments())
    return sum(1 for line in lines if line.level >= minimum)


_AT_LEAST: dict[Level, bytes] = {}


def _at_least_table(minimum: Level) -> bytes:
    """A ``bytes.translate`` table: level code -> 1 if its level is at least ``minimum``."""
    table = _AT_LEAST.get(minimum)
    if table is None:
        table = _AT_LEAST[minimum] = bytes(
            int(_LEVEL_OF[code & 0x7F] >= minimum) for code in range(256))
    return table


def marker_positions(lines: Sequence[LogLine]) -> list[int]:
    """Indices of the marker lines (rotation, gaps...) among ``lines``."""
    if isinstance(lines, LineRun):
        return [position + offset for position, block, first, stop in lines.segments()
                if block.kind >= LineKind.ROTATED for offset in range(stop - first)]
    return [index for index, line in enumerate(lines) if line.is_marker]


# A pattern that looks ahead (or at the very end) may see past a line's end when a
# block is searched as a whole, so such patterns search line by line.
_LOOKS_AHEAD = re.compile(r"\(\?[=!]|\\Z")


def scan(
    lines: Sequence[LogLine],
    pattern: re.Pattern[str],
    in_place: re.Pattern[str] | None,
    *,
    lowered: bool = False,
) -> list[int]:
    """Indices of the non-marker ``lines`` whose ``search_text`` ``pattern`` finds.

    ``lowered`` searches the lowercased text (for a lowercase, case-insensitive pattern).
    ``in_place`` is the same pattern compiled with MULTILINE, or None if it may not run in
    place (it uses ``\\A`` or a lookbehind): it then searches each line inside its
    block's text, between the newlines around it, which finds the same as a search of
    the line alone and spares a copy of every line. For a ``LineRun`` it searches a
    stretch of a block at once and maps each match to its line.
    """
    if (in_place is None or not isinstance(lines, LineRun)
            or _LOOKS_AHEAD.search(in_place.pattern)):
        return _scan_lines(lines, pattern, in_place, lowered=lowered)
    out: list[int] = []
    for position, block, first, stop in lines.segments():
        if block.kind >= LineKind.ROTATED:
            continue
        text = block.text
        if lowered:
            low = text.lower()
            text = low if len(low) == len(text) else ""
        if not text or not block.joined:
            part = list(map(_PackedLine, repeat(block, stop - first), range(first, stop)))
            out.extend(position + found
                       for found in _scan_lines(part, pattern, in_place, lowered=lowered))
            continue
        parts = _literal_parts(in_place)
        if len(parts) == 1:
            found: Iterable[int] = _search_block(text, block.starts, first, stop, parts[0])
        else:
            found = sorted({index for part in parts
                            for index in _search_block(text, block.starts, first, stop, part)})
        out.extend(position + index - first for index in found)
    return out


_LITERAL_PARTS: dict[re.Pattern[str], tuple[re.Pattern[str], ...]] = {}


def _literal_parts(pattern: re.Pattern[str]) -> tuple[re.Pattern[str], ...]:
    """``error|exception|failed`` as three patterns, one per word, else ``pattern`` alone.

    A line matches an alternation of plain words when it holds one of them, and the
    regex engine finds one word (a literal prefix) far faster than an alternation.
    """
    parts = _LITERAL_PARTS.get(pattern)
    if parts is None:
        words = pattern.pattern.split("|")
        plain = len(words) > 1 and all(word and re.escape(word) == word for word in words)
        parts = tuple(re.compile(word, pattern.flags) for word in words) if plain else (
            (pattern,))
        if len(_LITERAL_PARTS) > 64:
            _LITERAL_PARTS.clear()
        _LITERAL_PARTS[pattern] = parts
    return parts


def _search_block(
    text: str, starts: array[int], first: int, stop: int, in_place: re.Pattern[str]
) -> Iterator[int]:
    """Lines ``first..stop-1`` of a block (``text``) that ``in_place`` finds, as a search
    of each line between its newlines would: a match that runs past its line's end is
    checked against that line alone."""
    search = in_place.search
    end = starts[stop] - 1
    at = starts[first]
    low = first
    while at <= end:
        match = search(text, at, end)
        if match is None:
            return
        low = index = bisect_right(starts, match.start(), low, stop) - 1
        line_end = starts[index + 1] - 1
        if match.end() <= line_end or search(text, starts[index], line_end) is not None:
            yield index
        at = line_end + 1
        low = index + 1


def _scan_lines(
    lines: Sequence[LogLine],
    pattern: re.Pattern[str],
    in_place: re.Pattern[str] | None,
    *,
    lowered: bool,
) -> list[int]:
    """``scan`` one line at a time (any sequence of lines, any pattern)."""
    out: list[int] = []
    append = out.append
    search_in = pattern.search if in_place is None else in_place.search
    block: _Block | None = None
    text: str | None = None
    starts: Sequence[int] = ()
    skip = False
    for position, line in enumerate(lines):
        current = line._block
        if current is not block:
            block = current
            starts = current.starts
            skip = current.kind >= LineKind.ROTATED
            text = current.text if in_place is not None and current.joined else None
            if text is not None and lowered:
                low = text.lower()
                text = low if len(low) == len(text) else None
        if skip:
            continue
        index = line._index
        if text is not None:
            found = search_in(text, starts[index], starts[index + 1] - 1)
        else:
            own = current.text[starts[index]:starts[index + 1] - 1]
            found = pattern.search(own.lower() if lowered else own)
        if found is not None:
            append(position)
    return out


def marker_line(kind: LineKind, text: str, *, source: str, seq: int, received: float) -> LogLine:
    """A line onduty writes into the stream (rotation, gap, hidden replay...)."""
    return LogLine(seq, source, received, Level.UNKNOWN, kind, sanitize(text))


# --------------------------------------------------------------------------- colour

_SGR_RE = re.compile(r"\x1b\[([0-9;:]*)m")
_COLOURS = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")


def strip_sgr(text: str) -> str:
    """``text`` without SGR (colour) sequences; every other escape is left for the sanitiser."""
    return _SGR_RE.sub("", text) if "\x1b" in text else text


def ansi_spans(raw: str) -> tuple[str, list[tuple[int, int, str]]]:
    """Sanitised text of ``raw`` with its SGR colours as ``(start, end, style)`` spans.

    Only SGR (``ESC [ … m``) is interpreted. Any other escape or control character is
    made visible by the sanitiser, so colour can never smuggle in cursor movement.
    """
    out: list[str] = []
    spans: list[tuple[int, int, str]] = []
    state: dict[str, str] = {}
    pos = 0
    last = 0
    for match in _SGR_RE.finditer(raw):
        pos = _emit(sanitize(raw[last:match.start()]), pos, state, out, spans)
        _apply_sgr(match.group(1), state)
        last = match.end()
    _emit(sanitize(raw[last:]), pos, state, out, spans)
    return "".join(out), spans


def _emit(
    piece: str, pos: int, state: dict[str, str], out: list[str], spans: list[tuple[int, int, str]]
) -> int:
    if piece:
        out.append(piece)
        style = " ".join(state[key] for key in sorted(state))
        if style:
            spans.append((pos, pos + len(piece), style))
    return pos + len(piece)


_ATTR_ON = {1: "bold", 2: "dim", 3: "italic", 4: "underline", 7: "reverse", 9: "strike"}
_ATTR_OFF = {22: ("bold", "dim"), 23: ("italic",), 24: ("underline",), 27: ("reverse",),
             29: ("strike",)}


def _apply_sgr(params: str, state: dict[str, str]) -> None:
    codes = [int(p) if p.isdigit() else 0 for p in params.replace(":", ";").split(";")]
    index = 0
    while index < len(codes):
        code = codes[index]
        index += 1
        if code == 0:
            state.clear()
        elif code in _ATTR_ON:
            state[_ATTR_ON[code]] = _ATTR_ON[code]
        elif code in _ATTR_OFF:
            for name in _ATTR_OFF[code]:
                state.pop(name, None)
        elif 30 <= code <= 37 or 90 <= code <= 97:
            bright = code >= 90
            state["fg"] = _named(code - (90 if bright else 30), bright=bright)
        elif 40 <= code <= 47 or 100 <= code <= 107:
            bright = code >= 100
            state["on"] = "on " + _named(code - (100 if bright else 40), bright=bright)
        elif code in (38, 48):
            colour, index = _extended(codes, index)
            if colour:
                state["fg" if code == 38 else "on"] = colour if code == 38 else f"on {colour}"
        elif code == 39:
            state.pop("fg", None)
        elif code == 49:
            state.pop("on", None)


def _named(number: int, *, bright: bool) -> str:
    return ("bright_" if bright else "") + _COLOURS[number]


def _extended(codes: list[int], index: int) -> tuple[str | None, int]:
    """38/48 arguments: ``5;n`` (256 colours) or ``2;r;g;b`` (true colour)."""
    if index < len(codes) and codes[index] == 5 and index + 1 < len(codes):
        return f"color({min(codes[index + 1], 255)})", index + 2
    if index < len(codes) and codes[index] == 2 and index + 3 < len(codes):
        r, g, b = (min(c, 255) for c in codes[index + 1 : index + 4])
        return f"#{r:02x}{g:02x}{b:02x}", index + 4
    return None, len(codes)
