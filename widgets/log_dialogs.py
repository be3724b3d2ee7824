"""Dialogs of the log pane: where to save the view, and the errors counted by type."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from tui.redact import redact
from tui.sanitize import safe_text, sanitize


class SaveLogDialog(ModalScreen[str | None]):
    """Asks for a file name; Enter saves, Escape cancels. An existing file is never replaced."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="dialog.cancel")]
    DEFAULT_CSS = """
    SaveLogDialog { align: center middle; }
    SaveLogDialog > Vertical {
        width: 80;
        max-width: 95%;
        height: auto;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    """

    def __init__(self, default_path: str, count: int) -> None:
        super().__init__()
        self._default = default_path
        self._count = count

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(safe_text(f"Save the {self._count:,} lines of the view"),
                        classes="dialog-title")
            yield Label(safe_text("Redacted, written with mode 0600. Enter saves, "
                                  "escape cancels."))
            yield Input(value=self._default, id="save-path")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)


class ErrorShapesScreen(ModalScreen[None]):
    """Error lines of the view counted by shape (numbers, ids and quoted text folded)."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="dialog.close"),
        Binding("q", "dismiss", "Close", show=False),
        Binding("number_sign", "dismiss", "Close", show=False),
    ]
    DEFAULT_CSS = """
    ErrorShapesScreen { align: center middle; }
    ErrorShapesScreen > VerticalScroll {
        width: 110;
        max-width: 95%;
        height: auto;
        max-height: 80%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    """

    def __init__(self, shapes: Sequence[tuple[str, int]], scanned: int) -> None:
        super().__init__()
        self._shapes = list(shapes)
        self._scanned = scanned

    def compose(self) -> ComposeResult:
        total = sum(count for _shape, count in self._shapes)
        with VerticalScroll(id="error-shapes"):
            yield Label(Text(f"Errors by type: {total:,} error lines in {self._scanned:,} "
                             "lines of the view  (escape closes)", style="bold"),
                        classes="dialog-title")
            if not self._shapes:
                yield Static(safe_text("No error lines in the view."))
                return
            table = Table(box=None, expand=True, pad_edge=False, show_edge=False)
            table.add_column("count", justify="right", no_wrap=True)
            table.add_column("error (numbers, ids and quoted text folded)")
            for shape, count in self._shapes:
                table.add_row(Text(f"{count:,}"), Text(redact(sanitize(shape))))
            yield Static(table)
