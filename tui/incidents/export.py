"""The post-mortem: Markdown pre-filled from everything onduty recorded, written atomically.

What the timeline knows goes in (key times, the procedure with what was done or skipped
and why, evidence, commands with their output, notes); what only people know (root
cause, impact in words) is left as a visible prompt. The file is written to a temp file
in the same directory, fsynced, renamed over the target and the directory fsynced, with
mode 0600: a crash leaves the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tui.errors import OnDutyError
from tui.incidents.model import (
    Entry,
    EntryKind,
    Incident,
    ProcedureProgress,
    StepStatus,
)
from tui.incidents.store import clean_text
from tui.incidents.templates import format_time
from tui.incidents.timers import format_clock, format_span

TO_WRITE = "_(to be written)_"


def _inline(text: object) -> str:
    """One table-safe line: newlines folded, pipes escaped."""
    return re.sub(r"\s*\n\s*", " / ", str(text)).replace("|", "\\|").strip()


def _fenced(text: str, info: str = "text") -> str:
    """A code block whose fence is longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text.rstrip()}\n{fence}"


def _rel(incident: Incident, at: float | None) -> str:
    """Time relative to the start of the incident: ``+12:04`` (or ``-1:00`` before it)."""
    if at is None:
        return "—"
    delta = at - incident.opened_at
    return f"-{format_clock(-delta)}" if delta < 0 else f"+{format_clock(delta)}"


def _span(start: float | None, end: float | None) -> str:
    if start is None or end is None:
        return "—"
    return format_clock(end - start)


def _webhook_outcome(payload: Mapping[str, Any]) -> str:
    """``; webhook post failed: HTTP 500`` for a status update that was also posted."""
    webhook = payload.get("webhook")
    if not isinstance(webhook, Mapping):
        return ""
    if webhook.get("ok"):
        return f"; webhook post: HTTP {webhook.get('status')}"
    return f"; webhook post failed: {webhook.get('detail') or 'unknown error'}"


def describe(entry: Entry, incident: Incident) -> str:
    """One line saying what an entry recorded, for the timeline table and `show`."""
    p: Mapping[str, Any] = entry.payload
    kind = entry.kind
    step = _step_label(incident, p)
    descriptions: dict[str, Callable[[], str]] = {
        EntryKind.OPENED: lambda: f"Opened: {p.get('title', '')} "
        f"({p.get('severity', {}).get('name', '?')})",
        EntryKind.PROCEDURE_ATTACHED: lambda: "Procedure attached: "
        f"{p.get('procedure', {}).get('title', '?')}",
        EntryKind.STEP_DONE: lambda: f"Done: {step}",
        EntryKind.STEP_SKIPPED: lambda: f"Skipped: {step} — {p.get('reason') or 'no reason'}",
        EntryKind.STEP_UNDONE: lambda: f"Back: {step} is pending again",
        EntryKind.NOTE: lambda: ("Follow-up: " if p.get("follow_up") else "Note: ")
        + str(p.get("text", "")),
        EntryKind.EVIDENCE: lambda: f"Evidence ({p.get('check', '?')}): {p.get('summary', '')}",
        EntryKind.COMMAND: lambda: f"Command `{p.get('display', '')}` exit "
        f"{'timeout' if p.get('timed_out') else p.get('exit_code')}",
        EntryKind.HEALTH_CHANGE: lambda: f"Health {p.get('environment', '')} "
        f"{p.get('target', '')}: {p.get('before', '?')} → {p.get('after', '?')}",
        EntryKind.LOG_LINES: lambda: f"{len(p.get('lines', []))} log lines pinned from "
        f"{p.get('source', '?')}",
        EntryKind.DB_ACTION: lambda: f"Database {p.get('action', '?')} {p.get('target', '')}: "
        f"{p.get('outcome', '?')}",
        EntryKind.SEVERITY_CHANGED: lambda: "Severity changed to "
        f"{p.get('severity', {}).get('name', '?')}"
        + (f" — {p['reason']}" if p.get("reason") else ""),
        EntryKind.STATE_CHANGED: lambda: f"State: {p.get('state', '?')}",
        EntryKind.ROLE_ASSIGNED: lambda: f"Role {p.get('role', '?')}: {p.get('who') or '(none)'}",
        EntryKind.ESCALATION_DUE: lambda: f"Escalation due: {p.get('who', '?')} "
        f"({format_span(float(p.get('after_s', 0)))})",
        EntryKind.STATUS_UPDATE_DUE: lambda: "Status update due",
        EntryKind.STATUS_UPDATE_SENT: lambda: "Status update sent"
        + (f" to {p['channel']}" if p.get("channel") else "") + _webhook_outcome(p),
        EntryKind.PHASE_OVERDUE: lambda: f"Phase overdue: {p.get('title', '?')}",
        EntryKind.CLOSED: lambda: "Closed",
    }
    render = descriptions.get(kind)
    try:
        return render() if render is not None else f"{kind}"
    except (AttributeError, TypeError, ValueError):
        return f"{kind} (unreadable details)"


def _step_label(incident: Incident, payload: Mapping[str, Any]) -> str:
    step_id = str(payload.get("step", "?"))
    try:
        procedure = incident.procedures[int(payload.get("procedure", -1))]
    except (IndexError, TypeError, ValueError):
        return step_id
    for phase in procedure.phases:
        for step in phase.steps:
            if step.step.id == step_id:
                return f"{step_id} {step.step.text}"
    return step_id


def _procedure_section(incident: Incident, procedure: ProcedureProgress) -> list[str]:
    snap = procedure.snapshot
    lines = [f"### {snap.title}", ""]
    if snap.source:
        lines += [f"Source: `{_inline(snap.source)}`", ""]
    lines += [f"{procedure.resolved}/{procedure.total} steps resolved.", ""]
    for phase in procedure.phases:
        budget = phase.phase.budget_s
        took = _span(phase.started_at, phase.finished_at)
        heading = f"#### {phase.phase.title}"
        facts = []
        if budget is not None:
            facts.append(f"budget {format_span(budget)}")
        if phase.finished_at is not None:
            facts.append(f"took {took}")
            if budget is not None and phase.started_at is not None and (
                phase.finished_at - phase.started_at > budget
            ):
                facts.append("**over budget**")
        lines += [heading + (f" ({', '.join(facts)})" if facts else ""), ""]
        for step in phase.steps:
            text = _inline(f"{step.step.id} {step.step.text}")
            if step.status is StepStatus.DONE:
                lines.append(f"- [x] {text} — done {_rel(incident, step.at)} by {step.actor}")
            elif step.status is StepStatus.SKIPPED:
                lines.append(
                    f"- [ ] ~~{text}~~ — skipped {_rel(incident, step.at)} by {step.actor}: "
                    f"{_inline(step.reason or 'no reason given')}"
                )
            else:
                lines.append(f"- [ ] {text} — not done")
        lines.append("")
    return lines


def render_postmortem(incident: Incident, *, now: float) -> str:
    """The post-mortem Markdown for ``incident`` (``now`` ends a still-running clock)."""
    sev = incident.severity.level
    closed = incident.entries_of(EntryKind.CLOSED)
    summary = str(closed[-1].payload.get("summary") or "") if closed else ""
    roles = ", ".join(f"{role}: {who}" for role, who in sorted(incident.roles.items()))
    response = f", response {format_span(sev.response_s)}" if sev.response_s else ""
    end = incident.ended_at()
    lines = [
        f"# Post-mortem: {_inline(incident.title)}",
        "",
        "| | |",
        "|---|---|",
        f"| Incident | #{incident.id} |",
        f"| Severity | {_inline(sev.name)} — {_inline(sev.label)}{response} |",
        f"| State | {incident.state.value}{'' if incident.is_open else ' (closed)'} |",
        f"| Roles | {_inline(roles) or '—'} |",
        f"| Opened | {format_time(incident.opened_at)} |",
        f"| Resolved | {format_time(end) if end is not None else 'not yet'} |",
        f"| Duration | {format_clock(incident.elapsed(now))} |",
        "",
        "## Summary",
        "",
        summary or TO_WRITE,
        "",
        "## Impact",
        "",
        incident.impact or TO_WRITE,
        "",
        "## Root cause",
        "",
        TO_WRITE,
        "",
        *_key_times(incident),
        "## Timeline",
        "",
        "| Time | Who | What |",
        "|---|---|---|",
        *(
            f"| {_rel(incident, e.at)} | {_inline(e.actor)} | {_inline(describe(e, incident))} |"
            for e in sorted(incident.entries, key=lambda e: (e.at, e.id))
        ),
        "",
    ]
    if incident.procedures:
        lines += ["## Procedures", ""]
        for procedure in incident.procedures:
            lines += _procedure_section(incident, procedure)
    lines += _evidence(incident)
    lines += _commands(incident)
    lines += _notes(incident)
    return clean_text("\n".join(lines).rstrip() + "\n")


def _key_times(incident: Incident) -> list[str]:
    start = incident.started_at
    detected = incident.detected_at if incident.detected_at is not None else incident.opened_at
    rows = [
        ("Impact started", start),
        ("Detected", detected),
        ("Acknowledged (incident opened)", incident.opened_at),
        ("Identified", incident.identified_at),
        ("Mitigated (monitoring)", incident.mitigated_at),
        ("Resolved", incident.resolved_at),
    ]
    lines = ["## Key times", "", "| Milestone | Time | Since start |", "|---|---|---|"]
    for label, at in rows:
        lines.append(
            f"| {label} | {format_time(at) if at is not None else '—'} | {_rel(incident, at)} |"
        )
    lines += [
        "",
        f"- Time to detect: {_span(start, detected)}",
        f"- Time to acknowledge: {_span(detected, incident.opened_at)}",
        f"- Time to mitigate: {_span(start, incident.mitigated_at)}",
        f"- Time to resolve: {_span(start, incident.resolved_at)}",
        "",
    ]
    return lines


def _evidence(incident: Incident) -> list[str]:
    entries = incident.entries_of(EntryKind.EVIDENCE, EntryKind.LOG_LINES, EntryKind.DB_ACTION,
                                  EntryKind.HEALTH_CHANGE)
    if not entries:
        return []
    lines = ["## Evidence", ""]
    for entry in entries:
        lines += [f"### {_rel(incident, entry.at)} {_inline(describe(entry, incident))}", ""]
        p = entry.payload
        body = ""
        if entry.kind == EntryKind.EVIDENCE:
            body = str(p.get("text", ""))
        elif entry.kind == EntryKind.LOG_LINES:
            body = "\n".join(str(line) for line in p.get("lines", []))
        elif p.get("detail"):
            body = str(p["detail"])
        if body:
            lines += [_fenced(body), ""]
    return lines


def _commands(incident: Incident) -> list[str]:
    entries = incident.entries_of(EntryKind.COMMAND)
    if not entries:
        return []
    lines = ["## Commands", ""]
    for entry in entries:
        p = entry.payload
        status = "timed out" if p.get("timed_out") else f"exit {p.get('exit_code')}"
        lines += [
            f"### {_rel(incident, entry.at)} by {_inline(entry.actor)} — {status}",
            "",
            _fenced(str(p.get("display", "")), "sh"),
            "",
        ]
        output = str(p.get("output", ""))
        if output:
            lines += [_fenced(output), ""]
        if p.get("truncated"):
            lines += ["_(output truncated)_", ""]
    return lines


def _notes(incident: Incident) -> list[str]:
    notes = incident.entries_of(EntryKind.NOTE)
    plain = [n for n in notes if not n.payload.get("follow_up")]
    follow = [n for n in notes if n.payload.get("follow_up")]
    lines: list[str] = []
    if plain:
        lines += ["## Notes", ""]
        lines += [
            f"- {_rel(incident, n.at)} {_inline(n.actor)}: {_inline(n.payload.get('text', ''))}"
            for n in plain
        ]
        lines.append("")
    lines += ["## Follow-ups", ""]
    lines += [f"- [ ] {_inline(n.payload.get('text', ''))}" for n in follow] or [TO_WRITE]
    lines.append("")
    return lines


def write_export(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically with mode 0600 and return the path."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OnDutyError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OnDutyError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path


def export_postmortem(incident: Incident, path: Path, *, now: float) -> Path:
    """Render and atomically write the post-mortem of ``incident`` to ``path``."""
    return write_export(path, render_postmortem(incident, now=now))

