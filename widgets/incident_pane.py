"""The incident pane: the open incident's checklist, or how to open one."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from widgets.pane import Pane


class IncidentPane(Pane):
    """Shows the open incident; with none open, says how to start one."""

    def compose(self) -> ComposeResult:
        yield Static(id="incident-body")

    def on_mount(self) -> None:
        self.title = "incident"
        self.show_none()

    def show_none(self) -> None:
        text = Text()
        text.append("No incident open.\n\n", style="bold")
        text.append(
            "Guided incidents (open one with !, walk the runbook's checklist, keep every "
            "step on disk) arrive with the incident checklist work.\n"
            "Until then: health (2), logs (3) and database (4) are live."
        )
        self.query_one("#incident-body", Static).update(text)
