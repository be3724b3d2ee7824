"""`onduty runbook lint FILE|DIR` and `onduty runbook show FILE [PROCEDURE]`.

``lint`` prints what the importer understood, so a team can see how onduty reads their
Markdown and fix what it skipped: exit 0 when clean, 1 with warnings, 2 when a file cannot
be read. ``show`` prints one procedure as the checklist the incident screen will walk.
Everything printed is already sanitised by the importer.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tui.runbooks.library import RUNBOOK_SUFFIXES, read_runbook, runbook_files
from tui.runbooks.model import Command, Procedure, Runbook, Step, format_duration

CLEAN, WARNINGS, UNREADABLE = 0, 1, 2
_COMMAND_WIDTH = 96


def build_parser() -> argparse.ArgumentParser:
    """The `onduty runbook` command line."""
    parser = argparse.ArgumentParser(
        prog="onduty runbook",
        description="Read Markdown runbooks as procedures onduty can walk.",
    )
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    lint = sub.add_parser(
        "lint", help="print what was understood and what was skipped",
        description="Print the procedures, phases (with budgets), steps, commands, "
        "variables, severity scale, escalation and templates found, and every skipped or "
        "ambiguous part with its line. Exit 0 clean, 1 with warnings, 2 unreadable.",
    )
    lint.add_argument("target", metavar="FILE|DIR",
                      help=f"a runbook, or a folder of {'/'.join(RUNBOOK_SUFFIXES)} files")
    show = sub.add_parser(
        "show", help="print a procedure as a checklist",
        description="Print PROCEDURE (any part of its title, any case) as a checklist; "
        "without PROCEDURE, list the procedures.",
    )
    show.add_argument("file", metavar="FILE")
    show.add_argument("procedure", metavar="PROCEDURE", nargs="?")
    return parser


def run_runbook(argv: list[str]) -> int:
    """Run `onduty runbook ARGV...`; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else UNREADABLE
    if args.action == "lint":
        return _lint(Path(args.target))
    return _show(Path(args.file), args.procedure)


def _error(message: str) -> int:
    print(f"onduty runbook: {message}", file=sys.stderr)
    return UNREADABLE


def _lint(target: Path) -> int:
    if target.is_dir():
        try:
            files = runbook_files(target)
        except OSError as exc:
            return _error(f"cannot read {target}: {exc.strerror or exc}")
        if not files:
            return _error(f"no runbooks ({', '.join(RUNBOOK_SUFFIXES)}) in {target}")
    else:
        files = [target]
    status = CLEAN
    for index, file in enumerate(files):
        if index:
            print()
        try:
            runbook = read_runbook(file)
        except OSError as exc:
            print(f"{file}: unreadable: {exc.strerror or type(exc).__name__}")
            status = UNREADABLE
            continue
        _print_lint(file, runbook)
        if runbook.warnings and status == CLEAN:
            status = WARNINGS
    return status


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _command_line(command: Command) -> str:
    first = command.text.split("\n", 1)[0]
    more = command.text.count("\n")
    text = first if len(first) <= _COMMAND_WIDTH else first[:_COMMAND_WIDTH - 1] + "…"
    extra = f" (+{_count(more, 'line')})" if more else ""
    danger = f"  [destructive: {command.destructive_reason}]" if command.destructive else ""
    kind = command.language or "text"
    return f"{kind}> {text}{extra}  (line {command.line}){danger}"


def _print_lint(file: Path, runbook: Runbook) -> None:
    print(f"{file}: {runbook.title!r}: {_count(len(runbook.procedures), 'procedure')}, "
          f"{_count(len(runbook.severity_scale), 'severity level')}, "
          f"{_count(len(runbook.escalation), 'escalation schedule')}, "
          f"{_count(len(runbook.templates), 'template')}, "
          f"{_count(len(runbook.variables), 'variable')}, "
          f"{_count(len(runbook.warnings), 'warning')}")
    for procedure in runbook.procedures:
        _print_procedure_summary(procedure)
    if runbook.severity_scale:
        print("  severity scale:")
        for level in runbook.severity_scale:
            response = (f", respond within {format_duration(level.response_seconds)}"
                        if level.response_seconds is not None else "")
            print(f"    {level.level} {level.name}{response} (line {level.line})")
    if runbook.escalation:
        print("  escalation:")
        for schedule in runbook.escalation:
            who = schedule.severity or "any severity"
            steps = "; ".join(_escalation_step(s.after_seconds, s.who, s.note)
                              for s in schedule.steps)
            print(f"    {who} [{schedule.title}] (line {schedule.line}): {steps}")
    if runbook.templates:
        print("  templates:")
        for template in runbook.templates:
            names = ", ".join(f"[{p}]" for p in template.placeholders) or "no placeholders"
            print(f"    {template.name} (line {template.line}): {names}")
    if runbook.variables:
        names = ", ".join(v.name + ("" if v.line else " (front matter)")
                          for v in runbook.variables)
        print(f"  variables: {names}")
    if runbook.warnings:
        print("  skipped or ambiguous:")
        for warning in runbook.warnings:
            print(f"    {warning}")


def _escalation_step(after: int | None, who: str, note: str) -> str:
    when = "then" if after is None else "at start" if after == 0 else (
        f"after {format_duration(after)}")
    return f"{when} {who}" + (f" ({note})" if note else "")


def _print_procedure_summary(procedure: Procedure) -> None:
    where = f" in {' > '.join(procedure.section)}" if procedure.section else ""
    severity = f", severity {procedure.severity}" if procedure.severity else ""
    print(f"  procedure {procedure.title!r} (line {procedure.line}{severity}){where}")
    if procedure.triggers:
        print(f"    triggers: {'; '.join(procedure.triggers)}")
    for phase in procedure.phases:
        name = repr(phase.title) if phase.title else "(steps)"
        budget = (f", budget {format_duration(phase.budget_seconds)}"
                  if phase.budget_seconds is not None else "")
        steps = list(phase.walk())
        commands = [*phase.commands, *(c for s in steps for c in s.commands)]
        checks = sum(1 for s in steps if s.check)
        print(f"    phase {name} (line {phase.line}{budget}): {_count(len(steps), 'step')}, "
              f"{_count(len(commands), 'command')}, {_count(checks, 'live check')}")
        for command in commands:
            print(f"      {_command_line(command)}")
    if procedure.variables:
        print(f"    variables: {', '.join(procedure.variables)}")


def _show(file: Path, query: str | None) -> int:
    try:
        runbook = read_runbook(file)
    except OSError as exc:
        return _error(f"cannot read {file}: {exc.strerror or type(exc).__name__}")
    if not runbook.procedures:
        return _error(f"{file}: no procedures found (try `onduty runbook lint {file}`)")
    if query is None:
        print(f"{runbook.title} ({file}):")
        for procedure in runbook.procedures:
            print(f"  {procedure.title}  (line {procedure.line}, "
                  f"{_count(procedure.step_count, 'step')})")
        return CLEAN
    matches = runbook.find_procedures(query)
    exact = [p for p in matches if p.title.casefold() == query.casefold().strip()]
    if len(exact) == 1:
        matches = exact
    if not matches:
        return _error(f"no procedure matching {query!r} in {file}; "
                      f"`onduty runbook show {file}` lists them")
    if len(matches) > 1:
        titles = "; ".join(p.title for p in matches)
        return _error(f"{query!r} matches {len(matches)} procedures ({titles}): be more "
                      "specific")
    print_checklist(matches[0])
    return CLEAN


def print_checklist(procedure: Procedure) -> None:
    """Print ``procedure`` as a numbered checklist with commands, checks and budgets."""
    severity = f"  [{procedure.severity}]" if procedure.severity else ""
    print(f"{procedure.title}{severity}  (line {procedure.line})")
    if procedure.section:
        print(f"in {' > '.join(procedure.section)}")
    if procedure.triggers:
        print(f"Triggers: {'; '.join(procedure.triggers)}")
    for phase in procedure.phases:
        print()
        budget = (f"  (budget {format_duration(phase.budget_seconds)})"
                  if phase.budget_seconds is not None else "")
        print(f"{phase.title or 'Steps'}{budget}")
        for note in phase.notes:
            print(_indent(note, "  "))
        for command in phase.commands:
            _print_command(command, "  ")
        for number, step in enumerate(phase.steps, 1):
            _print_step(step, f"{number}.", "  ")
    if procedure.variables:
        print()
        print(f"Variables: {', '.join(procedure.variables)}")


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.split("\n"))


def _print_command(command: Command, prefix: str) -> None:
    if command.comment:
        print(f"{prefix}# {command.comment.replace(chr(10), ' ')}")
    if command.destructive:
        print(f"{prefix}! destructive: {command.destructive_reason}")
    first, *rest = command.text.split("\n")
    print(f"{prefix}{'$' if command.runnable else '|'} {first}")
    for line in rest:
        print(f"{prefix}  {line}")


def _print_step(step: Step, number: str, prefix: str) -> None:
    first, *rest = step.text.split("\n")
    extras = []
    if step.budget_seconds is not None:
        extras.append(f"budget {format_duration(step.budget_seconds)}")
    if step.destructive:
        extras.append(f"destructive: {step.destructive_reason}")
    tail = f"  ({'; '.join(extras)})" if extras else ""
    print(f"{prefix}[ ] {number} {first}{tail}")
    inner = prefix + "      "
    for line in rest:
        print(inner + line)
    if step.check:
        print(f"{inner}check: {step.check}")
    for note in step.notes:
        print(_indent(note, inner))
    for command in step.commands:
        _print_command(command, inner)
    for index, child in enumerate(step.children, 1):
        _print_step(child, f"{number}{index}.", prefix + "    ")
