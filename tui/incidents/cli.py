"""`onduty incident list|show ID|export ID [--output FILE]|resume ID`.

Reads the incident store without the console, for a quick look over SSH, for writing
the post-mortem after the fact, and to find an incident again. A store that does not
exist yet is never created by these read-only commands. Errors are one line, exit 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import NoReturn, TextIO

from tui.errors import OnDutyError
from tui.incidents.export import describe, export_postmortem, render_postmortem
from tui.incidents.model import Incident, StepStatus
from tui.incidents.store import IncidentStore, default_store_path
from tui.incidents.templates import format_time
from tui.incidents.timers import format_clock, format_span

USAGE_ERROR = 2
PROG = "onduty incident"


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are one line and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (try `{PROG} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    """The `onduty incident` command line."""
    parser = _Parser(
        prog=PROG,
        description="Incidents recorded by onduty, read from the incident store.",
    )
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True,
                                parser_class=_Parser)
    sub.add_parser("list", help="every incident, newest first")
    show = sub.add_parser("show", help="an incident's checklist and timeline")
    show.add_argument("id", metavar="ID")
    export = sub.add_parser("export", help="write the post-mortem Markdown (mode 0600)")
    export.add_argument("id", metavar="ID")
    export.add_argument(
        "--output", "-o", metavar="FILE",
        help="where to write it (default: ./incident-ID-postmortem.md; - for stdout)",
    )
    resume = sub.add_parser("resume", help="say how to pick an open incident up again")
    resume.add_argument("id", metavar="ID")
    return parser


def run_incident(
    argv: list[str], *, store_path: Path | None = None, out: TextIO | None = None
) -> int:
    """Run `onduty incident ...`; returns the exit status."""
    stdout = out if out is not None else sys.stdout
    args = build_parser().parse_args(argv)
    path = store_path or default_store_path()
    try:
        return _dispatch(args, path, stdout)
    except OnDutyError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return USAGE_ERROR


def _dispatch(args: argparse.Namespace, path: Path, out: TextIO) -> int:
    if not path.exists():
        if args.action == "list":
            print(f"No incidents recorded yet (store: {path}).", file=out)
            return 0
        raise OnDutyError(f"no incident store at {path}: no incident has been recorded yet")
    with IncidentStore(path) as store:
        if args.action == "list":
            return _list(store, out)
        incident = store.load(_parse_id(args.id))
        if args.action == "show":
            _show(incident, out)
            return 0
        if args.action == "export":
            return _export(incident, args.output, out)
        return _resume(incident, store, out)


def _parse_id(text: str) -> int:
    try:
        value = int(text.strip().lstrip("#"))
    except ValueError:
        value = 0
    if value <= 0:
        raise OnDutyError(f"{text!r} is not an incident id (see `{PROG} list`)")
    return value


def _list(store: IncidentStore, out: TextIO) -> int:
    summaries = store.incidents()
    if not summaries:
        print(f"No incidents recorded yet (store: {store.path}).", file=out)
        return 0
    now = time.time()
    rows = [("ID", "STATE", "SEV", "OPENED (UTC)", "CLOCK", "TITLE")]
    for summary in summaries:
        incident = store.load(summary.id)
        state = incident.state.value if incident.is_open else f"{incident.state.value}, closed"
        rows.append((
            str(incident.id), state, incident.severity.level.name,
            format_time(incident.opened_at).removesuffix(" UTC"),
            format_clock(incident.elapsed(now)), incident.title,
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]), file=out)
    return 0


def _show(incident: Incident, out: TextIO) -> None:
    now = time.time()
    sev = incident.severity.level
    status = "open" if incident.is_open else f"closed {format_time(incident.closed_at or now)}"
    print(f"Incident #{incident.id}: {incident.title}", file=out)
    print(
        f"Severity {sev.name} ({sev.label}) · state {incident.state.value} · "
        f"lead {incident.lead or '(none)'} · opened {format_time(incident.opened_at)} · "
        f"clock {format_clock(incident.elapsed(now))} · {status}",
        file=out,
    )
    current = incident.current
    current_step = current[2] if current else None
    for procedure in incident.procedures:
        print(
            f"\nProcedure {procedure.index + 1}: {procedure.snapshot.title} — "
            f"{procedure.resolved}/{procedure.total} steps",
            file=out,
        )
        for phase in procedure.phases:
            budget = phase.phase.budget_s
            suffix = f" [budget {format_span(budget)}]" if budget is not None else ""
            print(f"  {phase.phase.title}{suffix}", file=out)
            for step in phase.steps:
                mark = {StepStatus.DONE: "[x]", StepStatus.SKIPPED: "[-]",
                        StepStatus.PENDING: "[ ]"}[step.status]
                pointer = ">" if step is current_step else " "
                why = f" (skipped: {step.reason})" if step.status is StepStatus.SKIPPED else ""
                print(f"  {pointer} {mark} {step.step.id} {step.step.text}{why}", file=out)
    print("\nTimeline", file=out)
    for entry in incident.entries:
        offset = format_clock(max(0.0, entry.at - incident.opened_at))
        print(f"  +{offset:>8}  {entry.actor}  {describe(entry, incident)}", file=out)


def _export(incident: Incident, output: str | None, out: TextIO) -> int:
    now = time.time()
    if output == "-":
        out.write(render_postmortem(incident, now=now))
        return 0
    target = Path(output) if output else Path(f"incident-{incident.id}-postmortem.md")
    written = export_postmortem(incident, target.expanduser(), now=now)
    print(f"Wrote the post-mortem of incident #{incident.id} to {written} (mode 0600).",
          file=out)
    return 0


def _resume(incident: Incident, store: IncidentStore, out: TextIO) -> int:
    if not incident.is_open:
        raise OnDutyError(
            f"incident #{incident.id} is closed; read it with `{PROG} show {incident.id}` "
            f"or `{PROG} export {incident.id}`"
        )
    current = incident.current
    where = (
        f"at step {current[2].step.id} {current[2].step.text}" if current
        else "with every checklist step resolved"
    )
    print(f"Incident #{incident.id} \"{incident.title}\" is open ({incident.state.value}, "
          f"{where}).", file=out)
    latest = store.open_incident_id()
    if latest == incident.id:
        print("Run `onduty` (or `onduty --env NAME`): the console reopens it where it was "
              "and `!` goes to its checklist.", file=out)
    else:
        print(f"Incident #{latest} is the most recent open one and the console reopens that; "
              f"close it first to resume #{incident.id}.", file=out)
    return 0
