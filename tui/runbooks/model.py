"""The runbook model: what the importer understood from a team's Markdown.

A runbook holds procedures (what to do for one kind of incident or task), each split into
time-boxed phases of steps; steps carry their commands, an optional live check the other
panes can evidence, an optional time budget and a destructive flag. The runbook also holds
what applies to every procedure: the severity scale, escalation schedules, communication
templates and the variables to fill in. Everything is immutable and every text field is
plain, already-sanitised text with the source line it came from, so a screen can show it
as-is and a lint report can point back at the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

SHELL_LANGUAGES = frozenset(
    {"bash", "sh", "shell", "zsh", "fish", "console", "shell-session", "powershell", "ps1",
     "pwsh", "cmd", "bat"}
)
SQL_LANGUAGES = frozenset({"sql", "psql", "pgsql", "postgresql", "postgres", "plpgsql"})


@dataclass(frozen=True)
class Command:
    """A command to run: a fenced block's command or an inline `code` span that looks like one.

    ``comment`` is the comment written above it in its block ("Check system health");
    ``destructive_reason`` names what makes it dangerous ("rollback", "DROP") or is empty.
    Code that is not runnable (expected JSON output, YAML thresholds) is kept too, with its
    language, so a reader still sees it; ``runnable`` tells them apart.
    """

    language: str
    text: str
    line: int
    comment: str = ""
    inline: bool = False
    destructive_reason: str = ""
    variables: tuple[str, ...] = ()

    @property
    def runnable(self) -> bool:
        """True for shell and SQL, the languages a step's command can be run in."""
        return bool(self.text) and (
            self.language in SHELL_LANGUAGES or self.language in SQL_LANGUAGES
        )

    @property
    def destructive(self) -> bool:
        """True when running it can lose data or take something down."""
        return bool(self.destructive_reason)


@dataclass(frozen=True)
class Step:
    """One checklist item; nested list items stay nested as ``children``.

    ``check`` is the live check that evidences the step (see :func:`parse_check`),
    ``budget_seconds`` a time box stated in the step ("Monitor for 30 minutes"),
    ``destructive_reason`` the word that makes the step or one of its commands dangerous.
    """

    text: str
    line: int
    children: tuple[Step, ...] = ()
    commands: tuple[Command, ...] = ()
    notes: tuple[str, ...] = ()
    check: str | None = None
    budget_seconds: int | None = None
    destructive_reason: str = ""
    variables: tuple[str, ...] = ()

    @property
    def destructive(self) -> bool:
        """True when the step itself (not its children) is dangerous."""
        return bool(self.destructive_reason)

    def walk(self) -> Iterator[Step]:
        """This step, then its descendants depth first (checklist order)."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class Phase:
    """A time-boxed part of a procedure ("Immediate Actions (0-5 minutes)").

    ``title`` is empty when the procedure has no phases of its own. ``commands`` are code
    blocks that no step precedes; ``notes`` are paragraphs that are not steps.
    """

    title: str
    line: int
    budget_seconds: int | None = None
    steps: tuple[Step, ...] = ()
    commands: tuple[Command, ...] = ()
    notes: tuple[str, ...] = ()

    def walk(self) -> Iterator[Step]:
        """Every step of the phase in checklist order, nested ones included."""
        for step in self.steps:
            yield from step.walk()


@dataclass(frozen=True)
class Procedure:
    """What to do for one kind of incident or task, e.g. "System Down - Critical Outage".

    ``section`` is the path of headings above it ("Emergency Procedures",), ``triggers``
    the symptoms the text lists for it, ``severity`` a level such as "P0" when stated.
    """

    title: str
    line: int
    phases: tuple[Phase, ...]
    section: tuple[str, ...] = ()
    triggers: tuple[str, ...] = ()
    severity: str | None = None

    def steps(self) -> Iterator[Step]:
        """Every step of every phase in checklist order."""
        for phase in self.phases:
            yield from phase.walk()

    def commands(self) -> Iterator[Command]:
        """Every command: each phase's own, then its steps' in order."""
        for phase in self.phases:
            yield from phase.commands
            for step in phase.walk():
                yield from step.commands

    @property
    def step_count(self) -> int:
        """How many checklist items, nested ones included."""
        return sum(1 for _ in self.steps())

    @property
    def variables(self) -> tuple[str, ...]:
        """Names of the variables its steps and commands use, first use first."""
        names: dict[str, None] = {}
        for phase in self.phases:
            for command in phase.commands:
                names.update(dict.fromkeys(command.variables))
            for step in phase.walk():
                names.update(dict.fromkeys(step.variables))
        return tuple(names)

    @property
    def destructive(self) -> bool:
        """True when any step or command is dangerous."""
        return any(s.destructive for s in self.steps()) or any(
            c.destructive for c in self.commands()
        )


@dataclass(frozen=True)
class SeverityLevel:
    """One level of the severity scale: "P0", "Critical", respond within 15 minutes."""

    level: str
    name: str
    line: int
    response_seconds: int | None = None
    description: str = ""
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class EscalationStep:
    """Who to involve, ``after_seconds`` after the start (None: the text gives only the order)."""

    after_seconds: int | None
    who: str
    note: str = ""


@dataclass(frozen=True)
class EscalationSchedule:
    """An escalation path; ``severity`` is empty when it applies to every severity."""

    severity: str
    title: str
    line: int
    steps: tuple[EscalationStep, ...]


_PLACEHOLDER = re.compile(r"\[([^\[\]\n]+)\](?!\()")


@dataclass(frozen=True)
class Template:
    """A communication template ("Initial Alert") with its ``[placeholders]`` to fill in."""

    name: str
    text: str
    line: int
    placeholders: tuple[str, ...] = ()

    def fill(self, values: Mapping[str, str]) -> str:
        """The text with each ``[placeholder]`` found in ``values`` replaced; others stay."""
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), self.text)


@dataclass(frozen=True)
class Variable:
    """A value the engineer fills in: ``[app-name]``, ``$DATABASE_URL``, ``${VAR}``.

    ``line`` is its first use (0 when only the front matter names it), ``declared`` is
    True when the front matter names it, with an optional ``description``.
    """

    name: str
    line: int = 0
    description: str = ""
    declared: bool = False


@dataclass(frozen=True)
class ImportWarning:
    """Something skipped or ambiguous, with the line it starts on (0: the whole file)."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True)
class Runbook:
    """One imported Markdown runbook."""

    title: str
    source: str
    procedures: tuple[Procedure, ...] = ()
    description: str = ""
    severity_scale: tuple[SeverityLevel, ...] = ()
    escalation: tuple[EscalationSchedule, ...] = ()
    templates: tuple[Template, ...] = ()
    variables: tuple[Variable, ...] = ()
    warnings: tuple[ImportWarning, ...] = field(default=())

    def find_procedures(self, query: str) -> list[Procedure]:
        """Procedures whose title contains ``query``, ignoring case (all for an empty query)."""
        needle = query.casefold().strip()
        return [p for p in self.procedures if needle in p.title.casefold()]


# -- live checks --------------------------------------------------------------------------

CHECK_KINDS = ("health", "logs", "db", "tls")
DB_CHECKS = frozenset({"slow-queries", "connections", "activity", "locks"})

_DURATION = re.compile(r"^(\d+)\s*(s|m|h|d)$")
_DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_LOGS = re.compile(r"^(?P<env>[^\s/]+)(?:\s+/(?P<pattern>.+)/(?P<flags>i?))?"
                   r"(?:\s+since\s+(?P<since>\S+))?$")


@dataclass(frozen=True)
class LiveCheck:
    """A parsed live check: which pane evidences a step, and what it should look at.

    ``health: production`` -> kind "health", target "production";
    ``logs: production /error|failed/ since 15m`` -> target "production", pattern
    "error|failed", since_seconds 900; ``db: slow-queries``; ``tls: api.example.com``.
    """

    kind: str
    target: str
    raw: str
    pattern: str | None = None
    ignore_case: bool = False
    since_seconds: int | None = None


def parse_check(text: str) -> LiveCheck:
    """Parse a ``kind: argument`` live check; ValueError says what is wrong with it."""
    raw = text.strip()
    kind, sep, rest = raw.partition(":")
    kind, rest = kind.strip().lower(), rest.strip()
    if not sep or kind not in CHECK_KINDS:
        raise ValueError(f"unknown live check {raw!r}: expected one of "
                         f"{', '.join(k + ': ...' for k in CHECK_KINDS)}")
    if not rest:
        raise ValueError(f"live check {raw!r} names no target")
    if kind == "db":
        if rest not in DB_CHECKS:
            raise ValueError(f"unknown database check {rest!r}: expected one of "
                             f"{', '.join(sorted(DB_CHECKS))}")
        return LiveCheck(kind, rest, raw)
    if kind in ("health", "tls"):
        if any(ch.isspace() for ch in rest):
            raise ValueError(f"live check {raw!r}: the target must be one word")
        return LiveCheck(kind, rest, raw)
    match = _LOGS.match(rest)
    if match is None:
        raise ValueError(f"live check {raw!r}: expected `logs: ENV [/REGEX/] [since 15m]`")
    pattern = match.group("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"live check {raw!r}: bad pattern ({exc})") from None
    since = match.group("since")
    since_seconds = None
    if since is not None:
        amount = _DURATION.match(since)
        if amount is None:
            raise ValueError(f"live check {raw!r}: `since` takes a duration like 15m or 2h")
        since_seconds = int(amount.group(1)) * _DURATION_SECONDS[amount.group(2)]
    return LiveCheck(kind, match.group("env"), raw, pattern, match.group("flags") == "i",
                     since_seconds)


def format_duration(seconds: int) -> str:
    """A budget or response time as people say it: "90 s", "5 min", "1 h", "1 h 30 min", "2 d"."""
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds % 86400 == 0:
        return f"{seconds // 86400} d"
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h {rest // 60} min" if rest >= 60 else f"{hours} h"
