"""The one sanitiser in front of everything onduty shows or exports.

Untrusted text (log lines, HTTP bodies, query text, runbook Markdown, notes) must never
move the cursor, set the title, write the clipboard or hide what it says. Every control,
escape, C1, bidirectional and zero-width character is replaced by a visible placeholder;
nothing is dropped silently, so the engineer can still see that something was there.
"""

from __future__ import annotations

from rich.text import Text

_PLACEHOLDERS: dict[int, str] = {}

# C0 controls become their Unicode "control picture" (ESC -> ␛, NUL -> ␀, BEL -> ␇).
for _code in range(0x20):
    _PLACEHOLDERS[_code] = chr(0x2400 + _code)
_PLACEHOLDERS[0x7F] = "␡"
# C1 controls (8-bit CSI 0x9B, OSC 0x9D, ST 0x9C ...) have no picture: show the code point.
for _code in range(0x80, 0xA0):
    _PLACEHOLDERS[_code] = f"⟨U+{_code:04X}⟩"
# Bidirectional overrides/isolates and invisible characters that can disguise text
# (Trojan Source) are made visible the same way.
for _code in (
    *range(0x200B, 0x2010),  # zero-width space/joiners, LRM, RLM
    *range(0x202A, 0x202F),  # LRE RLE PDF LRO RLO
    *range(0x2060, 0x2065),  # word joiner, invisible operators
    *range(0x2066, 0x206A),  # LRI RLI FSI PDI
    0x00AD,  # soft hyphen
    0x061C,  # Arabic letter mark
    0xFEFF,  # zero-width no-break space / BOM
    0xFFF9,
    0xFFFA,
    0xFFFB,  # interlinear annotation
):
    _PLACEHOLDERS[_code] = f"⟨U+{_code:04X}⟩"

_SINGLE_LINE = str.maketrans({**_PLACEHOLDERS, 0x09: "    "})
_MULTI_LINE = str.maketrans({**_PLACEHOLDERS, 0x09: "    ", 0x0A: "\n"})


def sanitize(text: str, *, multiline: bool = False) -> str:
    """Return ``text`` with every dangerous or invisible character made visible.

    Tabs become four spaces. With ``multiline`` newlines are kept; otherwise they are
    shown as ␊ so one record can never look like two.
    """
    return text.translate(_MULTI_LINE if multiline else _SINGLE_LINE)


def decode(data: bytes) -> str:
    """Decode bytes from an untrusted source; invalid UTF-8 shows as ``\\xNN``, never fails."""
    return data.decode("utf-8", errors="backslashreplace")


def safe_text(text: str, style: str = "", *, multiline: bool = False) -> Text:
    """A Rich ``Text`` of sanitised ``text``; never parsed as markup."""
    return Text(sanitize(text, multiline=multiline), style=style, no_wrap=not multiline)
