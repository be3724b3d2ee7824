"""A virtual list of log lines drawn with Textual's Line API.

Only the visible rows are rendered, so a 100k-line buffer costs the same to draw as a
40-line one; rendered rows are cached by sequence number. Line text is already sanitised
by the engine, redacted here for the rows on screen, and turned into ``Text`` (never
markup). The view holds its own rows (``LogRows``): the buffer seen through the filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.logs.filters import LogFilter
from tui.logs.parse import Level, LineKind, LogLine
from tui.redact import REDACTOR, redact
from widgets.log_rows import LogRows, first_index_after

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
_MARKER_LABEL = {
    LineKind.ROTATED: "rotated",
    LineKind.FILE_TRUNCATED: "truncated",
    LineKind.DELETED: "deleted",
    LineKind.RECREATED: "recreated",
    LineKind.GAP: "gap",
    LineKind.REPLAY: "replayed",
    LineKind.NOTICE: "notice",
}
_MAX_WIDTH = 4000  # cells kept of a row when not wrapping
_MAX_WRAPPED = 16_000  # characters of one row wrapped (a 10 MB line is clipped already)
_CACHE_ROWS = 2000


class TimeMode(StrEnum):
    """How the timestamp column is shown: in the local zone, in UTC, or not at all."""

    LOCAL = "local"
    UTC = "utc"
    OFF = "off"


def local_zone_name() -> str:
    """The local zone's abbreviation (``CEST``), or its UTC offset when it has none."""
    now = datetime.now().astimezone()
    name = now.tzname() or ""
    return name if name and name[0] not in "+-" else now.strftime("UTC%z")


class LogView(ScrollView, can_focus=True):
    """Rows of log lines; follows the end unless scrolled away, paused or a row is selected.

    The owner (the log pane) feeds it the engine's buffer with ``show()`` and sets the
    filter and display options; the view keeps the cursor, the selection and the scroll.
    """

    COMPONENT_CLASSES = {
        "log-view--error",
        "log-view--warn",
        "log-view--debug",
        "log-view--marker",
        "log-view--meta",
        "log-view--match",
        "log-view--cursor",
        "log-view--selected",
    }
    DEFAULT_CSS = """
    LogView > .log-view--cursor { background: $primary 45%; }
    LogView > .log-view--selected { background: $primary 25%; }
    """
    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="logs.cursor_up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="logs.cursor_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="logs.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="logs.page_down"),
        Binding("shift+up,K", "extend(-1)", "Select up", show=False, id="logs.select_up"),
        Binding("shift+down,J", "extend(1)", "Select down", show=False, id="logs.select_down"),
        Binding("home", "start", "Start", show=False, id="logs.home"),
        Binding("end", "end", "End", show=False, id="logs.end"),
    ]

    class CursorMoved(Message):
        """The selected row changed (None: nothing is selected)."""

        def __init__(self, line: LogLine | None) -> None:
            super().__init__()
            self.line = line

    class FollowChanged(Message):
        """The view started or stopped following the end."""

        def __init__(self, follow: bool) -> None:
            super().__init__()
            self.follow = follow

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows = LogRows()
        self.follow = True
        self.paused = False
        self.wrap = False
        self.colour = False
        self.time_mode = TimeMode.LOCAL
        self.cursor: int | None = None
        self.anchor: int | None = None
        self.source_width = 0
        self._live: Sequence[LogLine] = ()
        self._frozen: list[LogLine] | None = None
        self._texts: dict[int, Text] = {}
        self._strips: dict[int, Strip] = {}
        self._wrapped: dict[int, list[Strip]] = {}
        self._wrap_width = 0
        self._frame_key: tuple[Any, ...] | None = None
        self._frame: list[tuple[int, Strip]] = []
        self._version = 0
        self._width = 0
        self._redaction = REDACTOR.generation

    # ------------------------------------------------------------------ feeding

    def show(self, buffer: Sequence[LogLine]) -> None:
        """Take in the lines of ``buffer`` that arrived since the last call."""
        self._live = buffer
        if self.paused:
            return
        last_seq = self.rows.last_seq
        forgotten = self.rows.update(buffer)
        if forgotten or self.rows.last_seq != last_seq:
            self._after_update(forgotten)
        elif REDACTOR.generation != self._redaction:
            self.refresh()  # a secret became known: mask the rows on screen now
        else:
            # Nothing new (the tail's heartbeat): no repaint, only a longer row drawn since.
            self._sync_virtual_size()

    @property
    def waiting(self) -> int:
        """Lines that arrived while paused (shown on resume)."""
        if not self.paused or not len(self._live):
            return 0
        return len(self._live) - first_index_after(self._live, self.rows.last_seq)

    def set_filter(self, log_filter: LogFilter) -> None:
        """Show the lines through ``log_filter`` (a full pass over the held lines)."""
        top = self._top_seq()
        self.rows.filter = log_filter
        self.rows.rebuild(self._frozen if self._frozen is not None else self._live)
        self.cursor = self.anchor = None
        self._clear_cache()
        if not self.follow and top is not None:
            self.scroll_to(y=min(self.rows.index_of(top), self._bottom()), animate=False,
                           immediate=True)
        self._after_update(0)
        self.post_message(self.CursorMoved(None))

    def set_paused(self, paused: bool) -> None:
        """Freeze the rows (new lines keep arriving in the buffer) or catch up."""
        if paused == self.paused:
            return
        self.paused = paused
        if paused:
            snapshot = getattr(self._live, "snapshot", None)
            self._frozen = snapshot() if snapshot is not None else list(self._live)
            return
        self._frozen = None
        self.show(self._live)

    def set_display(self, *, wrap: bool | None = None, colour: bool | None = None,
                    time_mode: TimeMode | None = None, source_width: int | None = None) -> None:
        """Change how rows look (every cached row is drawn again)."""
        if wrap is not None:
            self.wrap = wrap
        if colour is not None:
            self.colour = colour
        if time_mode is not None:
            self.time_mode = time_mode
        if source_width is not None:
            self.source_width = source_width
        self._width = 0
        self._clear_cache()
        self._after_update(0)

    # ------------------------------------------------------------------ selection

    def selected_lines(self) -> list[LogLine]:
        """The selected rows (cursor to anchor), oldest first; empty when none."""
        if self.cursor is None:
            return []
        low, high = self._selection()
        return self.rows.lines[low : high + 1]

    @property
    def cursor_line(self) -> LogLine | None:
        if self.cursor is None or self.cursor >= len(self.rows):
            return None
        return self.rows.lines[self.cursor]

    def jump_to_match(self, step: int) -> bool:
        """Move the cursor to the next (1) or previous (-1) filter hit; False if none."""
        if self.cursor is not None:
            start = self.cursor
        else:
            start = len(self.rows) if step < 0 else self._top_index() - 1
        found = self.rows.next_match(start, step)
        if found is None:
            return False
        self._move_cursor(found, extend=False)
        return True

    def _selection(self) -> tuple[int, int]:
        assert self.cursor is not None
        anchor = self.cursor if self.anchor is None else self.anchor
        return min(anchor, self.cursor), max(anchor, self.cursor)

    def _move_cursor(self, index: int, *, extend: bool) -> None:
        if not len(self.rows):
            return
        index = max(0, min(len(self.rows) - 1, index))
        if extend:
            if self.anchor is None:
                self.anchor = self.cursor if self.cursor is not None else index
        else:
            self.anchor = None
        self.cursor = index
        self._set_follow(False)
        self._scroll_to_row(index)
        self._version += 1
        self.refresh()
        self.post_message(self.CursorMoved(self.cursor_line))

    def clear_selection(self) -> bool:
        """Drop the cursor and selection; False if there was none."""
        if self.cursor is None:
            return False
        self.cursor = self.anchor = None
        self._version += 1
        self.refresh()
        self.post_message(self.CursorMoved(None))
        return True

    # ------------------------------------------------------------------ actions

    def action_cursor(self, step: int) -> None:
        if self.cursor is None:
            self._move_cursor(self._last_visible() if step < 0 else self._top_index(),
                              extend=False)
        else:
            self._move_cursor(self.cursor + step, extend=False)

    def action_page(self, step: int) -> None:
        height = max(1, self.size.height - 1)
        base = self.cursor if self.cursor is not None else self._top_index()
        self._move_cursor(base + step * height, extend=False)

    def action_extend(self, step: int) -> None:
        if self.cursor is None:
            self._move_cursor(self._last_visible(), extend=True)
        else:
            self._move_cursor(self.cursor + step, extend=True)

    def action_start(self) -> None:
        """Go to the first row (stops following)."""
        self.clear_selection()
        self._set_follow(False)
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def action_end(self) -> None:
        """Follow the end again (also resumes a paused view and drops the selection)."""
        self.clear_selection()
        self.set_paused(False)
        self._set_follow(True)
        self._after_update(0)

    # ------------------------------------------------------------------ scrolling

    def _set_follow(self, follow: bool) -> None:
        if follow != self.follow:
            self.follow = follow
            self.post_message(self.FollowChanged(follow))

    def _bottom(self) -> int:
        return max(0, len(self.rows) - self.scrollable_content_region.height)

    def _top_index(self) -> int:
        if self._frame:
            return self._frame[0][0]
        return min(int(self.scroll_y), max(0, len(self.rows) - 1))

    def _last_visible(self) -> int:
        if self._frame:
            return self._frame[-1][0]
        return max(0, min(len(self.rows), int(self.scroll_y) + self.size.height) - 1)

    def _top_seq(self) -> int | None:
        rows = self.rows.lines
        top = int(self.scroll_y)
        return rows[top].seq if 0 <= top < len(rows) else None

    def _scroll_to_row(self, index: int) -> None:
        top = int(self.scroll_y)
        height = max(1, self.size.height)
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif self.wrap:
            if index > self._last_visible():
                self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False, immediate=True)

    def _after_update(self, forgotten: int) -> None:
        if forgotten and self.cursor is not None:
            self.cursor -= forgotten
            if self.anchor is not None:
                self.anchor = max(0, self.anchor - forgotten)
            if self.cursor < 0:
                self.cursor = self.anchor = None
                self.post_message(self.CursorMoved(None))
        self._sync_virtual_size()
        if self.follow:
            self.scroll_to(y=self._bottom(), animate=False, immediate=True)
        elif forgotten:
            self.scroll_to(y=max(0, int(self.scroll_y) - forgotten), animate=False,
                           immediate=True)
        self._version += 1
        self.refresh()

    def _sync_virtual_size(self) -> None:
        width = max(self._width, self.size.width) if not self.wrap else self.size.width
        size = Size(width, len(self.rows))
        if size != self.virtual_size:
            self.virtual_size = size

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if self.cursor is None and not self.paused:
            self._set_follow(round(new) >= self._bottom())

    def on_resize(self) -> None:
        self._frame_key = None
        self._keep_end()

    def watch_show_vertical_scrollbar(self, shown: bool) -> None:
        """Textual ignores a scroll until the view's scrollbar is shown, which happens at
        the layout after the rows first outgrow the view (a flood's first batch): a
        following view scrolls to the end then."""
        self._keep_end()

    def watch_show_horizontal_scrollbar(self, shown: bool) -> None:
        """A line wider than the view brings the horizontal scrollbar, which takes a row:
        a following view scrolls one more so the last line stays in sight."""
        self._keep_end()

    def _keep_end(self) -> None:
        if self.follow:
            self.scroll_to(y=self._bottom(), animate=False, immediate=True)

    def on_click(self, event: events.Click) -> None:
        for row, (index, _strip) in enumerate(self._frame):
            if row == event.y:
                self._move_cursor(index, extend=event.shift)
                return

    # ------------------------------------------------------------------ drawing

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._clear_cache()

    def _clear_cache(self) -> None:
        self._texts.clear()
        self._strips.clear()
        self._wrapped.clear()
        self._frame_key = None
        self._version += 1

    def render_line(self, y: int) -> Strip:
        frame = self._build_frame()
        if y < len(frame):
            return frame[y][1]
        return Strip.blank(self.size.width, self.rich_style)

    def _build_frame(self) -> list[tuple[int, Strip]]:
        if REDACTOR.generation != self._redaction:
            # A secret became known after rows were drawn: draw them again, masked.
            self._redaction = REDACTOR.generation
            self._clear_cache()
        width, height = self.size.width, self.size.height
        scroll_x, scroll_y = self.scroll_offset
        key = (self._version, width, height, scroll_x, scroll_y, self.follow)
        if key == self._frame_key:
            return self._frame
        if len(self._texts) > _CACHE_ROWS:
            self._texts.clear()
            self._strips.clear()
            self._wrapped.clear()
        rows = self.rows.lines
        frame: list[tuple[int, Strip]] = []
        selection = self._selection() if self.cursor is not None else (-1, -2)
        if self.wrap:
            frame = self._wrapped_frame(width, height, scroll_y)
        else:
            for index in range(scroll_y, min(len(rows), scroll_y + height)):
                strip = self._strip(index).crop_extend(scroll_x, scroll_x + width,
                                                       self.rich_style)
                frame.append((index, strip))
        if self.cursor is not None:
            cursor_style = self.get_component_rich_style("log-view--cursor")
            selected_style = self.get_component_rich_style("log-view--selected")
            frame = [
                (index, strip.apply_style(cursor_style if index == self.cursor
                                          else selected_style)
                 if selection[0] <= index <= selection[1] else strip)
                for index, strip in frame
            ]
        self._frame_key = key
        self._frame = frame
        return frame

    def _wrapped_frame(self, width: int, height: int, scroll_y: int) -> list[tuple[int, Strip]]:
        if width != self._wrap_width:
            self._wrapped.clear()
            self._wrap_width = width
        rows = self.rows.lines
        frame: list[tuple[int, Strip]] = []
        if self.follow and self.cursor is None:
            index = len(rows) - 1
            while index >= 0 and len(frame) < height:
                strips = self._wrapped_strips(index, width)
                frame[:0] = [(index, strip) for strip in strips]
                index -= 1
            return frame[-height:] if len(frame) > height else frame
        index = scroll_y
        while index < len(rows) and len(frame) < height:
            frame.extend((index, strip) for strip in self._wrapped_strips(index, width))
            index += 1
        return frame[:height]

    def _wrapped_strips(self, index: int, width: int) -> list[Strip]:
        line = self.rows.lines[index]
        strips = self._wrapped.get(line.seq)
        if strips is None:
            text = self._text(index).copy()
            text.no_wrap = False
            console = self.app.console
            strips = [
                Strip(list(part.render(console)), part.cell_len)
                .adjust_cell_length(width, self.rich_style).apply_style(self.rich_style)
                for part in text.wrap(console, max(1, width))
            ] or [Strip.blank(width, self.rich_style)]
            self._wrapped[line.seq] = strips
        return strips

    def _strip(self, index: int) -> Strip:
        line = self.rows.lines[index]
        strip = self._strips.get(line.seq)
        if strip is None:
            text = self._text(index)
            self._width = min(_MAX_WIDTH, max(self._width, text.cell_len))
            segments = [Segment(s.text, s.style) for s in text.render(self.app.console)]
            strip = Strip(segments, text.cell_len).apply_style(self.rich_style)
            self._strips[line.seq] = strip
        return strip

    def _text(self, index: int) -> Text:
        line = self.rows.lines[index]
        text = self._texts.get(line.seq)
        if text is None:
            text = self.row_text(line, self.rows.matches[index])
            self._texts[line.seq] = text
        return text

    def row_text(self, line: LogLine, matched: bool = False) -> Text:
        """One row as ``Text``: time, level, source, then the (redacted) line."""
        style = self.get_component_rich_style
        meta = style("log-view--meta", partial=True)
        text = Text(no_wrap=not self.wrap, end="")
        if self.time_mode is not TimeMode.OFF:
            text.append(self._stamp(line) + " ", meta)
        if line.is_marker:
            label = _MARKER_LABEL.get(line.kind, "marker")
            text.append(f"── {label} · {line.source}: {line.text} ──",
                        style("log-view--marker", partial=True))
            return text
        level_class = _LEVEL_CLASS.get(line.level)
        level_style = style(level_class, partial=True) if level_class else Style()
        text.append(_LEVEL_LABEL.get(line.level, "   ") + " ", level_style)
        if self.source_width:
            text.append(line.source[: self.source_width].ljust(self.source_width) + " ", meta)
        start = len(text)
        body = line.text
        limit = _MAX_WRAPPED if self.wrap else _MAX_WIDTH
        if len(body) > limit:
            body = body[:limit] + "…"
        shown = redact(body)
        line_style = level_style if line.level >= Level.WARN else Style()
        text.append(shown, line_style)
        if self.colour and shown == body:
            _plain, spans = line.styled()
            for begin, end, colour in spans:
                if begin < len(body):
                    text.stylize(colour, start + begin, start + min(end, len(body)))
        elif line.raw is not None and line.raw[:1] == "{" and shown == body:
            message = line.message
            if body.startswith(message) and len(body) > len(message):
                text.stylize(meta, start + len(message), start + len(body))
        if self.rows.filter.active:
            match_style = style("log-view--match", partial=True)
            for begin, end in self.rows.filter.spans(shown):
                text.stylize(match_style, start + begin, start + end)
            if matched and self.rows.filter.highlight_only and not self.rows.filter.pattern:
                text.stylize(match_style, start, start + len(shown))
        return text

    def _stamp(self, line: LogLine) -> str:
        when = line.ts
        if when is None:
            when = line.received
        try:
            moment = datetime.fromtimestamp(when, UTC)
        except (OverflowError, OSError, ValueError):
            return "--:--:--"
        if self.time_mode is TimeMode.LOCAL:
            moment = moment.astimezone()
        return moment.strftime("%H:%M:%S")
