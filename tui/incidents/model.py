"""The incident model: procedure snapshots, timeline entries, and the fold over them.

An incident is never stored as mutable state. The store keeps an append-only list of
entries and :func:`fold` rebuilds the incident from them, so a crash between two writes
can never leave the incident and its timeline disagreeing.

Payload of each entry kind (JSON objects; fields marked ? are optional):

=================== ==========================================================================
opened              title, severity, escalation, status_update_every_s (see SeverityPolicy),
                    impact?, detected_at?, impact_started_at?, lead?
procedure_attached  procedure (a ProcedureSnapshot as a dict); its index is the attach order
step_done           procedure (index), step (id such as "2.3")
step_skipped        procedure, step, reason
step_undone         procedure, step ("back": the step is pending again)
note                text, follow_up? (bool: listed under follow-ups in the post-mortem)
evidence            check, summary, text, procedure?, step?
command             argv, exit_code, output, timed_out, truncated, duration_s, procedure?, step?
health_change       environment, target, before, after, detail?
log_lines           source, lines
db_action           action, target, outcome, detail?
severity_changed    severity, escalation, status_update_every_s, reason?
state_changed       state (investigating, identified, monitoring, resolved)
role_assigned       role (lead, comms, scribe), who
escalation_due      severity, since, after_s, who
status_update_due   due_at
status_update_sent  text, channel?, webhook? (ok, status, detail: the post's outcome)
phase_overdue       procedure, phase (index), title
closed              summary?
=================== ==========================================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class EntryKind(StrEnum):
    """What a timeline entry records."""

    OPENED = "opened"
    PROCEDURE_ATTACHED = "procedure_attached"
    STEP_DONE = "step_done"
    STEP_SKIPPED = "step_skipped"
    STEP_UNDONE = "step_undone"
    NOTE = "note"
    EVIDENCE = "evidence"
    COMMAND = "command"
    HEALTH_CHANGE = "health_change"
    LOG_LINES = "log_lines"
    DB_ACTION = "db_action"
    SEVERITY_CHANGED = "severity_changed"
    STATE_CHANGED = "state_changed"
    ROLE_ASSIGNED = "role_assigned"
    ESCALATION_DUE = "escalation_due"
    STATUS_UPDATE_DUE = "status_update_due"
    STATUS_UPDATE_SENT = "status_update_sent"
    PHASE_OVERDUE = "phase_overdue"
    CLOSED = "closed"


class IncidentState(StrEnum):
    """The states incident teams already use, in their usual order."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class Role(StrEnum):
    """Incident roles: the lead is required in practice, the others optional."""

    LEAD = "lead"
    COMMS = "comms"
    SCRIBE = "scribe"


class StepStatus(StrEnum):
    """Where a checklist step stands."""

    PENDING = "pending"
    DONE = "done"
    SKIPPED = "skipped"


# ---------------------------------------------------------------------------------------
# Procedure snapshots: the incident's own copy of the runbook procedure it walks.


@dataclass(frozen=True)
class StepSnapshot:
    """One checklist step: its text, commands (with ``[VARIABLE]`` placeholders), check."""

    id: str
    text: str
    commands: tuple[str, ...] = ()
    check: str | None = None
    destructive: bool = False
    variables: tuple[str, ...] = ()


@dataclass(frozen=True)
class PhaseSnapshot:
    """A (possibly time-boxed) phase such as "Immediate Actions (0-5 minutes)".

    ``budget_s`` counts from the moment the phase becomes current.
    """

    title: str
    budget_s: float | None
    steps: tuple[StepSnapshot, ...]


@dataclass(frozen=True)
class ProcedureSnapshot:
    """A procedure as it was when attached, so the incident outlives runbook edits."""

    title: str
    source: str
    phases: tuple[PhaseSnapshot, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "title": self.title,
            "source": self.source,
            "phases": [
                {
                    "title": phase.title,
                    "budget_s": phase.budget_s,
                    "steps": [
                        {
                            "id": step.id,
                            "text": step.text,
                            "commands": list(step.commands),
                            "check": step.check,
                            "destructive": step.destructive,
                            "variables": list(step.variables),
                        }
                        for step in phase.steps
                    ],
                }
                for phase in self.phases
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProcedureSnapshot:
        """The inverse of :meth:`to_dict`; raises KeyError/TypeError/ValueError on bad data."""
        return cls(
            title=str(data["title"]),
            source=str(data.get("source", "")),
            phases=tuple(
                PhaseSnapshot(
                    title=str(phase["title"]),
                    budget_s=_optional_float(phase.get("budget_s")),
                    steps=tuple(
                        StepSnapshot(
                            id=str(step["id"]),
                            text=str(step["text"]),
                            commands=tuple(str(c) for c in step.get("commands", ())),
                            check=None if step.get("check") is None else str(step["check"]),
                            destructive=bool(step.get("destructive", False)),
                            variables=tuple(str(v) for v in step.get("variables", ())),
                        )
                        for step in phase["steps"]
                    ),
                )
                for phase in data["phases"]
            ),
        )


@dataclass(frozen=True)
class SeverityLevel:
    """One level of the runbook's own scale (P0-P3 or P1-P4) with its response time."""

    name: str
    label: str
    response_s: float | None


@dataclass(frozen=True)
class EscalationStep:
    """Who is brought in how long after the severity was set ("15 min: Engineering Lead")."""

    after_s: float
    who: str


DEFAULT_STATUS_UPDATE_EVERY_S = 30 * 60.0


@dataclass(frozen=True)
class SeverityPolicy:
    """A severity with what it implies: its escalation schedule and status-update rhythm."""

    level: SeverityLevel
    escalation: tuple[EscalationStep, ...] = ()
    status_update_every_s: float | None = None

    @classmethod
    def for_level(
        cls,
        level: SeverityLevel,
        *,
        top: bool,
        escalation: Iterable[EscalationStep] = (),
        status_update_every_s: float | None = None,
    ) -> SeverityPolicy:
        """A policy where the top severity gets a status update every 30 min by default."""
        every = status_update_every_s
        if every is None and top:
            every = DEFAULT_STATUS_UPDATE_EVERY_S
        ordered = tuple(sorted(escalation, key=lambda step: step.after_s))
        return cls(level=level, escalation=ordered, status_update_every_s=every)

    def to_payload(self) -> dict[str, Any]:
        """The severity fields of an ``opened`` or ``severity_changed`` payload."""
        return {
            "severity": {
                "name": self.level.name,
                "label": self.level.label,
                "response_s": self.level.response_s,
            },
            "escalation": [{"after_s": s.after_s, "who": s.who} for s in self.escalation],
            "status_update_every_s": self.status_update_every_s,
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> SeverityPolicy:
        """Read the severity fields back; raises KeyError/TypeError/ValueError on bad data."""
        severity = payload["severity"]
        return cls(
            level=SeverityLevel(
                name=str(severity["name"]),
                label=str(severity.get("label", "")),
                response_s=_optional_float(severity.get("response_s")),
            ),
            escalation=tuple(
                sorted(
                    (
                        EscalationStep(after_s=float(s["after_s"]), who=str(s["who"]))
                        for s in payload.get("escalation", ())
                    ),
                    key=lambda step: step.after_s,
                )
            ),
            status_update_every_s=_optional_float(payload.get("status_update_every_s")),
        )


UNKNOWN_SEVERITY = SeverityPolicy(SeverityLevel(name="?", label="unknown", response_s=None))


# ---------------------------------------------------------------------------------------
# Timeline entries and the incident folded from them.


@dataclass(frozen=True)
class Entry:
    """One append-only timeline record, exactly as stored."""

    id: int
    incident_id: int
    at: float
    kind: str
    actor: str
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class StepProgress:
    """A step and what happened to it (who, when, and why it was skipped)."""

    step: StepSnapshot
    status: StepStatus = StepStatus.PENDING
    at: float | None = None
    actor: str | None = None
    reason: str | None = None

    @property
    def resolved(self) -> bool:
        """Done or skipped: the checklist has moved past it."""
        return self.status is not StepStatus.PENDING


@dataclass(frozen=True)
class PhaseProgress:
    """A phase's steps, when it became current and when its last step was resolved."""

    index: int
    phase: PhaseSnapshot
    steps: tuple[StepProgress, ...]
    started_at: float | None
    finished_at: float | None

    @property
    def done(self) -> int:
        """Steps marked done."""
        return sum(1 for s in self.steps if s.status is StepStatus.DONE)

    @property
    def skipped(self) -> int:
        """Steps skipped (with a reason)."""
        return sum(1 for s in self.steps if s.status is StepStatus.SKIPPED)

    @property
    def complete(self) -> bool:
        """Every step is done or skipped."""
        return all(s.resolved for s in self.steps)


@dataclass(frozen=True)
class ProcedureProgress:
    """An attached procedure and the progress through its phases."""

    index: int
    snapshot: ProcedureSnapshot
    attached_at: float
    phases: tuple[PhaseProgress, ...]

    @property
    def current_phase(self) -> PhaseProgress | None:
        """The first phase with a pending step, or None when the procedure is complete."""
        return next((p for p in self.phases if not p.complete), None)

    @property
    def current_step(self) -> StepProgress | None:
        """The first pending step of the current phase."""
        phase = self.current_phase
        if phase is None:
            return None
        return next(s for s in phase.steps if not s.resolved)

    @property
    def complete(self) -> bool:
        """Every step of every phase is resolved."""
        return self.current_phase is None

    @property
    def total(self) -> int:
        """Number of steps."""
        return sum(len(p.steps) for p in self.phases)

    @property
    def resolved(self) -> int:
        """Number of steps done or skipped."""
        return sum(p.done + p.skipped for p in self.phases)


@dataclass(frozen=True)
class Incident:
    """The incident as of its last entry: a pure fold over the timeline."""

    id: int
    title: str
    severity: SeverityPolicy
    severity_set_at: float
    state: IncidentState
    roles: Mapping[str, str]
    opened_at: float
    closed_at: float | None
    procedures: tuple[ProcedureProgress, ...]
    entries: tuple[Entry, ...]
    active_procedure: int | None = None
    impact: str | None = None
    detected_at: float | None = None
    impact_started_at: float | None = None
    state_changes: tuple[tuple[IncidentState, float], ...] = field(default=())

    @property
    def lead(self) -> str | None:
        """The incident lead, if one was named."""
        return self.roles.get(Role.LEAD)

    @property
    def is_open(self) -> bool:
        """Not closed yet (a resolved incident stays open until closed)."""
        return self.closed_at is None

    @property
    def current(self) -> tuple[ProcedureProgress, PhaseProgress, StepProgress] | None:
        """The procedure, phase and step the checklist is on, or None when all are done."""
        if self.active_procedure is None:
            return None
        procedure = self.procedures[self.active_procedure]
        phase = procedure.current_phase
        step = procedure.current_step
        if phase is None or step is None:
            return None
        return procedure, phase, step

    def _first_reaching(self, states: set[IncidentState]) -> float | None:
        return next((at for state, at in self.state_changes if state in states), None)

    @property
    def identified_at(self) -> float | None:
        """When the cause was first identified (or a later state first reached)."""
        return self._first_reaching(
            {IncidentState.IDENTIFIED, IncidentState.MONITORING, IncidentState.RESOLVED}
        )

    @property
    def mitigated_at(self) -> float | None:
        """When the incident first moved to monitoring (or straight to resolved)."""
        return self._first_reaching({IncidentState.MONITORING, IncidentState.RESOLVED})

    @property
    def resolved_at(self) -> float | None:
        """When it was last resolved, if it is resolved now."""
        if self.state is not IncidentState.RESOLVED:
            return None
        return next(
            (at for state, at in reversed(self.state_changes) if state is IncidentState.RESOLVED),
            None,
        )

    @property
    def started_at(self) -> float:
        """The best known start of impact: given when opened, else the opening time."""
        return self.impact_started_at if self.impact_started_at is not None else self.opened_at

    def ended_at(self) -> float | None:
        """When the incident clock stopped: resolved, else closed, else still running."""
        resolved = self.resolved_at
        return resolved if resolved is not None else self.closed_at

    def elapsed(self, now: float) -> float:
        """The incident clock: seconds since opening, stopped at resolution or closing."""
        end = self.ended_at()
        return max(0.0, (end if end is not None else now) - self.opened_at)

    def steps_done(self) -> list[tuple[ProcedureProgress, StepProgress]]:
        """Every step marked done, in the order it was done."""
        done = [
            (procedure, step)
            for procedure in self.procedures
            for phase in procedure.phases
            for step in phase.steps
            if step.status is StepStatus.DONE
        ]
        done.sort(key=lambda pair: pair[1].at or 0.0)
        return done

    def entries_of(self, *kinds: EntryKind) -> list[Entry]:
        """Timeline entries of the given kinds, in time order."""
        wanted = {str(k) for k in kinds}
        return [e for e in self.entries if e.kind in wanted]


@dataclass
class _ProcedureFold:
    index: int
    snapshot: ProcedureSnapshot
    attached_at: float
    locations: dict[str, tuple[int, int]]
    states: dict[str, StepProgress]


class IncidentFold:
    """Rebuilds an incident entry by entry; apply new entries as they arrive.

    Unknown kinds and malformed payloads are ignored (a newer onduty may write kinds
    this one does not know), so reading an incident never fails on its timeline.
    """

    def __init__(self, incident_id: int, title: str = "", opened_at: float = 0.0) -> None:
        self.incident_id = incident_id
        self._title = title
        self._opened_at = opened_at
        self._severity = UNKNOWN_SEVERITY
        self._severity_set_at = opened_at
        self._state = IncidentState.INVESTIGATING
        self._state_changes: list[tuple[IncidentState, float]] = []
        self._roles: dict[str, str] = {}
        self._closed_at: float | None = None
        self._impact: str | None = None
        self._detected_at: float | None = None
        self._impact_started_at: float | None = None
        self._procedures: list[_ProcedureFold] = []
        self._last_touched: int | None = None
        self._entries: list[Entry] = []
        self.last_id = 0

    def apply(self, entry: Entry) -> None:
        """Fold one entry in; entries arrive in id order, one already seen is ignored."""
        if entry.id <= self.last_id:
            return
        self.last_id = entry.id
        self._entries.append(entry)
        handler = _HANDLERS.get(entry.kind)
        if handler is None:
            return
        try:
            handler(self, entry)
        except (KeyError, TypeError, ValueError, AttributeError):
            return

    def _opened(self, entry: Entry) -> None:
        p = entry.payload
        self._title = str(p.get("title", self._title))
        self._opened_at = entry.at
        self._severity_set_at = entry.at
        if "severity" in p:
            self._severity = SeverityPolicy.from_payload(p)
        self._impact = None if p.get("impact") is None else str(p["impact"])
        self._detected_at = _optional_float(p.get("detected_at"))
        self._impact_started_at = _optional_float(p.get("impact_started_at"))
        if p.get("lead"):
            self._roles[Role.LEAD] = str(p["lead"])

    def _procedure_attached(self, entry: Entry) -> None:
        snapshot = ProcedureSnapshot.from_dict(entry.payload["procedure"])
        locations: dict[str, tuple[int, int]] = {}
        states: dict[str, StepProgress] = {}
        for p_index, phase in enumerate(snapshot.phases):
            for s_index, step in enumerate(phase.steps):
                locations.setdefault(step.id, (p_index, s_index))
                states.setdefault(step.id, StepProgress(step=step))
        self._last_touched = len(self._procedures)
        self._procedures.append(
            _ProcedureFold(len(self._procedures), snapshot, entry.at, locations, states)
        )

    def _step(self, entry: Entry, status: StepStatus) -> None:
        index = int(entry.payload["procedure"])
        if not 0 <= index < len(self._procedures):
            return
        procedure = self._procedures[index]
        step_id = str(entry.payload["step"])
        current = procedure.states[step_id]
        if status is StepStatus.PENDING:
            procedure.states[step_id] = StepProgress(step=current.step)
        else:
            reason = entry.payload.get("reason") if status is StepStatus.SKIPPED else None
            procedure.states[step_id] = StepProgress(
                step=current.step,
                status=status,
                at=entry.at,
                actor=entry.actor,
                reason=None if reason is None else str(reason),
            )
        self._last_touched = procedure.index

    def _severity_changed(self, entry: Entry) -> None:
        self._severity = SeverityPolicy.from_payload(entry.payload)
        self._severity_set_at = entry.at

    def _state_changed(self, entry: Entry) -> None:
        self._state = IncidentState(str(entry.payload["state"]))
        self._state_changes.append((self._state, entry.at))

    def _role_assigned(self, entry: Entry) -> None:
        role = Role(str(entry.payload["role"]))
        who = str(entry.payload.get("who") or "")
        if who:
            self._roles[role] = who
        else:
            self._roles.pop(role, None)

    def _closed(self, entry: Entry) -> None:
        self._closed_at = entry.at

    def build(self) -> Incident:
        """The frozen incident as of the entries applied so far."""
        procedures = tuple(_build_procedure(p) for p in self._procedures)
        return Incident(
            id=self.incident_id,
            title=self._title,
            severity=self._severity,
            severity_set_at=self._severity_set_at,
            state=self._state,
            roles=dict(self._roles),
            opened_at=self._opened_at,
            closed_at=self._closed_at,
            procedures=procedures,
            entries=tuple(self._entries),
            active_procedure=_active_procedure(procedures, self._last_touched),
            impact=self._impact,
            detected_at=self._detected_at,
            impact_started_at=self._impact_started_at,
            state_changes=tuple(self._state_changes),
        )


_HANDLERS = {
    EntryKind.OPENED: IncidentFold._opened,
    EntryKind.PROCEDURE_ATTACHED: IncidentFold._procedure_attached,
    EntryKind.STEP_DONE: lambda f, e: f._step(e, StepStatus.DONE),
    EntryKind.STEP_SKIPPED: lambda f, e: f._step(e, StepStatus.SKIPPED),
    EntryKind.STEP_UNDONE: lambda f, e: f._step(e, StepStatus.PENDING),
    EntryKind.SEVERITY_CHANGED: IncidentFold._severity_changed,
    EntryKind.STATE_CHANGED: IncidentFold._state_changed,
    EntryKind.ROLE_ASSIGNED: IncidentFold._role_assigned,
    EntryKind.CLOSED: IncidentFold._closed,
}


def _build_procedure(fold: _ProcedureFold) -> ProcedureProgress:
    phases: list[PhaseProgress] = []
    previous_done: float | None = fold.attached_at
    for index, phase in enumerate(fold.snapshot.phases):
        steps = tuple(fold.states.get(s.id, StepProgress(step=s)) for s in phase.steps)
        started_at = previous_done
        finished_at: float | None = None
        if started_at is not None and all(s.resolved for s in steps):
            finished_at = max([started_at, *(s.at or started_at for s in steps)])
        phases.append(PhaseProgress(index, phase, steps, started_at, finished_at))
        previous_done = finished_at
    return ProcedureProgress(fold.index, fold.snapshot, fold.attached_at, tuple(phases))


def _active_procedure(
    procedures: tuple[ProcedureProgress, ...], last_touched: int | None
) -> int | None:
    if last_touched is not None and not procedures[last_touched].complete:
        return last_touched
    return next((p.index for p in procedures if not p.complete), None)


def fold(
    entries: Iterable[Entry], incident_id: int, *, title: str = "", opened_at: float = 0.0
) -> Incident:
    """The incident rebuilt from its timeline (``title``/``opened_at`` if ``opened`` is lost)."""
    builder = IncidentFold(incident_id, title, opened_at)
    for entry in entries:
        builder.apply(entry)
    return builder.build()


def _optional_float(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"not a number: {value!r}")
    return float(value)
