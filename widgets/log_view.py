"""A virtual list of log lines drawn with Textual's Line API.

Only the visible rows are rendered, so a 100k-line buffer costs the same to draw as a
40-line one; rendered rows are cached by sequence number. Line text is already sanitised
by the engine and is turned into ``Text`` (never markup) here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.logs.parse import Level, LogLine

_LEVEL_CLASS = {
    Level.FATAL: "log-view--error",
    Level.ERROR: "log-view--error",
    Level.WARN: "log-view--warn",
    Level.DEBUG: "log-view--debug",
    Level.TRACE: "log-view--debug",
}
_LEVEL_LABEL = {
    Level.TRACE: "TRC",
    Level.DEBUG: "DBG",
    Level.INFO: "INF",
    Level.WARN: "WRN",
    Level.ERROR: "ERR",
    Level.FATAL: "FTL",
    Level.UNKNOWN: "   ",
}
_MAX_WIDTH = 4000


class LogView(ScrollView, can_focus=True):
    """Follows the end of a line sequence unless the user scrolls away or pauses."""

    COMPONENT_CLASSES = {
        "log-view--error",
        "log-view--warn",
        "log-view--debug",
        "log-view--marker",
        "log-view--meta",
        "log-view--match",
    }
    BINDINGS = [
        Binding("space", "toggle_pause", "Pause", id="logs.pause"),
        Binding("G", "follow", "Follow", id="logs.follow"),
        Binding("g", "start", "Start", id="logs.start"),
        Binding("t", "toggle_timestamps", "Timestamps", id="logs.timestamps"),
    ]

    follow: reactive[bool] = reactive(True)
    paused: reactive[bool] = reactive(False)
    timestamps: reactive[bool] = reactive(True)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lines: Sequence[LogLine] = ()
        self._cache: dict[int, Strip] = {}
        self._width = 0

    def set_lines(self, lines: Sequence[LogLine]) -> None:
        """Show ``lines`` (the engine's buffer view); ignored while paused."""
        if self.paused:
            return
        self._lines = lines
        if len(self._cache) > 4 * max(self.size.height, 50):
            self._cache.clear()
        self.virtual_size = Size(max(self._width, self.size.width), len(lines))
        if self.follow:
            self.scroll_to(y=max(0, len(lines) - self.size.height), animate=False, immediate=True)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        line = self._lines[index]
        strip = self._cache.get(line.seq)
        if strip is None:
            strip = self._render(line)
            self._cache[line.seq] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style)

    def _render(self, line: LogLine) -> Strip:
        text = Text(no_wrap=True, end="")
        meta = self.get_component_rich_style("log-view--meta", partial=True)
        if self.timestamps:
            text.append(datetime.fromtimestamp(line.received).strftime("%H:%M:%S "), meta)
        if line.is_marker:
            text.append(f"── {line.source}: {line.text} ──",
                        self.get_component_rich_style("log-view--marker", partial=True))
        else:
            level_class = _LEVEL_CLASS.get(line.level)
            style = (
                self.get_component_rich_style(level_class, partial=True)
                if level_class
                else Style()
            )
            text.append(_LEVEL_LABEL.get(line.level, "   ") + " ", style)
            text.append(f"{line.source} ", meta)
            text.append(line.text, style if line.level >= Level.WARN else Style())
        self._width = min(_MAX_WIDTH, max(self._width, text.cell_len))
        segments = [Segment(s.text, s.style) for s in text.render(self.app.console)]
        return Strip(segments, text.cell_len).apply_style(self.rich_style)

    def _scroll_changed(self) -> None:
        bottom = max(0, len(self._lines) - self.size.height)
        self.follow = self.scroll_offset.y >= bottom

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._scroll_changed()

    def watch_timestamps(self) -> None:
        self._cache.clear()
        self.refresh()

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused

    def action_follow(self) -> None:
        self.paused = False
        self.follow = True
        self.scroll_end(animate=False)

    def action_start(self) -> None:
        self.follow = False
        self.scroll_home(animate=False)

    def action_toggle_timestamps(self) -> None:
        self.timestamps = not self.timestamps
