"""The incident screen, and the incident wiring the dashboard shares."""

from __future__ import annotations

from textual.app import ComposeResult

from screens.base import ConsoleScreen
from widgets.incident_pane import IncidentPane
from widgets.status_bar import StatusBar


class IncidentWiring(ConsoleScreen):
    """Routes the open incident to this screen's incident pane while it is shown."""


class IncidentScreen(IncidentWiring):
    """The incident checklist, full size."""

    PANE_NAME = "incident"

    def compose(self) -> ComposeResult:
        yield IncidentPane(id="incident-pane")
        yield StatusBar()
