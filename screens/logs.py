"""The logs screen, and the log wiring the dashboard shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.signal import Signal

from screens.base import ConsoleScreen
from widgets.log_pane import LogPane
from widgets.status_bar import StatusBar


class LogsWiring(ConsoleScreen):
    """Routes log batches to this screen's log pane while it is shown."""

    def wiring(self) -> list[tuple[Signal[Any], Callable[[Any], None], Callable[[], Any]]]:
        app = self.console
        return [*super().wiring(), (app.logs_changed, self.show_logs, app.log_view)]

    def show_logs(self, view: Any) -> None:
        for pane in self.query(LogPane):
            pane.show_view(view)


class LogsScreen(LogsWiring):
    """The live log tail, full size."""

    PANE_NAME = "logs"

    def compose(self) -> ComposeResult:
        yield LogPane(id="log-pane")
        yield StatusBar()
