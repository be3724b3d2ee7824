"""From the runbook library to the incident's own types.

The incident never holds a runbook object: it keeps a :class:`ProcedureSnapshot` (so
editing the Markdown mid-incident changes nothing) and a :class:`SeverityPolicy` built
from the runbook's severity scale and escalation schedules. A runbook without a scale of
its own borrows the scale of a fallback runbook (the bundled ``incident-response.md``).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from tui.config import Environment
from tui.incidents.checks import infer_check
from tui.incidents.model import (
    EscalationStep,
    PhaseSnapshot,
    ProcedureSnapshot,
    SeverityLevel,
    SeverityPolicy,
    StepSnapshot,
)
from tui.runbooks.model import (
    SHELL_LANGUAGES,
    SQL_LANGUAGES,
    Command,
    EscalationSchedule,
    Phase,
    Procedure,
    Runbook,
    Step,
    Template,
    format_duration,
)

FALLBACK_RUNBOOK = "incident-response.md"
UNTITLED_PHASE = "Steps"

_SQL_START = re.compile(
    r"^\s*(select|with|explain|show|update|delete|insert|vacuum|reindex|analyze|create|drop"
    r"|alter|truncate|set|begin|commit|grant|revoke|\\[a-z])\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ProcedureRef:
    """A procedure together with the runbook it came from (for its scale and templates)."""

    runbook: Runbook
    procedure: Procedure

    @property
    def key(self) -> str:
        """A stable name: ``bundled:service-down.md#Service Down - Critical Outage``."""
        return f"{self.runbook.source}#{self.procedure.title}"

    @property
    def label(self) -> str:
        """What a picker shows: the procedure and the runbook it is in."""
        return f"{self.procedure.title} — {self.runbook.title}"


def procedure_refs(runbooks: list[Runbook]) -> list[ProcedureRef]:
    """Every procedure of every runbook, in library order."""
    return [ProcedureRef(rb, p) for rb in runbooks for p in rb.procedures]


def fallback_runbook(runbooks: list[Runbook]) -> Runbook | None:
    """The runbook whose scale and templates apply when a runbook has none of its own."""
    return next((rb for rb in runbooks if rb.source.endswith(FALLBACK_RUNBOOK)), None)


def is_sql(command: str) -> bool:
    """True for SQL text: it is shown and copied, never run as a process."""
    return bool(_SQL_START.match(command))


def command_lines(command: Command) -> list[str]:
    """A shell block split into its commands (comments and blanks dropped, ``\\`` joined).

    Runbooks list alternatives one per line (``railway logs`` / ``fly logs -a APP``);
    each becomes its own command to copy or run. SQL and other languages stay whole.
    """
    if command.language not in SHELL_LANGUAGES and command.language != "":
        return [command.text.strip()] if command.text.strip() else []
    lines: list[str] = []
    pending = ""
    for raw in command.text.splitlines():
        line = raw.strip()
        if line.startswith("$ "):
            line = line[2:]
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        if _quote_open(pending + line):  # e.g. curl -d '{ ... }' over several lines
            pending += line + "\n"
            continue
        lines.append((pending + line).strip())
        pending = ""
    if pending.strip():
        lines.append(pending.strip())
    return lines


def _quote_open(text: str) -> bool:
    """True while ``text`` has a quote that a later line closes (comments ignored)."""
    try:
        shlex.split(text, comments=True)
    except ValueError:
        return True
    return False


def _runnable(command: Command) -> bool:
    return command.runnable or (command.language == "" and not command.inline)


def _step_snapshot(step: Step, step_id: str, environment: Environment | None) -> StepSnapshot:
    commands: list[str] = []
    variables: dict[str, None] = dict.fromkeys(step.variables)
    destructive = step.destructive
    for command in step.commands:
        if not _runnable(command) and command.language not in SQL_LANGUAGES:
            continue
        commands.extend(command_lines(command))
        variables.update(dict.fromkeys(command.variables))
        destructive = destructive or command.destructive
    return StepSnapshot(
        id=step_id,
        text=step.text,
        commands=tuple(commands),
        check=step.check or infer_check(step, environment, commands),
        destructive=destructive,
        variables=tuple(variables),
    )


def _phase_steps(phase: Phase, number: int,
                 environment: Environment | None) -> list[StepSnapshot]:
    steps: list[StepSnapshot] = []

    def add(step: Step, prefix: str) -> None:
        steps.append(_step_snapshot(step, prefix, environment))
        for index, child in enumerate(step.children, start=1):
            add(child, f"{prefix}.{index}")

    for index, step in enumerate(phase.steps, start=1):
        add(step, f"{number}.{index}")
    if not steps and phase.commands:
        loose = Step(text="Run this phase's commands", line=phase.line, commands=phase.commands)
        steps.append(_step_snapshot(loose, f"{number}.1", environment))
    return steps


def snapshot_procedure(ref: ProcedureRef,
                       environment: Environment | None = None) -> ProcedureSnapshot:
    """The procedure as the incident keeps it: phases of steps with ids like ``2.3``.

    Nested items keep their place and get a longer id (``2.3.1``); phases without a
    title are called "Steps"; phases with no steps at all are left out. A step without
    a live check gets the one its words point at in ``environment`` (see checks.py).
    """
    phases: list[PhaseSnapshot] = []
    for phase in ref.procedure.phases:
        steps = _phase_steps(phase, len(phases) + 1, environment)
        if not steps:
            continue
        phases.append(PhaseSnapshot(
            title=phase.title or UNTITLED_PHASE,
            budget_s=None if phase.budget_seconds is None else float(phase.budget_seconds),
            steps=tuple(steps),
        ))
    return ProcedureSnapshot(title=ref.procedure.title, source=ref.key, phases=tuple(phases))


def scale_source(runbook: Runbook, fallback: Runbook | None) -> Runbook | None:
    """The runbook whose severity scale applies: its own, else the fallback's."""
    if runbook.severity_scale:
        return runbook
    if fallback is not None and fallback.severity_scale:
        return fallback
    return None


def _schedule_for(schedules: tuple[EscalationSchedule, ...], level: str,
                  name: str) -> EscalationSchedule | None:
    wanted = {level.casefold(), name.casefold()}
    specific = next((s for s in schedules if s.severity.casefold() in wanted and s.severity),
                    None)
    if specific is not None:
        return specific
    return next((s for s in schedules if not s.severity), None)


def severity_policies(runbook: Runbook, fallback: Runbook | None) -> list[SeverityPolicy]:
    """The severities an incident on this runbook can take, most severe first.

    Each carries its escalation schedule (the rungs after the initial one: the initial
    rung is the person opening the incident) and, for the top one, a status update every
    30 minutes.
    """
    source = scale_source(runbook, fallback)
    if source is None:
        return []
    policies: list[SeverityPolicy] = []
    for index, level in enumerate(source.severity_scale):
        schedule = _schedule_for(source.escalation, level.level, level.name)
        label = level.name or (schedule.severity if schedule is not None else "")
        rungs = () if schedule is None else tuple(
            EscalationStep(after_s=float(step.after_seconds), who=step.who)
            for step in schedule.steps
            if step.after_seconds is not None and step.after_seconds > 0
        )
        policies.append(SeverityPolicy.for_level(
            SeverityLevel(
                name=level.level,
                label=label,
                response_s=None if level.response_seconds is None
                else float(level.response_seconds),
            ),
            top=index == 0,
            escalation=rungs,
        ))
    return policies


def default_severity(procedure: Procedure, policies: list[SeverityPolicy]) -> int:
    """The index of the severity the procedure states (``P0``), else of the top one."""
    if procedure.severity:
        for index, policy in enumerate(policies):
            if policy.level.name.casefold() == procedure.severity.casefold():
                return index
    return 0


def policy_label(policy: SeverityPolicy) -> str:
    """``P0 Critical — respond within 15 min``."""
    level = policy.level
    text = f"{level.name} {level.label}".strip()
    if level.response_s is not None:
        text += f" — respond within {format_duration(int(level.response_s))}"
    return text


def templates_for(runbook: Runbook, fallback: Runbook | None) -> tuple[Template, ...]:
    """The communication templates: the runbook's own, else the fallback's."""
    if runbook.templates:
        return runbook.templates
    return fallback.templates if fallback is not None else ()
