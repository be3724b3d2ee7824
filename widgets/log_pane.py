"""The log pane: the live tail of the current environment's sources, with their states."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tui.hub import LogViewData
from tui.sanitize import safe_text
from widgets.log_view import LogView
from widgets.pane import Pane


class LogPane(Pane):
    """Source states in the title, the lines below; the view keeps its own follow/pause."""

    def compose(self) -> ComposeResult:
        yield Static(safe_text("no log sources configured for this environment"),
                     classes="pane-message", id="log-message")
        yield LogView(id="log-view")

    def on_mount(self) -> None:
        self.title = "logs"

    def show_view(self, view: LogViewData | None) -> None:
        message = self.query_one("#log-message", Static)
        log_view = self.query_one(LogView)
        if view is None or not view.sources:
            message.display = True
            log_view.display = False
            self.title = "logs"
            return
        message.display = False
        log_view.display = True
        log_view.set_lines(view.lines)
        states = "  ".join(f"{name}: {message}" for name, _state, message in view.sources)
        flags = " · paused" if log_view.paused else ("" if log_view.follow else " · scrolled")
        self.title = f"logs · {states}{flags}"
        self.subtitle = f"{view.total:,} lines" + (
            f" · {view.dropped:,} dropped" if view.dropped else ""
        )
        self.problem = "; ".join(view.failing())
