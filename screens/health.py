"""The health screen, and the health wiring the dashboard shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.signal import Signal

from screens.base import ConsoleScreen
from widgets.health_pane import HealthPane
from widgets.status_bar import StatusBar


class HealthWiring(ConsoleScreen):
    """Routes probe states to this screen's health pane while it is shown."""

    def wiring(self) -> list[tuple[Signal[Any], Callable[[Any], None], Callable[[], Any]]]:
        app = self.console
        return [*super().wiring(), (app.health_changed, self.show_health, app.health_states)]

    def show_health(self, states: Any) -> None:
        for pane in self.query(HealthPane):
            pane.show_states(states)


class HealthScreen(HealthWiring):
    """Every environment x endpoint, full size."""

    PANE_NAME = "health"

    def compose(self) -> ComposeResult:
        yield HealthPane(id="health-pane")
        yield StatusBar()
