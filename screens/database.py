"""The database screen, and the database wiring the dashboard shares.

The wiring turns the pane's messages into calls on the database hub: settings changes,
marks, refreshes, and confirmed actions (run in a worker; the outcome goes back to the
pane, which posts ``DbPane.ActionDone``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.signal import Signal

from screens.base import ConsoleScreen
from tui.db.actions import ActionOutcome, ActionRequest
from widgets.db_pane import DbPane
from widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from tui.hub.db import DbHub


class DatabaseWiring(ConsoleScreen):
    """Routes database snapshots to this screen's database pane while it is shown."""

    def wiring(self) -> list[tuple[Signal[Any], Callable[[Any], None], Callable[[], Any]]]:
        app = self.console
        return [*super().wiring(), (app.db_changed, self.show_db, app.db_snapshot)]

    def show_db(self, snapshot: Any) -> None:
        for pane in self.query(DbPane):
            pane.show_snapshot(snapshot)

    def _db_hub(self) -> DbHub | None:
        engines = self.console.engines
        return engines.db if engines is not None else None

    @on(DbPane.Control)
    def db_control(self, event: DbPane.Control) -> None:
        event.stop()
        hub = self._db_hub()
        if hub is None:
            self.notify("The database engine is not running.", timeout=3, markup=False)
            return
        if event.setting == "refresh":
            hub.refresh_now()
        elif event.setting == "mark":
            label = f"mark {datetime.now().strftime('%H:%M:%S')}"
            hub.mark_baseline(label)
            self.notify(f"Mark set ({label}): d shows changes since it, b what got slower.",
                        timeout=4, markup=False)
        else:
            hub.change(event.setting)

    @on(DbPane.ActionRequested)
    def db_action(self, event: DbPane.ActionRequested) -> None:
        event.stop()
        self.run_worker(self._run_db_action(event.pane, event.request), group="db-action",
                        exit_on_error=False)

    async def _run_db_action(self, pane: DbPane, request: ActionRequest) -> None:
        hub = self._db_hub()
        if hub is None:
            env = self.console.environment
            outcome = ActionOutcome(request, env.name if env else "", "", False,
                                    "the database engine is not running (nothing was sent)")
        else:
            outcome = await hub.run(request)
        pane.action_finished(outcome)


class DatabaseScreen(DatabaseWiring):
    """Slow statements, activity and health checks, full size."""

    PANE_NAME = "database"

    def compose(self) -> ComposeResult:
        yield DbPane(id="db-pane")
        yield StatusBar()
