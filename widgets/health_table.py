"""The health table: one row per endpoint, drawn line by line and redrawn row by row.

DataTable keys its render caches on a table-wide update count and on the cursor position,
so any cell update or cursor move redraws every visible cell: with 200 endpoints at a 5 s
interval that held the event loop for 40-130 ms per publish. Here a row's lines are
rendered once per state (and per zebra/cursor look) and cached; a publish redraws only
the visible rows whose state changed, a cursor move only the two rows involved, and rows
out of view are not even formatted.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.health.model import EndpointState

_PAD = 1  # blank cells each side of a cell's content


@dataclass(frozen=True)
class TableRow:
    """One endpoint's row: its key, the state it shows and its height in lines."""

    key: str
    state: EndpointState
    height: int = 1


@dataclass(frozen=True)
class _Drawn:
    """A row's rendered lines and what they were rendered from."""

    state: EndpointState
    look: str
    lines: tuple[Strip, ...]


class HealthTable(ScrollView, can_focus=True):
    """Endpoint rows under a fixed header, a row cursor, zebra stripes.

    ``format_row`` turns a state into one ``Text`` per column (a cell may hold a second
    line after ``\\n`` for a two-line row); it is called only for rows being drawn.
    """

    COMPONENT_CLASSES = {
        "health-table--header",
        "health-table--even-row",
        "health-table--odd-row",
        "health-table--cursor",
    }
    BINDINGS = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "cursor_top", "Top", show=False),
        Binding("end,ctrl+end", "cursor_bottom", "Bottom", show=False),
    ]
    DEFAULT_CSS = """
    HealthTable { height: 1fr; overflow-x: hidden; }
    """

    @dataclass
    class RowSelected(Message):
        """The user chose the row under the cursor (enter, or a click on it)."""

        key: str

    def __init__(self, format_row: Callable[[EndpointState], Sequence[Text]], *,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self._format_row = format_row
        self._columns: tuple[tuple[str, int], ...] = ()
        self._rows: list[TableRow] = []
        self._index: dict[str, int] = {}
        self._starts: list[int] = []
        self._drawn: dict[str, _Drawn] = {}
        self.cursor_row = 0

    # ------------------------------------------------------------------ data

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def row_keys(self) -> list[str]:
        """Row keys, top to bottom."""
        return [row.key for row in self._rows]

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor, if any."""
        return self._rows[self.cursor_row].key if self._rows else None

    def set_columns(self, columns: Sequence[tuple[str, int]]) -> None:
        """Use these ``(label, width)`` columns; every row is drawn afresh."""
        self._columns = tuple(columns)
        self._drawn.clear()
        self._resize_virtual()
        self.refresh()

    def show_rows(self, rows: Sequence[TableRow]) -> None:
        """Show ``rows`` in this order; the cursor stays on its row's key.

        When the order and heights are unchanged only visible rows whose state changed
        are redrawn.
        """
        cursor_key = self.cursor_key
        same_layout = len(rows) == len(self._rows) and all(
            new.key == old.key and new.height == old.height
            for new, old in zip(rows, self._rows, strict=True))
        previous, self._rows = self._rows, list(rows)
        if same_layout:
            for index, (new, old) in enumerate(zip(rows, previous, strict=True)):
                if new.state is not old.state:
                    self._refresh_row(index)
            return
        self._index = {row.key: i for i, row in enumerate(rows)}
        self._drawn = {key: drawn for key, drawn in self._drawn.items() if key in self._index}
        starts, line = [], 0
        for row in rows:
            starts.append(line)
            line += row.height
        self._starts = starts
        self._resize_virtual()
        self.cursor_row = self._index.get(cursor_key or "", min(self.cursor_row,
                                                                max(0, len(rows) - 1)))
        self.refresh()

    def move_cursor(self, row: int) -> None:
        """Put the cursor on row ``row`` (clamped) and scroll it into view."""
        row = max(0, min(row, len(self._rows) - 1))
        if row == self.cursor_row or not self._rows:
            return
        previous, self.cursor_row = self.cursor_row, row
        self._refresh_row(previous)
        self._refresh_row(row)
        self._scroll_to_cursor()

    def _resize_virtual(self) -> None:
        width = sum(w + 2 * _PAD for _, w in self._columns)
        self.virtual_size = Size(width, 1 + sum(row.height for row in self._rows))

    def _view_height(self) -> int:
        """Lines of rows visible under the header."""
        return max(1, self.scrollable_content_region.height - 1)

    def _refresh_row(self, index: int) -> None:
        """Redraw row ``index`` if any of it is in view."""
        if not 0 <= index < len(self._rows):
            return
        top = 1 + self._starts[index] - int(self.scroll_y)
        height = self._rows[index].height
        if top + height > 1 and top <= self._view_height():
            self.refresh(Region(0, top, self.size.width, height))

    def _scroll_to_cursor(self) -> None:
        top = self._starts[self.cursor_row]
        bottom = top + self._rows[self.cursor_row].height
        view = self._view_height()
        if top < self.scroll_y:
            self.scroll_to(y=top, animate=False, immediate=True)
        elif bottom > self.scroll_y + view:
            self.scroll_to(y=bottom - view, animate=False, immediate=True)

    # ------------------------------------------------------------------ drawing

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._drawn.clear()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if not self._columns:
            return Strip.blank(width, self.rich_style)
        if y == 0:
            header = self.rich_style + self.get_component_rich_style("health-table--header")
            texts = [Text(label) for label, _ in self._columns]
            return self._strip(self._line(texts), header, Style.null(), width)
        line = y - 1 + int(self.scroll_y)
        index = bisect_right(self._starts, line) - 1
        if not self._rows or index < 0 or line >= self.virtual_size.height - 1:
            return Strip.blank(width, self.rich_style)
        return self._row_lines(index, width)[line - self._starts[index]]

    def _row_lines(self, index: int, width: int) -> tuple[Strip, ...]:
        row = self._rows[index]
        cursor = index == self.cursor_row
        look = f"{'cursor' if cursor else index % 2}:{width}"
        drawn = self._drawn.get(row.key)
        if drawn is not None and drawn.state is row.state and drawn.look == look:
            return drawn.lines
        zebra = "health-table--odd-row" if index % 2 else "health-table--even-row"
        style = self.rich_style + self.get_component_rich_style(zebra)
        post = Style.null()
        if cursor:
            style += self.get_component_rich_style("health-table--cursor")
            post = Style(color=style.color)
        cells = [cell.split("\n", allow_blank=True) for cell in self._format_row(row.state)]
        lines = tuple(
            self._strip(self._line([cell[n] if n < len(cell) else Text() for cell in cells]),
                        style, post, width)
            for n in range(row.height)
        )
        self._drawn[row.key] = _Drawn(row.state, look, lines)
        return lines

    def _line(self, texts: Sequence[Text]) -> list[Segment]:
        """One screen line: each text fitted to its column and padded."""
        line = Text(no_wrap=True, end="")
        for text, (_, width) in zip(texts, self._columns, strict=False):
            cell = text.copy()
            cell.truncate(width)
            room = " " * (width - cell.cell_len)
            left, right = (room, "") if text.justify == "right" else ("", room)
            line.append(" " * _PAD + left)
            line.append_text(cell)
            line.append(right + " " * _PAD)
        return list(line.render(self.app.console))

    @staticmethod
    def _strip(segments: list[Segment], style: Style, post: Style, width: int) -> Strip:
        styled = list(Segment.apply_style(segments, style, post or None))
        return Strip(styled).adjust_cell_length(width, style).simplify()

    # ------------------------------------------------------------------ keys and mouse

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self._row_at(self._starts[self.cursor_row] - self._view_height())
                         if self._rows else 0)

    def action_page_down(self) -> None:
        self.move_cursor(self._row_at(self._starts[self.cursor_row] + self._view_height())
                         if self._rows else 0)

    def action_cursor_top(self) -> None:
        self.move_cursor(0)

    def action_cursor_bottom(self) -> None:
        self.move_cursor(len(self._rows) - 1)

    def action_select_cursor(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.RowSelected(key))

    def _row_at(self, line: int) -> int:
        return max(0, bisect_right(self._starts, max(0, line)) - 1)

    def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1 or not self._rows:
            return
        line = offset.y - 1 + int(self.scroll_y)
        if line >= self._starts[-1] + self._rows[-1].height:
            return
        index = self._row_at(line)
        event.stop()
        if index == self.cursor_row:
            self.action_select_cursor()
        else:
            self.move_cursor(index)
