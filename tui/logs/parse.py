"""Log lines as onduty holds them: level, time and a compact, sanitised display text.

Every line is parsed once on arrival, cheaply, because a flood can bring tens of
thousands a second: one level, the display text and the original raw string. Anything
that is only needed for the few lines on screen (the timestamp, JSON/logfmt fields,
source colours) is derived on demand from the raw string, which keeps a million lines
inside the memory budget.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

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


@dataclass(frozen=True, slots=True)
class LogLine:
    """One received line. ``text`` is safe to display; ``raw`` is kept only if it differs.

    ``seq`` increases by one per line across all sources of a tail; ``received`` is the
    epoch time of the read that brought it (shared by the lines of one read).
    """

    seq: int
    source: str
    received: float
    level: Level
    kind: LineKind
    text: str
    raw: str | None = None

    @property
    def original(self) -> str:
        """The line as the source wrote it (decoded, escapes still in it)."""
        return self.text if self.raw is None else self.raw

    @property
    def is_marker(self) -> bool:
        return self.kind >= LineKind.ROTATED

    @property
    def is_stderr(self) -> bool:
        return self.kind is LineKind.STDERR

    @property
    def truncated(self) -> bool:
        """True when the line was longer than the source's limit and was clipped."""
        return not self.is_marker and CLIP_SUFFIX.search(self.text) is not None

    @property
    def ts(self) -> float | None:
        """The line's own timestamp (epoch seconds) if it has one; naive times are UTC."""
        if self.is_marker:
            return None
        obj = _json_object(self.raw) if self.raw is not None and self.raw[:1] == "{" else None
        if obj is not None:
            return _json_time(obj)
        return text_time(self.text)

    @property
    def message(self) -> str:
        """The message alone: JSON ``msg``/``message`` without the other fields, else the text."""
        obj = _json_object(self.raw) if self.raw is not None and self.raw[:1] == "{" else None
        if obj is not None:
            msg = _first(obj, _MSG_KEYS)
            if msg is not None:
                return sanitize(_scalar(msg))
        return self.text

    def fields(self) -> dict[str, str]:
        """Structured fields, sanitised, flattened with dots (JSON) or as given (logfmt)."""
        if self.is_marker:
            return {}
        obj = _json_object(self.raw) if self.raw is not None and self.raw[:1] == "{" else None
        if obj is not None:
            flat: dict[str, str] = {}
            _flatten(obj, "", flat)
            return flat
        return {sanitize(k): sanitize(v) for k, v in _LOGFMT_PAIR.findall(self.text)} if (
            "=" in self.text
        ) else {}

    def styled(self) -> tuple[str, list[tuple[int, int, str]]]:
        """Text plus the source's SGR colours as ``(start, end, rich style)`` spans.

        Only SGR is interpreted; JSON lines and lines without colour come back unstyled.
        """
        raw = self.raw
        if raw is None or "\x1b[" not in raw or raw.startswith("{"):
            return self.text, []
        plain, spans = ansi_spans(raw)
        if not self.text.startswith(plain):
            return self.text, []
        return self.text, spans


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
_KV_LEVEL_RE = re.compile(
    rf"(?:level|lvl|severity|loglevel)\s*[=:]\s*[\"']?({_WORD_ALT})\b", re.IGNORECASE
)
_BRACKET_RE = re.compile(rf"\[({_WORD_ALT})\]", re.IGNORECASE)
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
    if "evel" in head or "lvl" in head or "everity" in head:
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
        return _numeric_level(int(value))
    if isinstance(value, str):
        word = value.strip().lower()
        if word.isdigit():
            return _syslog_level(int(word)) if len(word) == 1 else _numeric_level(int(word))
        return _WORDS.get(word)
    return None


def _numeric_level(value: int) -> Level:
    """pino/bunyan numbers (10..60); values between steps round down, above 60 is fatal."""
    if value >= 60:
        return Level.FATAL
    if value < 10:
        return _syslog_level(value)
    return Level(value // 10 * 10)


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
        if text.replace(".", "", 1).isdigit():
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


def _json_object(raw: str) -> dict[str, Any] | None:
    try:
        obj = json.loads(raw, strict=False)
    except ValueError:
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
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
        return value
    return None


def _parse_json(obj: dict[str, Any]) -> tuple[Level, str]:
    """Level and compact display text (message first, then key=value fields)."""
    msg = _first(obj, _MSG_KEYS)
    parts = [] if msg is None else [_scalar(msg)]
    parts.extend(
        f"{key}={_quoted(value)}"
        for key, value in obj.items()
        if key not in _HIDDEN_KEYS and not (value is msg and msg is not None)
    )
    text = sanitize(" ".join(parts))
    level = _json_level(obj)
    if level is None:
        level = text_level(text) if msg is not None else Level.UNKNOWN
    status = _json_status(obj)
    if status is not None:
        level = max(level, status_level(status))
    return level, text


# --------------------------------------------------------------------------- lines


def parse_lines(
    raw: list[str],
    display: list[str],
    *,
    source: str,
    seq: int,
    received: float,
    kind: LineKind = LineKind.TEXT,
) -> list[LogLine]:
    """Turn assembled lines into ``LogLine`` objects numbered from ``seq``.

    ``display`` is the sanitised text of each ``raw`` line (the same list object when no
    line needed sanitising, which is the common case and the fast path).
    """
    same = display is raw
    out: list[LogLine] = []
    append = out.append
    level_of = text_level
    for offset, text in enumerate(display):
        original = raw[offset]
        if text[:1] == "{":
            obj = _json_object(original)
            if obj is not None:
                level, shown = _parse_json(obj)
                append(LogLine(seq + offset, source, received, level, kind, shown, original))
                continue
        append(
            LogLine(
                seq + offset, source, received, level_of(text), kind, text,
                None if same or original == text else original,
            )
        )
    return out


def marker_line(kind: LineKind, text: str, *, source: str, seq: int, received: float) -> LogLine:
    """A line onduty writes into the stream (rotation, gap, hidden replay...)."""
    return LogLine(seq, source, received, Level.UNKNOWN, kind, sanitize(text))


# --------------------------------------------------------------------------- colour

_SGR_RE = re.compile(r"\x1b\[([0-9;:]*)m")
_COLOURS = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")


def strip_sgr(text: str) -> str:
    """``text`` without SGR (colour) sequences; every other escape is left for the sanitiser."""
    return _SGR_RE.sub("", text) if "\x1b[" in text else text


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
