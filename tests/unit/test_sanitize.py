"""The one sanitiser: nothing that can drive a terminal or hide text gets through."""

from __future__ import annotations

import pytest

from tui.sanitize import decode, safe_text, sanitize

HOSTILE = [
    "\x1b]52;c;ZWNobyBwd25lZA==\x07",  # OSC 52 clipboard write, BEL-terminated
    "\x1b]52;c;ZWNobyBwd25lZA==\x1b\\",  # ... ST-terminated
    "\x1b]0;pwned title\x07",  # OSC 0 title
    "\x1b]8;;http://evil/\x1b\\click\x1b]8;;\x1b\\",  # OSC 8 link
    "\x1bP1$r\x1b\\",  # DCS
    "\x1b_apc\x1b\\",  # APC
    "\x1b[2J\x1b[H",  # CSI erase + cursor home
    "\x9b31m\x9d0;x\x9c",  # 8-bit C1 CSI/OSC/ST
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_no_escape_or_control_byte_survives(payload: str) -> None:
    out = sanitize(f"before {payload} after")
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in out)
    assert out.startswith("before ") and out.endswith(" after")
    assert "␛" in out or "⟨U+009B⟩" in out


def test_a_line_ending_mid_escape_does_not_affect_the_next() -> None:
    first, second = sanitize("partial \x1b[3"), sanitize("next line")
    assert first == "partial ␛[3"
    assert second == "next line"


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200b",
                                  "\u200d", "\ufeff"])
def test_bidi_and_zero_width_characters_are_made_visible(char: str) -> None:
    out = sanitize(f"rm -rf /tmp/x{char}safe")
    assert char not in out
    assert f"⟨U+{ord(char):04X}⟩" in out


def test_newlines_only_survive_in_multiline_mode() -> None:
    assert sanitize("a\nb") == "a␊b"
    assert sanitize("a\nb", multiline=True) == "a\nb"
    assert sanitize("a\tb") == "a    b"


def test_invalid_utf8_and_nul_are_decoded_visibly() -> None:
    text = sanitize(decode(b"ok \xff\xfe nul\x00end"))
    assert "\\xff\\xfe" in text
    assert "␀" in text


def test_safe_text_is_never_markup() -> None:
    text = safe_text("[bold]x[/] [@click=app.quit]q[/]")
    assert text.plain == "[bold]x[/] [@click=app.quit]q[/]"
    assert not text.spans
