"""Incident timers: pure functions of (incident, now), so they are trivial to test.

The footer shows the incident clock, the current phase's budget and the next escalation
("15 min: Engineering Lead — in 4:12") on every screen. :func:`due_alerts` says which
reminders are due and not yet on the timeline: the app rings the bell once for each and
appends its entry, which is what stops it ringing again (here or in another process).

Escalation and status-update times count from when the current severity was set: a
severity raised mid-incident starts its own schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tui.incidents.model import (
    EntryKind,
    EscalationStep,
    Incident,
    IncidentState,
    PhaseProgress,
    ProcedureProgress,
)


def format_clock(seconds: float) -> str:
    """``4:12`` or ``1:02:03`` (whole seconds, never negative)."""
    total = int(max(0.0, seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def format_span(seconds: float) -> str:
    """A schedule offset as people write it: ``15 min``, ``1 h``, ``1 h 30 min``."""
    minutes = round(seconds / 60)
    if minutes == 0:
        return "Initial"
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


@dataclass(frozen=True)
class PhaseTimer:
    """The current phase's budget: remaining (negative when overdue)."""

    procedure: int
    phase: int
    title: str
    budget_s: float | None
    elapsed_s: float

    @property
    def remaining_s(self) -> float | None:
        """Seconds left in the budget (negative once overdue); None without a budget."""
        return None if self.budget_s is None else self.budget_s - self.elapsed_s

    @property
    def overdue(self) -> bool:
        """The phase has run past its budget."""
        remaining = self.remaining_s
        return remaining is not None and remaining < 0

    @property
    def label(self) -> str:
        """``Immediate Actions 3:10 / 5 min`` or ``... overdue 1:02``."""
        if self.budget_s is None:
            return f"{self.title} {format_clock(self.elapsed_s)}"
        if self.overdue:
            return f"{self.title} overdue {format_clock(-(self.remaining_s or 0.0))}"
        return f"{self.title} {format_clock(self.elapsed_s)} / {format_span(self.budget_s)}"


@dataclass(frozen=True)
class EscalationTimer:
    """The next rung of the escalation schedule and how long until it."""

    step: EscalationStep
    due_at: float
    remaining_s: float

    @property
    def label(self) -> str:
        """``15 min: Engineering Lead — in 4:12``."""
        when = format_span(self.step.after_s)
        return f"{when}: {self.step.who} — in {format_clock(self.remaining_s)}"


@dataclass(frozen=True)
class StatusUpdateTimer:
    """When the next status update is due."""

    every_s: float
    due_at: float
    remaining_s: float

    @property
    def overdue(self) -> bool:
        """The update is due or late."""
        return self.remaining_s <= 0

    @property
    def label(self) -> str:
        """``update in 12:30`` or ``update overdue 2:00``."""
        if self.overdue:
            return f"update overdue {format_clock(-self.remaining_s)}"
        return f"update in {format_clock(self.remaining_s)}"


@dataclass(frozen=True)
class DueAlert:
    """A reminder due now and not yet recorded: append ``kind`` with ``payload`` once."""

    kind: EntryKind
    payload: dict[str, Any]
    message: str


@dataclass(frozen=True)
class IncidentTimers:
    """Everything time-related the footer and the checklist show, at one instant."""

    elapsed_s: float
    phase: PhaseTimer | None
    escalation: EscalationTimer | None
    status_update: StatusUpdateTimer | None
    due: tuple[DueAlert, ...]

    @property
    def clock(self) -> str:
        """The incident clock as text."""
        return format_clock(self.elapsed_s)


def _active(incident: Incident) -> bool:
    return incident.is_open and incident.state is not IncidentState.RESOLVED


def phase_timer(incident: Incident, now: float) -> PhaseTimer | None:
    """The budget of the phase the checklist is on, or None when there is no such phase."""
    current = incident.current
    if current is None:
        return None
    procedure, phase, _step = current
    return _phase_timer(procedure, phase, now)


def _phase_timer(procedure: ProcedureProgress, phase: PhaseProgress, now: float) -> PhaseTimer:
    started = phase.started_at if phase.started_at is not None else procedure.attached_at
    return PhaseTimer(
        procedure=procedure.index,
        phase=phase.index,
        title=phase.phase.title,
        budget_s=phase.phase.budget_s,
        elapsed_s=max(0.0, now - started),
    )


def next_escalation(incident: Incident, now: float) -> EscalationTimer | None:
    """The first rung of the current severity's schedule still in the future."""
    if not _active(incident):
        return None
    for step in incident.severity.escalation:
        due_at = incident.severity_set_at + step.after_s
        if due_at > now:
            return EscalationTimer(step=step, due_at=due_at, remaining_s=due_at - now)
    return None


def status_update_timer(incident: Incident, now: float) -> StatusUpdateTimer | None:
    """When the next status update is due, counted from the last one sent."""
    every = incident.severity.status_update_every_s
    if every is None or every <= 0 or not _active(incident):
        return None
    sent = incident.entries_of(EntryKind.STATUS_UPDATE_SENT)
    base = max(incident.severity_set_at, sent[-1].at if sent else incident.opened_at)
    due_at = base + every
    return StatusUpdateTimer(every_s=every, due_at=due_at, remaining_s=due_at - now)


def due_alerts(incident: Incident, now: float) -> tuple[DueAlert, ...]:
    """Reminders due at ``now`` that no entry records yet (escalations, updates, phases)."""
    if not _active(incident):
        return ()
    alerts: list[DueAlert] = []
    recorded_escalations = {
        (_num(e.payload.get("since")), _num(e.payload.get("after_s")), e.payload.get("who"))
        for e in incident.entries_of(EntryKind.ESCALATION_DUE)
    }
    since = incident.severity_set_at
    name = incident.severity.level.name
    for step in incident.severity.escalation:
        if since + step.after_s > now or (since, step.after_s, step.who) in recorded_escalations:
            continue
        alerts.append(
            DueAlert(
                kind=EntryKind.ESCALATION_DUE,
                payload={"severity": name, "since": since, "after_s": step.after_s,
                         "who": step.who},
                message=f"Escalate to {step.who} ({format_span(step.after_s)}, {name})",
            )
        )
    update = status_update_timer(incident, now)
    if update is not None and update.overdue:
        recorded = {_num(e.payload.get("due_at"))
                    for e in incident.entries_of(EntryKind.STATUS_UPDATE_DUE)}
        if update.due_at not in recorded:
            alerts.append(
                DueAlert(
                    kind=EntryKind.STATUS_UPDATE_DUE,
                    payload={"due_at": update.due_at},
                    message=f"Status update due (every {format_span(update.every_s)})",
                )
            )
    overdue_recorded = {
        (_num(e.payload.get("procedure")), _num(e.payload.get("phase")))
        for e in incident.entries_of(EntryKind.PHASE_OVERDUE)
    }
    for procedure in incident.procedures:
        phase = procedure.current_phase
        if phase is None:
            continue
        timer = _phase_timer(procedure, phase, now)
        if timer.overdue and (procedure.index, phase.index) not in overdue_recorded:
            alerts.append(
                DueAlert(
                    kind=EntryKind.PHASE_OVERDUE,
                    payload={"procedure": procedure.index, "phase": phase.index,
                             "title": phase.phase.title},
                    message=f"Phase overdue: {phase.phase.title} "
                    f"(budget {format_span(phase.phase.budget_s or 0.0)})",
                )
            )
    return tuple(alerts)


def incident_timers(incident: Incident, now: float) -> IncidentTimers:
    """All timers at ``now``."""
    return IncidentTimers(
        elapsed_s=incident.elapsed(now),
        phase=phase_timer(incident, now),
        escalation=next_escalation(incident, now),
        status_update=status_update_timer(incident, now),
        due=due_alerts(incident, now),
    )


def _num(value: object) -> float | None:
    """A payload number for comparisons (JSON gives int or float); None when absent."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
