"""User conditions on a probe, in the spirit of gatus: ``status == 200``, ``latency < 500ms``.

A condition is one comparison between two operands. An operand is a literal (a number,
optionally with a duration unit ``ms``/``s``/``m``; a double- or single-quoted string;
``true``/``false``/``null``), a value of the probe (``status``, ``latency`` in ms,
``cert_days``, ``body`` and paths into a JSON body such as ``body.checks.database.status``
or ``body.items[0].id``) or ``len(...)`` of one. Conditions are tokenised and parsed by
hand, never evaluated as Python, and every syntax error names the condition and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tui.errors import OnDutyError

ROOTS = ("status", "latency", "cert_days", "body")
_OPERATORS = ("==", "!=", "<=", ">=", "<", ">")
_UNITS = {"ms": 1.0, "s": 1000.0, "m": 60_000.0}
_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<number>-?\d+(?:\.\d+)?(?:ms|s|m)?(?![A-Za-z0-9_]))
      | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>==|!=|<=|>=|<|>)
      | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
      | (?P<punct>[.()\[\]])
    """,
    re.VERBOSE,
)


class ConditionError(OnDutyError):
    """A condition in the config cannot be parsed; the message names it and the column."""


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    column: int


@dataclass(frozen=True)
class Literal:
    """A constant operand."""

    value: Any

    def describe(self) -> str:
        return _show(self.value)


@dataclass(frozen=True)
class Path:
    """A value of the probe: a root (``body``) and the keys/indexes below it."""

    root: str
    parts: tuple[str | int, ...] = ()
    length: bool = False

    def describe(self) -> str:
        text = self.root + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.parts)
        return f"len({text})" if self.length else text


@dataclass(frozen=True)
class Condition:
    """A parsed condition: ``left op right``. ``text`` is what the user wrote."""

    text: str
    left: Literal | Path
    op: str
    right: Literal | Path

    def evaluate(self, context: dict[str, Any]) -> tuple[bool, str]:
        """(holds, a plain explanation such as 'body.status is "degraded"')."""
        left, left_error = _value(self.left, context)
        right, right_error = _value(self.right, context)
        if left_error or right_error:
            return False, left_error or right_error
        shown = [
            f"{o.describe()} is {_show(v)}{' ms' if o.root == 'latency' and _is_number(v) else ''}"
            for o, v in ((self.left, left), (self.right, right))
            if isinstance(o, Path)
        ]
        explanation = ", ".join(shown) or f"{_show(left)} {self.op} {_show(right)}"
        if self.op in ("==", "!="):
            equal = _equal(left, right)
            return (equal if self.op == "==" else not equal), explanation
        if not (_is_number(left) and _is_number(right)):
            return False, f"{explanation}: {self.op} needs two numbers"
        holds = {"<": left < right, "<=": left <= right, ">": left > right,
                 ">=": left >= right}[self.op]
        return holds, explanation


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equal(left: Any, right: Any) -> bool:
    if _is_number(left) and _is_number(right):
        return float(left) == float(right)
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    return bool(left == right)


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:59] + "…"
        return f'"{shown}"'
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return f"a {'list' if isinstance(value, list) else 'object'} of {len(value)}"
    return str(value)


def _value(operand: Literal | Path, context: dict[str, Any]) -> tuple[Any, str]:
    if isinstance(operand, Literal):
        return operand.value, ""
    current = context.get(operand.root)
    walked = operand.root
    for part in operand.parts:
        walked += f"[{part}]" if isinstance(part, int) else f".{part}"
        in_list = isinstance(part, int) and isinstance(current, list) and (
            -len(current) <= part < len(current))
        if in_list or (isinstance(current, dict) and part in current):
            current = current[part]  # type: ignore[index]
        else:
            return None, f"{walked} is missing"
    if operand.length:
        if not isinstance(current, list | dict | str):
            return None, f"{operand.describe()}: {walked} has no length"
        return len(current), ""
    return current, ""


@lru_cache(maxsize=512)
def parse_condition(text: str) -> Condition:
    """Parse ``text``; raise ``ConditionError`` naming the column where it went wrong."""
    return _Parser(text).condition()


class _Parser:
    """Recursive descent over the token list; one method per grammar rule."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = self._tokenize(text)
        self.index = 0

    def fail(self, column: int, message: str) -> ConditionError:
        return ConditionError(f"condition {self.text!r}: column {column}: {message}")

    def _tokenize(self, text: str) -> list[_Token]:
        tokens = []
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None:
                message = f"unexpected character {text[position]!r}"
                if text[position] in "=!":
                    message = (f"expected a comparison operator (==, !=, <, <=, >, >=), "
                               f"found {text[position]!r}")
                raise self.fail(position + 1, message)
            kind = match.lastgroup or ""
            if kind != "space":
                tokens.append(_Token(kind, match.group(), position + 1))
            position = match.end()
        tokens.append(_Token("end", "", len(text) + 1))
        return tokens

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def expect(self, text: str, what: str) -> _Token:
        token = self.take()
        if token.text != text:
            raise self.fail(token.column, f"expected {what}, found {_found(token)}")
        return token

    def condition(self) -> Condition:
        if self.peek().kind == "end":
            raise self.fail(1, "empty condition; write something like: status == 200")
        left = self.operand()
        token = self.take()
        if token.kind != "op":
            raise self.fail(
                token.column,
                f"expected a comparison operator (==, !=, <, <=, >, >=), found {_found(token)}",
            )
        right = self.operand()
        end = self.take()
        if end.kind != "end":
            raise self.fail(end.column, f"unexpected {_found(end)} after the comparison")
        return Condition(self.text, left, token.text, right)

    def operand(self) -> Literal | Path:
        token = self.take()
        if token.kind == "number":
            return Literal(_number(token.text))
        if token.kind == "string":
            return Literal(_unquote(token.text))
        if token.kind == "name":
            if token.text in ("true", "false", "null"):
                return Literal({"true": True, "false": False, "null": None}[token.text])
            if token.text == "len":
                self.expect("(", "'(' after len")
                inner = self.path(self.take())
                self.expect(")", "')' to close len(")
                return Path(inner.root, inner.parts, length=True)
            return self.path(token)
        raise self.fail(token.column, f"expected a value or one of {', '.join(ROOTS)}, "
                                      f"found {_found(token)}")

    def path(self, token: _Token) -> Path:
        if token.kind != "name" or token.text not in ROOTS:
            raise self.fail(token.column, f"unknown name {_found(token)}; expected one of "
                                          f"{', '.join(ROOTS)}")
        parts: list[str | int] = []
        while self.peek().text in (".", "["):
            if token.text != "body":
                raise self.fail(self.peek().column, f"{token.text} has no fields; only body does")
            if self.take().text == ".":
                key = self.take()
                if key.kind == "name" or (key.kind == "number" and key.text.isdigit()):
                    parts.append(key.text)
                else:
                    raise self.fail(key.column, f"expected a field name after '.', found "
                                                f"{_found(key)}")
            else:
                index = self.take()
                if index.kind == "number" and index.text.lstrip("-").isdigit():
                    parts.append(int(index.text))
                elif index.kind == "string":
                    parts.append(_unquote(index.text))
                else:
                    raise self.fail(index.column, f"expected an index or a quoted key inside "
                                                  f"[ ], found {_found(index)}")
                self.expect("]", "']'")
        return Path(token.text, tuple(parts))


def _found(token: _Token) -> str:
    return "the end" if token.kind == "end" else repr(token.text)


def _number(text: str) -> float | int:
    for unit, factor in _UNITS.items():  # "ms" is tried before "s" and "m"
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text) if "." in text else int(text)


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])
