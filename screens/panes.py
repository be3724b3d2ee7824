"""The full screens, one per pane, and the wiring they share with the dashboard."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.signal import Signal

from screens.base import ConsoleScreen
from widgets.db_pane import DbPane
from widgets.health_pane import HealthPane
from widgets.incident_pane import IncidentPane
from widgets.log_pane import LogPane
from widgets.status_bar import StatusBar


class PaneWiring(ConsoleScreen):
    """Routes the app's health, log and database signals to whichever panes this screen has."""

    def wiring(self) -> list[tuple[Signal[Any], Callable[[Any], None], Callable[[], Any]]]:
        app = self.console
        wires = super().wiring()
        if self.query(HealthPane):
            wires.append((app.health_changed, self.show_health, app.health_states))
        if self.query(LogPane):
            wires.append((app.logs_changed, self.show_logs, app.log_view))
        if self.query(DbPane):
            wires.append((app.db_changed, self.show_db, app.db_snapshot))
        return wires

    def show_health(self, states: Any) -> None:
        for pane in self.query(HealthPane):
            pane.show_states(states)

    def show_logs(self, view: Any) -> None:
        for pane in self.query(LogPane):
            pane.show_view(view)

    def show_db(self, snapshot: Any) -> None:
        for pane in self.query(DbPane):
            pane.show_snapshot(snapshot)


class HealthScreen(PaneWiring):
    """Every environment x endpoint, full size."""

    PANE_NAME = "health"

    def compose(self) -> ComposeResult:
        yield HealthPane(id="health-pane")
        yield StatusBar()


class LogsScreen(PaneWiring):
    """The live log tail, full size."""

    PANE_NAME = "logs"

    def compose(self) -> ComposeResult:
        yield LogPane(id="log-pane")
        yield StatusBar()


class DatabaseScreen(PaneWiring):
    """Slow statements and activity, full size."""

    PANE_NAME = "database"

    def compose(self) -> ComposeResult:
        yield DbPane(id="db-pane")
        yield StatusBar()


class IncidentScreen(PaneWiring):
    """The incident checklist, full size."""

    PANE_NAME = "incident"

    def compose(self) -> ComposeResult:
        yield IncidentPane(id="incident-pane")
        yield StatusBar()
