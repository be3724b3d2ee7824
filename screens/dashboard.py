"""The dashboard: health, logs, slow queries and the incident at once."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Grid

from screens.database import DatabaseWiring
from screens.health import HealthWiring
from screens.incident import IncidentWiring
from screens.logs import LogsWiring
from widgets.db_pane import DbPane
from widgets.health_pane import HealthPane
from widgets.incident_pane import IncidentPane
from widgets.log_pane import LogPane
from widgets.status_bar import StatusBar


class DashboardScreen(HealthWiring, LogsWiring, DatabaseWiring, IncidentWiring):
    """Four panes in a grid; each pane has its own full screen on keys 2-5."""

    PANE_NAME = "dashboard"

    def compose(self) -> ComposeResult:
        with Grid(id="dashboard"):
            yield HealthPane(id="health-pane", compact=True)
            yield LogPane(id="log-pane")
            yield DbPane(id="db-pane", compact=True)
            yield IncidentPane(id="incident-pane", compact=True)
        yield StatusBar()
