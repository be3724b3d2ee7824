"""`R` / `y` on a step: pick one of its commands, fill its variables, then run or copy it.

The preview shows the resolved command exactly as it will run: each value is one argv
element, never pasted into shell text. A destructive command runs only once the target's
name is typed; the Run button stays disabled until then, so Enter alone never confirms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from screens.incident_dialogs import dialog_css, field_row
from tui.incidents.adapter import is_sql
from tui.incidents.commands import PreparedCommand, confirm
from tui.incidents.model import StepSnapshot
from tui.sanitize import safe_text, sanitize

Prepare = Callable[[StepSnapshot, str, Mapping[str, str]], PreparedCommand]


@dataclass(frozen=True)
class CommandRequest:
    """The command to run (or copy), the typed confirmation and the values used."""

    mode: str
    prepared: PreparedCommand
    typed: str
    values: Mapping[str, str]


def _input_id(index: int) -> str:
    return f"var-{index}"


class CommandDialog(ModalScreen[CommandRequest | None]):
    """Choose, fill, check, then run (``mode="run"``) or copy (``mode="copy"``)."""

    DEFAULT_CSS = dialog_css("CommandDialog") + """
    CommandDialog > .incident-dialog { width: 100; }
    CommandDialog OptionList { height: auto; max-height: 8; margin-bottom: 1; }
    CommandDialog #command-preview { height: auto; margin-bottom: 1; background: $panel;
                                     padding: 0 1; }
    CommandDialog .warning { color: $probe-down; text-style: bold; }
    CommandDialog #command-fields { height: auto; max-height: 14; }
    CommandDialog .field-row > Label { width: 18; }
    """
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="dialog.cancel")]

    def __init__(self, step: StepSnapshot, prepare: Prepare, values: Mapping[str, str],
                 *, mode: str = "run") -> None:
        super().__init__()
        self._step = step
        self._prepare = prepare
        self._values = dict(values)
        self._mode = mode
        self._command = step.commands[0] if step.commands else ""

    def compose(self) -> ComposeResult:
        verb = "Run" if self._mode == "run" else "Copy"
        with Vertical(classes="incident-dialog"):
            yield Label(safe_text(f"{verb} a command of step {self._step.id}: "
                                  f"{self._step.text}"), classes="dialog-title")
            if len(self._step.commands) > 1:
                yield OptionList(*(Option(safe_text(command), id=str(index))
                                   for index, command in enumerate(self._step.commands)),
                                 id="command-choice")
            with VerticalScroll(id="command-fields"):
                for index, name in enumerate(self._step.variables):
                    yield field_row(f"[{name}]", Input(
                        value=self._values.get(name, ""), placeholder=name, compact=True,
                        id=_input_id(index)))
            yield Static(id="command-preview")
            if self._step.destructive and self._mode == "run":
                yield Label(id="command-warning", classes="warning")
                yield field_row("Confirm", Input(placeholder="type the target's name",
                                                 compact=True, id="command-confirm"))
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", compact=True, id="command-cancel")
                yield Button(verb, variant="error" if self._step.destructive else "primary",
                             compact=True, id="command-go", disabled=True)

    def on_mount(self) -> None:
        self._refresh()
        if len(self._step.commands) > 1:
            self.query_one("#command-choice", OptionList).highlighted = 0
            self.query_one("#command-choice", OptionList).focus()
        elif self._step.variables:
            self.query_one(f"#{_input_id(0)}", Input).focus()
        elif self._step.destructive and self._mode == "run":
            self.query_one("#command-confirm", Input).focus()
        else:
            self.query_one("#command-go", Button).focus()

    def _current_values(self) -> dict[str, str]:
        values = dict(self._values)
        for index, name in enumerate(self._step.variables):
            values[name] = self.query_one(f"#{_input_id(index)}", Input).value
        return {k: v for k, v in values.items() if v}

    def _prepared(self) -> PreparedCommand:
        return self._prepare(self._step, self._command, self._current_values())

    def _refresh(self) -> None:
        prepared = self._prepared()
        preview = Text()
        preview.append("$ ", "bold")
        preview.append(sanitize(prepared.display))
        if prepared.uses_shell:
            preview.append("\nruns with sh -c; the values are passed as separate arguments",
                           "dim")
        if prepared.missing:
            preview.append(f"\nfill in: {', '.join(prepared.missing)}", "bold")
        sql = is_sql(self._command)
        if sql and self._mode == "run":
            preview.append("\nSQL is not run from here: copy it (y) or use the database "
                           "pane (4).", "bold")
        self.query_one("#command-preview", Static).update(preview)
        allowed = prepared.ready or self._mode == "copy"
        if self._mode == "run":
            allowed = allowed and not sql
        if prepared.destructive and self._mode == "run":
            warning = self.query_one("#command-warning", Label)
            target = prepared.target or "?"
            warning.update(safe_text(f"⚠ destructive: type {target} to confirm"))
            typed = self.query_one("#command-confirm", Input).value
            allowed = allowed and confirm(typed, prepared.target)
        self.query_one("#command-go", Button).disabled = not allowed

    @on(OptionList.OptionHighlighted, "#command-choice")
    def _choose(self, event: OptionList.OptionHighlighted) -> None:
        self._command = self._step.commands[int(event.option.id or 0)]
        self._refresh()

    @on(OptionList.OptionSelected, "#command-choice")
    def _chosen(self) -> None:
        self.focus_next()

    @on(Input.Changed)
    def _changed(self) -> None:
        self._refresh()

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    @on(Button.Pressed, "#command-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#command-go")
    def _go(self) -> None:
        prepared = self._prepared()
        typed = ""
        if prepared.destructive and self._mode == "run":
            typed = self.query_one("#command-confirm", Input).value
            if not confirm(typed, prepared.target):
                return
        self.dismiss(CommandRequest(self._mode, prepared, typed, self._current_values()))
