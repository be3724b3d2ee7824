"""The database screen, and the database wiring the dashboard shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.signal import Signal

from screens.base import ConsoleScreen
from widgets.db_pane import DbPane
from widgets.status_bar import StatusBar


class DatabaseWiring(ConsoleScreen):
    """Routes database snapshots to this screen's database pane while it is shown."""

    def wiring(self) -> list[tuple[Signal[Any], Callable[[Any], None], Callable[[], Any]]]:
        app = self.console
        return [*super().wiring(), (app.db_changed, self.show_db, app.db_snapshot)]

    def show_db(self, snapshot: Any) -> None:
        for pane in self.query(DbPane):
            pane.show_snapshot(snapshot)


class DatabaseScreen(DatabaseWiring):
    """Slow statements and activity, full size."""

    PANE_NAME = "database"

    def compose(self) -> ComposeResult:
        yield DbPane(id="db-pane")
        yield StatusBar()
