"""A runbook procedure as the checklist onduty will walk: phases, budgets, steps, commands.

The step numbers are the ones the incident checklist uses (the same snapshot), so "step
2.3" means the same thing in the runbooks screen, the checklist and the post-mortem.
"""

from __future__ import annotations

from rich.text import Text

from tui.incidents.adapter import (
    ProcedureRef,
    is_sql,
    policy_label,
    severity_policies,
    snapshot_procedure,
    templates_for,
)
from tui.incidents.timers import format_span
from tui.runbooks.model import Runbook
from tui.sanitize import sanitize


def procedure_text(ref: ProcedureRef, fallback: Runbook | None) -> Text:
    """The whole procedure, readable top to bottom, as plain (never markup) text."""
    procedure = ref.procedure
    runbook = ref.runbook
    snapshot = snapshot_procedure(ref)
    text = Text(no_wrap=False)
    text.append(sanitize(procedure.title), "bold")
    text.append(f"\n{sanitize(runbook.title)} · {sanitize(runbook.source)}", "dim")
    if procedure.severity:
        text.append(f"\nseverity {sanitize(procedure.severity)}", "bold")
    if procedure.triggers:
        text.append("\n\nWhen to use", "bold")
        for trigger in procedure.triggers:
            text.append(f"\n  • {sanitize(trigger)}")
    if procedure.variables:
        text.append("\n\nVariables  ", "bold")
        text.append(", ".join(f"[{sanitize(v)}]" for v in procedure.variables))
    total = sum(len(phase.steps) for phase in snapshot.phases)
    budgets = [p.budget_s for p in snapshot.phases if p.budget_s is not None]
    text.append(f"\n\n{len(snapshot.phases)} phases · {total} steps", "dim")
    if budgets:
        text.append(f" · {format_span(sum(budgets))} of time-boxed phases", "dim")
    for phase in snapshot.phases:
        text.append(f"\n\n{sanitize(phase.title)}", "bold")
        if phase.budget_s is not None:
            text.append(f"  budget {format_span(phase.budget_s)}", "dim")
        for step in phase.steps:
            indent = "  " * (step.id.count(".") - 1)
            text.append(f"\n{indent}  ☐ {step.id} ", "bold")
            text.append(sanitize(step.text))
            if step.destructive:
                text.append("  ⚠ destructive", "bold red")
            for command in step.commands:
                label = "sql" if is_sql(command) else "$"
                for number, line in enumerate(command.splitlines()):
                    prefix = label if number == 0 else " " * len(label)
                    text.append(f"\n{indent}      {prefix} {sanitize(line)}", "cyan")
            if step.check:
                text.append(f"\n{indent}      ● live check: {sanitize(step.check)}", "green")
    policies = severity_policies(runbook, fallback)
    if policies:
        borrowed = "" if runbook.severity_scale else " (from the incident response runbook)"
        text.append(f"\n\nSeverity scale{borrowed}", "bold")
        for policy in policies:
            text.append(f"\n  {sanitize(policy_label(policy))}")
            if policy.escalation:
                rungs = ", ".join(f"{format_span(s.after_s)}: {sanitize(s.who)}"
                                  for s in policy.escalation)
                text.append(f"\n      escalate {rungs}", "dim")
    templates = templates_for(runbook, fallback)
    if templates:
        text.append("\n\nCommunication templates  ", "bold")
        text.append(", ".join(sanitize(t.name) for t in templates))
    if runbook.warnings:
        text.append(f"\n\n{len(runbook.warnings)} import warning(s)", "bold yellow")
        for warning in runbook.warnings[:10]:
            text.append(f"\n  {sanitize(str(warning))}", "yellow")
    return text
