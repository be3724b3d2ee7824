"""The logs screen, the log wiring the dashboard shares, and the "logs: ..." palette commands."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from textual.app import ComposeResult
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.signal import Signal

from screens.base import ConsoleScreen
from tui.logs.filters import PRESETS
from widgets.log_pane import LogPane
from widgets.status_bar import StatusBar


class LogCommands(Provider):
    """Every log pane action as "logs: ..." in the command palette."""

    def _commands(self) -> Iterator[tuple[str, str, Callable[[], Any]]]:
        panes = list(self.screen.query(LogPane))
        if not panes:
            return
        pane = panes[0]
        for name, preset in PRESETS.items():
            extra = f" (over {preset.slow_ms:g} ms)" if preset.slow_ms is not None else ""
            yield (f"logs: filter {preset.title}{extra}",
                   f"Show only {preset.title}: {preset.pattern or 'a duration field'}",
                   partial(pane.apply_preset, name))
        actions = (
            ("logs: filter…", "Type a regex or text (>500ms: slow requests)", "open_filter"),
            ("logs: clear filter", "Show every line", "clear_filter"),
            ("logs: level filter", "Cycle the minimum level", "cycle_level"),
            ("logs: highlight only", "Show every line, matches highlighted", "toggle_highlight"),
            ("logs: more context", "Lines around each match, like grep -C", "context(1)"),
            ("logs: less context", "Fewer lines around each match", "context(-1)"),
            ("logs: pause", "Pause or resume the view (buffering continues)", "toggle_pause"),
            ("logs: follow", "Follow the end", "follow"),
            ("logs: go to start", "Show the oldest held line", "start"),
            ("logs: timestamps", "Local time, UTC, or none", "timestamps"),
            ("logs: wrap", "Wrap long lines", "toggle_wrap"),
            ("logs: colour", "Colours from the source (SGR only)", "toggle_colour"),
            ("logs: errors by type", "Count the view's errors by shape", "error_shapes"),
            ("logs: save view", "Write the filtered view to a file (0600, redacted)", "save"),
            ("logs: copy selection", "Copy the selected lines (OSC 52)", "copy"),
            ("logs: attach selection", "Attach the selected lines to the incident", "attach"),
        )
        for title, help_text, action in actions:
            if action == "clear_filter":
                yield title, help_text, partial(pane.apply_preset, None)
            else:
                yield title, help_text, partial(pane.run_action, action)

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)


class LogsWiring(ConsoleScreen):
    """Routes log batches to this screen's log pane while it is shown."""

    COMMANDS = {LogCommands}

    def wiring(self) -> list[tuple[Signal[Any], Callable[[Any], None], Callable[[], Any]]]:
        app = self.console
        return [*super().wiring(), (app.logs_changed, self.show_logs, app.log_view)]

    def show_logs(self, view: Any) -> None:
        for pane in self.query(LogPane):
            pane.show_view(view)


class LogsScreen(LogsWiring):
    """The live log tail, full size."""

    PANE_NAME = "logs"
    AUTO_FOCUS = "#log-view"

    def compose(self) -> ComposeResult:
        yield LogPane(id="log-pane")
        yield StatusBar()
