"""Commands and steps built from text and code: splitting, sanitising, inferring.

A fenced shell block usually holds several commands, each under a comment saying what it
does; they are split so a step can offer each one ("Check system health: curl -f ...").
A block that is really a checklist written as comments ("# 1. Pre-deployment checks")
becomes steps. Everything that leaves this module is sanitised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tui.runbooks import infer
from tui.runbooks.model import SQL_LANGUAGES, Command, Step
from tui.sanitize import sanitize


def make_command(language: str, text: str, line: int, *, comment: str = "",
                 inline: bool = False) -> Command:
    """A sanitised command with its danger and variables inferred."""
    is_code = language != "" and language not in {"json", "yaml", "yml", "text", "txt"}
    shell = language not in SQL_LANGUAGES
    return Command(
        language=language,
        text=sanitize(text, multiline=True),
        line=line,
        comment=sanitize(comment, multiline=True),
        inline=inline,
        destructive_reason=infer.destructive_reason(text, command=True) if is_code else "",
        variables=tuple(infer.find_variables(text, shell=shell)),
    )


def make_step(text: str, line: int, *, children: tuple[Step, ...] = (),
              commands: tuple[Command, ...] = (), notes: tuple[str, ...] = (),
              check: str | None = None, budget: int | None = None) -> Step:
    """A sanitised step; danger comes from its text or its commands, variables from both."""
    reason = infer.destructive_reason(text) or next(
        (c.destructive_reason for c in commands if c.destructive_reason), ""
    )
    names = infer.find_prose_variables(text) + [v for c in commands for v in c.variables]
    if check:
        names += infer.find_variables(check)
    return Step(
        text=sanitize(text, multiline=True),
        line=line,
        children=children,
        commands=commands,
        notes=tuple(sanitize(n, multiline=True) for n in notes),
        check=sanitize(check) if check else None,
        budget_seconds=budget if budget is not None else infer.step_budget(text),
        destructive_reason=reason,
        variables=tuple(dict.fromkeys(names)),
    )


@dataclass
class _Segment:
    """A run of comment lines, optionally followed by the command they describe."""

    comments: list[tuple[int, str]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    line: int = 0


def _quote_after(line: str, quote: str | None, *, sql: bool) -> str | None:
    """Which quote is still open at the end of ``line`` (shell or SQL rules, simplified)."""
    escaped = False
    for char in line:
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'" and not sql:
            escaped = True
        elif quote is None and char in ("'", '"'):
            quote = char
        elif char == quote:
            quote = None
    return quote


def _continues(line: str) -> bool:
    return line.rstrip().endswith(("\\", "|", "&&", "||"))


def _segments(language: str, code: str) -> list[_Segment]:
    """Split code into (comments, command) segments; offsets are 0-based code lines."""
    sql = language in SQL_LANGUAGES
    prefix = "--" if sql else "#"
    segments: list[_Segment] = []
    pending: list[tuple[int, str]] = []
    current: _Segment | None = None
    quote: str | None = None
    continued = False
    for offset, raw in enumerate(code.split("\n")):
        stripped = raw.strip()
        if current is not None and (quote or continued):
            current.lines.append(raw)
        elif not stripped or stripped.startswith(prefix):
            if current is not None:
                segments.append(current)
                current = None
            if stripped:
                pending.append((offset, stripped[len(prefix):].strip()))
            elif pending:
                segments.append(_Segment(pending))
                pending = []
            continue
        elif current is None:
            current = _Segment(pending, [raw], offset)
            pending = []
        else:
            current.lines.append(raw)
        quote = _quote_after(raw, quote, sql=sql)
        continued = _continues(raw)
    if current is not None:
        segments.append(current)
    if pending:
        segments.append(_Segment(pending))
    return segments


def _text(segment: _Segment) -> str:
    return "\n".join(segment.lines).strip("\n")


def code_commands(language: str, code: str, first_line: int) -> tuple[list[Command], list[str]]:
    """A block's commands and the comments that describe no command (as notes).

    Shell and SQL are split at blank lines and comment lines; other code (JSON, YAML,
    unlabelled text) stays one block. ``first_line`` is the file line of the code's first
    line.
    """
    guessed = language or infer.command_language(code)
    if guessed not in _SPLIT_LANGUAGES:
        body = code.rstrip("\n")
        return ([make_command(guessed, body, first_line)] if body.strip() else []), []
    commands: list[Command] = []
    notes: list[str] = []
    for segment in _segments(guessed, code):
        comment = "\n".join(text for _, text in segment.comments if text)
        if segment.lines:
            commands.append(make_command(guessed, _text(segment), first_line + segment.line,
                                         comment=comment))
        elif comment:
            notes.append(comment)
    return commands, notes


_SPLIT_LANGUAGES = frozenset(
    {"bash", "sh", "shell", "zsh", "console", "shell-session", "powershell", "ps1", "pwsh",
     *SQL_LANGUAGES}
)
_NUMBERED = re.compile(r"^(?:\d{1,3}[.)]|step\s*\d{1,3}[:.)]?)\s*(\S.*)$", re.I)
_BULLET = re.compile(r"^[-*•]\s+(\S.*)$")


@dataclass
class _Draft:
    text: str
    line: int
    children: list[Step] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def build(self) -> Step:
        return make_step(self.text, self.line, children=tuple(self.children),
                         commands=tuple(self.commands), notes=tuple(self.notes))


def code_checklist(language: str, code: str, first_line: int
                   ) -> tuple[list[Step], list[Command]] | None:
    """Steps from a block written as a checklist in comments, or None when it is not one.

    "# 1. Title" lines start steps (two or more are needed), "# - item" lines become child
    steps, and each command goes to the step above it. A block of comments and no
    commands at all is a checklist too, one step per comment line. Commands before the
    first numbered comment are returned separately.
    """
    guessed = language or infer.command_language(code)
    if guessed not in _SPLIT_LANGUAGES:
        return None
    segments = _segments(guessed, code)
    comments = [(first_line + off, text) for seg in segments for off, text in seg.comments
                if text]
    numbered = sum(1 for _, text in comments if _NUMBERED.match(text))
    if numbered < 2 and (any(seg.lines for seg in segments) or not comments):
        return None
    if numbered < 2:
        steps = [make_step(_strip_bullet(text), line) for line, text in comments]
        return steps, []
    drafts: list[_Draft] = []
    loose: list[Command] = []
    for segment in segments:
        described: list[str] = []
        for offset, text in segment.comments:
            line = first_line + offset
            if match := _NUMBERED.match(text):
                drafts.append(_Draft(match.group(1), line))
                described = []
            elif (bullet := _BULLET.match(text)) and drafts:
                drafts[-1].children.append(make_step(bullet.group(1), line))
            elif text:
                described.append(text)
        if segment.lines:
            command = make_command(guessed, _text(segment), first_line + segment.line,
                                   comment="\n".join(described))
            (drafts[-1].commands if drafts else loose).append(command)
        elif described and drafts:
            drafts[-1].notes.append("\n".join(described))
    return [d.build() for d in drafts], loose


def _strip_bullet(text: str) -> str:
    match = _BULLET.match(text) or _NUMBERED.match(text)
    return match.group(1) if match else text
