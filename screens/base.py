"""What every console screen shares: the status bar and the wiring to the app's signals.

A screen subscribes to the app's signals only while it is shown (resume) and drops them
when hidden (suspend), so a hidden screen costs nothing and a shown one is always
filled from the latest state at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.screen import Screen
from textual.signal import Signal

from widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from tui.app import OnDutyApp


class ConsoleScreen(Screen[None]):
    """A screen of the console. Subclasses compose panes and list what they listen to."""

    PANE_NAME = ""

    @property
    def console(self) -> OnDutyApp:
        return self.app  # type: ignore[return-value]

    def wiring(self) -> list[tuple[Signal[Any], Callable[[Any], None], Callable[[], Any]]]:
        """(signal, handler, current value) triples this screen listens to while shown."""
        return [(self.console.status_changed, self.show_status, self.console.status_info)]

    def on_screen_resume(self) -> None:
        for signal, handler, current in self.wiring():
            # Textual resumes a mode's screen twice when switch_mode first creates it;
            # a second subscription would run every handler twice per publish.
            signal.unsubscribe(self)
            signal.subscribe(self, handler)
            handler(current())
        self.console.screen_shown(self)

    def on_screen_suspend(self) -> None:
        for signal, _handler, _current in self.wiring():
            signal.unsubscribe(self)

    def show_status(self, info: Any) -> None:
        for bar in self.query(StatusBar):
            bar.environment = info.environment
            bar.environments = info.environment_count
            bar.incident = info.incident
            bar.errors = info.errors
