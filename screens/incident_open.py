"""`!` with no incident open: title, procedure, severity (the runbook's own scale), lead."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from screens.incident_dialogs import dialog_css, field_row
from tui.hub.incident import Library
from tui.incidents.adapter import ProcedureRef, default_severity, policy_label
from tui.incidents.model import SeverityPolicy
from tui.sanitize import safe_text


@dataclass(frozen=True)
class OpenRequest:
    """What the engineer filled in to open an incident."""

    title: str
    procedure: ProcedureRef | None
    severity: SeverityPolicy
    lead: str
    impact: str


class OpenIncidentDialog(ModalScreen[OpenRequest | None]):
    """Open an incident; the severity choices follow the chosen procedure's runbook."""

    DEFAULT_CSS = dialog_css("OpenIncidentDialog") + """
    OpenIncidentDialog > .incident-dialog { width: 90; }
    """
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="dialog.cancel")]

    def __init__(self, library: Library, *, procedure: str | None = None,
                 lead: str = "") -> None:
        super().__init__()
        self._library = library
        self._refs = {ref.key: ref for ref in library.procedures}
        self._procedure = procedure if procedure in self._refs else None
        self._lead = lead
        self._policies: list[SeverityPolicy] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="incident-dialog"):
            yield Label(Text("Open an incident", style="bold"), classes="dialog-title")
            yield field_row("Title", Input(placeholder="what is wrong, in a few words",
                                           compact=True, id="open-title"))
            yield field_row("Procedure", Select(
                [(safe_text(ref.label), key) for key, ref in self._refs.items()],
                prompt="none (notes and timeline only)", compact=True,
                value=self._procedure if self._procedure else Select.NULL,
                id="open-procedure"))
            policies = self._library.severities(self._refs.get(self._procedure or ""))
            yield field_row("Severity", Select(self._severity_options(policies),
                                               allow_blank=False, compact=True,
                                               id="open-severity"))
            yield field_row("Lead", Input(value=self._lead, placeholder="who leads",
                                          compact=True, id="open-lead"))
            yield field_row("Impact", Input(placeholder="who is affected and how (optional)",
                                            compact=True, id="open-impact"))
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", compact=True, id="open-cancel")
                yield Button("Open incident", variant="error", compact=True,
                             id="open-confirm")

    def on_mount(self) -> None:
        self._fill_severities(self._procedure)
        self.query_one("#open-title", Input).focus()

    def _ref(self) -> ProcedureRef | None:
        value = self.query_one("#open-procedure", Select).value
        return self._refs.get(value) if isinstance(value, str) else None

    def _fill_severities(self, key: str | None) -> None:
        ref = self._refs.get(key) if key else None
        policies = self._library.severities(ref)
        self._policies = policies
        select = self.query_one("#open-severity", Select)
        select.set_options(self._severity_options(policies))
        chosen = default_severity(ref.procedure, policies) if ref is not None else 0
        select.value = str(chosen)

    @staticmethod
    def _severity_options(policies: list[SeverityPolicy]) -> list[tuple[Text, str]]:
        return [(safe_text(policy_label(p)), str(i)) for i, p in enumerate(policies)]

    @on(Select.Changed, "#open-procedure")
    def _procedure_changed(self, event: Select.Changed) -> None:
        self._fill_severities(event.value if isinstance(event.value, str) else None)
        ref = self._ref()
        title = self.query_one("#open-title", Input)
        if ref is not None and not title.value.strip():
            title.value = ref.procedure.title

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "open-impact":
            self._confirm()
        else:
            self.focus_next()

    @on(Button.Pressed, "#open-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#open-confirm")
    def _confirm(self) -> None:
        title = self.query_one("#open-title", Input).value.strip()
        ref = self._ref()
        if not title and ref is not None:
            title = ref.procedure.title
        if not title:
            self.notify("Give the incident a title.", severity="warning", timeout=3)
            self.query_one("#open-title", Input).focus()
            return
        value = self.query_one("#open-severity", Select).value
        index = int(value) if isinstance(value, str) and value.isdigit() else 0
        self.dismiss(OpenRequest(
            title=title,
            procedure=ref,
            severity=self._policies[min(index, len(self._policies) - 1)],
            lead=self.query_one("#open-lead", Input).value.strip(),
            impact=self.query_one("#open-impact", Input).value.strip(),
        ))
