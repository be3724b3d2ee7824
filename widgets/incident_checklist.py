"""The incident checklist: procedures, phases with progress and budget, steps to walk.

Each step shows whether it is done, skipped (and why) or pending; the current step and
any step expanded with enter also show their commands, variables and the live result of
their check. A step reads "saving…" until the store has acknowledged it: the checklist
never shows as done what is not on disk. Keys post :class:`Checklist.Act` messages; the
screen does the work.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from tui.incidents.evidence import Evidence
from tui.incidents.model import Incident, PhaseProgress, StepProgress, StepStatus
from tui.incidents.timers import format_clock, format_span
from tui.sanitize import sanitize

_MARK = {StepStatus.DONE: "✓", StepStatus.SKIPPED: "–", StepStatus.PENDING: "☐"}


def step_key(procedure: int, step: str) -> str:
    """The option id of a step."""
    return f"step:{procedure}:{step}"


def parse_step_key(key: str | None) -> tuple[int, str] | None:
    """(procedure, step id) from an option id, or None for headers."""
    if not key or not key.startswith("step:"):
        return None
    _kind, procedure, step = key.split(":", 2)
    return int(procedure), step


@dataclass(frozen=True)
class ChecklistView:
    """Everything the checklist renders, computed by the screen at one instant."""

    incident: Incident
    now: float
    evidence: Mapping[str, Evidence]
    pending: frozenset[str]
    values: Mapping[str, str]
    commands: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


class Checklist(OptionList):
    """The open incident's steps; space marks done, s skips, b goes back, enter expands."""

    BINDINGS = [
        Binding("space", "act('done')", "Done", id="incident.done"),
        Binding("enter", "expand", "Expand", id="incident.expand"),
        Binding("s", "act('skip')", "Skip", id="incident.skip"),
        Binding("b,backspace", "act('back')", "Back (undo)", id="incident.back"),
        Binding("a", "act('evidence')", "Attach evidence", id="incident.evidence"),
        Binding("y", "act('copy')", "Copy command", id="incident.copy"),
        Binding("R", "act('run')", "Run command", id="incident.run"),
        Binding("u", "act('update')", "Status update", id="incident.update"),
        Binding("S", "act('state')", "State", id="incident.state"),
        Binding("V", "act('severity')", "Severity", id="incident.severity"),
        Binding("L", "act('roles')", "Lead and roles", id="incident.roles"),
        Binding("P", "act('attach')", "Attach procedure", id="incident.attach"),
        Binding("C", "act('close')", "Close and export", id="incident.close"),
    ]

    COMPONENT_CLASSES = {
        "checklist--done",
        "checklist--skipped",
        "checklist--current",
        "checklist--phase",
        "checklist--overdue",
        "checklist--ok",
        "checklist--bad",
        "checklist--detail",
        "checklist--destructive",
    }

    DEFAULT_CSS = """
    Checklist, Checklist:focus { height: 1fr; border: none; padding: 0; background: $surface; }
    Checklist > .checklist--done { color: $probe-healthy; }
    Checklist > .checklist--skipped { color: $text-muted; }
    Checklist > .checklist--current { text-style: bold; }
    Checklist > .checklist--phase { color: $accent; text-style: bold; }
    Checklist > .checklist--overdue { color: $probe-down; text-style: bold reverse; }
    Checklist > .checklist--ok { color: $probe-healthy; }
    Checklist > .checklist--bad { color: $probe-down; text-style: bold; }
    Checklist > .checklist--detail { color: $text-muted; }
    Checklist > .checklist--destructive { color: $probe-down; text-style: bold; }
    """

    class Act(Message):
        """The engineer asked for ``action`` on a step (or on the incident: ``update``)."""

        def __init__(self, action: str, procedure: int | None, step: str | None) -> None:
            super().__init__()
            self.action = action
            self.procedure = procedure
            self.step = step

    def __init__(self, *, compact: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.compact = compact
        self.expanded: set[str] = set()
        self._view: ChecklistView | None = None
        self._follow_current = True
        self._ids: list[str | None] = []

    # ------------------------------------------------------------------ actions

    @property
    def selected(self) -> tuple[int, str] | None:
        """The highlighted step as (procedure, step id)."""
        option = self.highlighted_option
        return parse_step_key(option.id if option is not None else None)

    def action_act(self, action: str) -> None:
        selected = self.selected
        procedure, step = selected if selected is not None else (None, None)
        self.post_message(self.Act(action, procedure, step))

    def action_expand(self) -> None:
        option = self.highlighted_option
        if option is None or option.id is None or parse_step_key(option.id) is None:
            return
        if option.id in self.expanded:
            self.expanded.discard(option.id)
        else:
            self.expanded.add(option.id)
        if self._view is not None:
            self.show(self._view)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        view = self._view
        if view is None:
            return
        current = view.incident.current
        key = step_key(current[0].index, current[2].step.id) if current else None
        self._follow_current = event.option.id == key

    # ------------------------------------------------------------------ rendering

    def _style(self, name: str) -> str:
        return str(self.get_component_rich_style(f"checklist--{name}"))

    def show(self, view: ChecklistView) -> None:
        """Render ``view``, keeping the highlight on the same step (or following the
        current step when it was on it)."""
        self._view = view
        incident = view.incident
        current = incident.current
        current_key = step_key(current[0].index, current[2].step.id) if current else None
        previous = self.highlighted_option.id if self.highlighted_option is not None else None
        options: list[Option] = []
        several = len(incident.procedures) > 1
        for procedure in incident.procedures:
            if several:
                title = Text(f"{procedure.index + 1}. {sanitize(procedure.snapshot.title)} "
                             f"{procedure.resolved}/{procedure.total}", self._style("phase"))
                options.append(Option(title, id=f"proc:{procedure.index}", disabled=True))
            for phase in procedure.phases:
                options.append(Option(self._phase_line(phase, procedure.current_phase, view.now),
                                      id=f"phase:{procedure.index}:{phase.index}",
                                      disabled=True))
                for step in phase.steps:
                    key = step_key(procedure.index, step.step.id)
                    options.append(Option(self._step_text(step, key, key == current_key, view),
                                          id=key))
        ids = [option.id for option in options]
        if ids == self._ids:
            for index, option in enumerate(options):
                self.replace_option_prompt_at_index(index, option.prompt)
            if not self._follow_current or self.highlighted_option is None:
                return
            if self.highlighted_option.id == current_key:
                return
        else:
            self._ids = ids
            self.set_options(options)
        target = current_key if self._follow_current or previous is None else previous
        if target is not None:
            with contextlib.suppress(OptionDoesNotExist):
                self.highlighted = self.get_option_index(target)
        elif self.highlighted is None and options:
            self.highlighted = next((i for i, o in enumerate(options) if not o.disabled), None)

    def _phase_line(self, phase: PhaseProgress, current: PhaseProgress | None,
                    now: float) -> Text:
        text = Text(sanitize(phase.phase.title), self._style("phase"))
        total = len(phase.steps)
        text.append(f"  {phase.done + phase.skipped}/{total}", self._style("detail"))
        budget = phase.phase.budget_s
        if phase.complete:
            if phase.started_at is not None and phase.finished_at is not None:
                took = format_clock(phase.finished_at - phase.started_at)
                text.append(f"  done in {took}", self._style("done"))
            return text
        if current is not None and current.index == phase.index and phase.started_at is not None:
            elapsed = now - phase.started_at
            if budget is not None and elapsed > budget:
                text.append("  ")
                text.append(f" OVERDUE {format_clock(elapsed - budget)} ",
                            self._style("overdue"))
                text.append(f" budget {format_span(budget)}", self._style("detail"))
            elif budget is not None:
                text.append(f"  {format_clock(elapsed)} / {format_span(budget)}",
                            self._style("detail"))
            else:
                text.append(f"  {format_clock(elapsed)}", self._style("detail"))
        elif budget is not None:
            text.append(f"  budget {format_span(budget)}", self._style("detail"))
        return text

    def _step_text(self, progress: StepProgress, key: str, is_current: bool,
                   view: ChecklistView) -> Text:
        step = progress.step
        depth = step.id.count(".") - 1
        indent = "  " * depth
        saving = key in view.pending
        mark = "…" if saving else _MARK[progress.status]
        style = {StepStatus.DONE: "done", StepStatus.SKIPPED: "skipped"}.get(progress.status)
        line_style = self._style(style) if style else (self._style("current")
                                                       if is_current else "")
        text = Text(no_wrap=False)
        text.append(f"{indent}{'▸' if is_current else ' '} {mark} {step.id} ", line_style)
        text.append(sanitize(step.text), line_style)
        if step.destructive:
            text.append("  ⚠ destructive", self._style("destructive"))
        if saving:
            text.append("  saving…", self._style("detail"))
        if progress.status is StepStatus.SKIPPED and progress.reason:
            text.append(f"  (skipped: {sanitize(progress.reason)})", self._style("skipped"))
        if key in self.expanded or (is_current and not self.compact):
            self._details(text, step.commands, step.variables, step.check, key, view, indent)
        elif is_current and step.check:
            self._evidence_line(text, step.check, key, view, indent)
        return text

    def _details(self, text: Text, commands: tuple[str, ...], variables: tuple[str, ...],
                 check: str | None, key: str, view: ChecklistView, indent: str) -> None:
        pad = f"\n{indent}      "
        detail = self._style("detail")
        for command in view.commands.get(key, commands):
            text.append(f"{pad}$ {sanitize(command)}", detail)
        if variables:
            shown = ", ".join(
                f"{name}={sanitize(view.values[name])}" if view.values.get(name)
                else f"{name}=?" for name in variables)
            text.append(f"{pad}variables: {shown}", detail)
        if check:
            self._evidence_line(text, check, key, view, indent)

    def _evidence_line(self, text: Text, check: str, key: str, view: ChecklistView,
                       indent: str) -> None:
        evidence = view.evidence.get(key)
        text.append(f"\n{indent}      ● {sanitize(check)}: ", self._style("detail"))
        if evidence is None:
            text.append("reading…", self._style("detail"))
            return
        style = "ok" if evidence.ok else ("bad" if evidence.ok is False else "")
        text.append(evidence.summary, self._style(style) if style else "")
