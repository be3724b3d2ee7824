"""The database pane's dialogs: confirmations, typed confirmations, parameters, details.

Every text shown here is data (query text, user names, server errors), so every line is
a ``Text`` built by the caller with ``safe_text``/``redacted_text``: nothing is parsed as
markup. A typed confirmation accepts only the exact words it names; Enter alone, or any
other text, never confirms.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tui.sanitize import safe_text

_DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > .db-dialog {{
    width: 100; max-width: 95%; height: auto; max-height: 90%;
    border: thick $primary; background: $surface; padding: 0 1;
}}
{name} > .db-dialog.-danger {{ border: thick $error; }}
{name} .db-dialog-body {{ height: auto; max-height: 24; }}
{name} .db-dialog-hint {{ color: $text-muted; height: auto; }}
{name} .db-dialog-error {{ color: $error; height: auto; }}
{name} .db-dialog-buttons {{ height: auto; align-horizontal: right; padding-top: 1; }}
{name} .db-dialog-buttons Button {{ margin-left: 2; }}
{name} Input {{ margin-top: 1; }}
"""


def _lines(lines: Iterable[Text]) -> Group:
    return Group(*lines)


class ConfirmDialog(ModalScreen[bool]):
    """Shows exactly what will run and where; ``y`` or the confirm button runs it.

    The focus starts on "Back", so a stray Enter does nothing harmful.
    """

    DEFAULT_CSS = _DIALOG_CSS.format(name="ConfirmDialog")
    BINDINGS = [
        Binding("escape", "dismiss(False)", "Back", id="dialog.cancel"),
        Binding("n", "dismiss(False)", "Back", show=False),
        Binding("y", "dismiss(True)", "Confirm", id="dialog.confirm"),
    ]

    def __init__(self, title: str, lines: Sequence[Text], confirm: str) -> None:
        super().__init__()
        self._title = title
        self._body = list(lines)
        self._confirm = confirm

    def compose(self) -> ComposeResult:
        with Vertical(classes="db-dialog"):
            yield Label(safe_text(self._title), classes="dialog-title")
            with VerticalScroll(classes="db-dialog-body"):
                yield Static(_lines(self._body))
            with Horizontal(classes="db-dialog-buttons"):
                yield Button(safe_text(f"{self._confirm} (y)"), variant="warning", id="confirm")
                yield Button(safe_text("Back (esc)"), id="back")

    def on_mount(self) -> None:
        self.query_one("#back", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")


class TypedConfirmDialog(ModalScreen[bool]):
    """Confirms only when one of ``accepted`` (a pid, an environment name) is typed exactly."""

    DEFAULT_CSS = _DIALOG_CSS.format(name="TypedConfirmDialog")
    BINDINGS = [Binding("escape", "dismiss(False)", "Back", id="dialog.cancel")]

    def __init__(self, title: str, lines: Sequence[Text], accepted: Sequence[str]) -> None:
        super().__init__()
        self._title = title
        self._body = list(lines)
        self._accepted = [a for a in accepted if a]

    @property
    def prompt(self) -> str:
        words = " or ".join(repr(a) for a in self._accepted)
        return f"Type {words} and press Enter to confirm; Escape goes back."

    def compose(self) -> ComposeResult:
        with Vertical(classes="db-dialog -danger"):
            yield Label(safe_text(self._title), classes="dialog-title")
            with VerticalScroll(classes="db-dialog-body"):
                yield Static(_lines(self._body))
            yield Static(safe_text(self.prompt), classes="db-dialog-hint")
            yield Input(placeholder=self._accepted[0] if self._accepted else "", id="typed")
            yield Static(Text(), classes="db-dialog-error", id="typed-error")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip() in self._accepted:
            self.dismiss(True)
            return
        typed = event.value.strip()
        said = f"{typed!r} does not match. " if typed else "Nothing typed. "
        self.query_one("#typed-error", Static).update(safe_text(said + self.prompt))


class ParamsDialog(ModalScreen[tuple[str, ...] | None]):
    """One input per ``$n`` of a normalised statement, so it can be planned on any version.

    Values are sent as quoted SQL literals (the server casts them); ``NULL`` means NULL.
    """

    DEFAULT_CSS = _DIALOG_CSS.format(name="ParamsDialog")
    BINDINGS = [Binding("escape", "dismiss(None)", "Back", id="dialog.cancel")]

    def __init__(self, title: str, lines: Sequence[Text], numbers: Sequence[int]) -> None:
        super().__init__()
        self._title = title
        self._body = list(lines)
        self._numbers = list(numbers)

    def compose(self) -> ComposeResult:
        with Vertical(classes="db-dialog"):
            yield Label(safe_text(self._title), classes="dialog-title")
            with VerticalScroll(classes="db-dialog-body"):
                yield Static(_lines(self._body))
            for number in self._numbers:
                yield Input(placeholder=f"${number}", id=f"param-{number}")
            yield Static(safe_text("Enter on the last value continues; Escape goes back."),
                         classes="db-dialog-hint")
            yield Static(Text(), classes="db-dialog-error", id="params-error")

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        inputs = list(self.query(Input))
        empty = [i for i in inputs if not i.value.strip()]
        if empty:
            empty[0].focus()
            self.query_one("#params-error", Static).update(
                safe_text(f"{empty[0].placeholder} needs a value (NULL for null)")
            )
            return
        self.dismiss(tuple(i.value for i in inputs))


class TextDialog(ModalScreen[None]):
    """A scrollable read-only view: a statement's detail, a plan, the privileges report."""

    DEFAULT_CSS = _DIALOG_CSS.format(name="TextDialog") + """
    TextDialog .db-dialog-body { max-height: 40; }
    """
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close", id="dialog.close"),
        Binding("q", "dismiss(None)", "Close", show=False),
    ]

    def __init__(self, title: str, lines: Sequence[Text]) -> None:
        super().__init__()
        self._title = title
        self._body = list(lines)

    def compose(self) -> ComposeResult:
        with Vertical(classes="db-dialog"):
            yield Label(safe_text(self._title), classes="dialog-title")
            with VerticalScroll(classes="db-dialog-body", id="text-body"):
                yield Static(_lines(self._body))
            yield Static(safe_text("escape closes"), classes="db-dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#text-body").focus()
