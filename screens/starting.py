"""The first frame: the layout of the screen being opened, before its panes exist.

On a bastion every tenth of a second before the terminal shows anything feels like a
hang. The console therefore draws this light screen first (the pane frames and the status
bar with the environment), then loads the panes, engines and incident store and switches
to the real screen a moment later. It imports nothing heavier than the status bar.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Grid
from textual.widgets import Static

from screens.base import ConsoleScreen
from widgets.pane import Pane
from widgets.status_bar import StatusBar

DASHBOARD_PANES = ("health", "logs", "database", "incident")


class StartingScreen(ConsoleScreen):
    """Empty pane frames titled like the screen's panes, and the status bar."""

    PANE_NAME = "starting"

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode

    def compose(self) -> ComposeResult:
        if self.mode == "dashboard":
            with Grid(id="dashboard"):
                for title in DASHBOARD_PANES:
                    yield _frame(title)
        else:
            yield _frame(self.mode)
        yield StatusBar()


def _frame(title: str) -> Pane:
    pane = Pane(Static("starting…", classes="starting"))
    pane.title = title
    return pane
