"""Small incident dialogs: note, skip reason, a choice, quit, close and export, template.

Every dialog is a ``ModalScreen`` that returns its answer with ``dismiss`` (None when
cancelled with escape) and never does the work itself: the screen that opened it does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    Label,
    OptionList,
    Select,
    Static,
    TextArea,
)
from textual.widgets.option_list import Option

from tui.redact import redact
from tui.sanitize import safe_text

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > .incident-dialog {{
    width: 76; max-width: 100%; height: auto; max-height: 100%;
    border: thick $primary; background: $surface; padding: 0 1;
}}
{name} .dialog-title {{ text-style: bold; padding-bottom: 1; }}
{name} Static {{ width: 1fr; }}
{name} Input, {name} Select {{ margin-bottom: 1; }}
{name} .field-row {{ height: auto; margin-bottom: 1; }}
{name} .field-row > Label {{ width: 12; color: $text-muted; }}
{name} .field-row > Input, {name} .field-row > Select {{ width: 1fr; margin-bottom: 0; }}
{name} .dialog-buttons {{ height: auto; align-horizontal: right; margin-top: 1; }}
{name} .dialog-buttons Button {{ margin-left: 2; }}
{name} .dialog-hint {{ color: $text-muted; }}
"""


def dialog_css(name: str) -> str:
    """The shared layout of an incident dialog, scoped to its screen class."""
    return DIALOG_CSS.format(name=name)


def field_row(label: str, widget: Widget) -> Horizontal:
    """``label   [field]`` on one line: dialogs must fit an 80x24 terminal."""
    return Horizontal(Label(Text(label)), widget, classes="field-row")


@dataclass(frozen=True)
class NoteRequest:
    """A note to add: its text and whether it is a follow-up for the post-mortem."""

    text: str
    follow_up: bool


class NoteDialog(ModalScreen[NoteRequest | None]):
    """`.`: one line of text added to the timeline; enter saves, escape cancels."""

    DEFAULT_CSS = dialog_css("NoteDialog")
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="dialog.cancel")]

    def __init__(self, incident_label: str) -> None:
        super().__init__()
        self._label = incident_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="incident-dialog"):
            yield Label(safe_text(f"Note for {self._label}"), classes="dialog-title")
            yield Input(placeholder="what you saw, decided or did", id="note-text")
            yield Checkbox("follow-up (listed in the post-mortem)", id="note-follow-up")
            yield Label(Text("enter saves · escape cancels"), classes="dialog-hint")

    @on(Input.Submitted)
    def _save(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self.notify("An empty note is not saved.", severity="warning", timeout=3)
            return
        follow_up = self.query_one("#note-follow-up", Checkbox).value
        self.dismiss(NoteRequest(text, follow_up))


class ReasonDialog(ModalScreen[str | None]):
    """Ask for a reason (skipping a step needs one); enter saves, escape cancels."""

    DEFAULT_CSS = dialog_css("ReasonDialog")
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="dialog.cancel")]

    def __init__(self, title: str, placeholder: str = "why") -> None:
        super().__init__()
        self._title = title
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="incident-dialog"):
            yield Label(safe_text(self._title), classes="dialog-title")
            yield Input(placeholder=self._placeholder, id="reason-text")
            yield Label(Text("enter saves · escape cancels"), classes="dialog-hint")

    @on(Input.Submitted)
    def _save(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.notify("A reason is needed.", severity="warning", timeout=3)
            return
        self.dismiss(event.value.strip())


class ChoiceDialog(ModalScreen[str | None]):
    """Pick one of a few labelled choices; enter picks, escape cancels."""

    DEFAULT_CSS = dialog_css("ChoiceDialog") + """
    ChoiceDialog OptionList { height: auto; max-height: 16; }
    """
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="dialog.cancel")]

    def __init__(self, title: str, choices: Sequence[tuple[str, str]], hint: str = "") -> None:
        super().__init__()
        self._title = title
        self._choices = list(choices)
        self._hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="incident-dialog"):
            yield Label(safe_text(self._title), classes="dialog-title")
            yield OptionList(*(Option(safe_text(label), id=value)
                               for value, label in self._choices), id="choices")
            if self._hint:
                yield Label(safe_text(self._hint), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class QuitDialog(ModalScreen[bool]):
    """q or ctrl+c while an incident is open: y quits, anything else stays."""

    DEFAULT_CSS = dialog_css("QuitDialog")
    BINDINGS = [
        Binding("y", "dismiss(True)", "Quit", id="dialog.quit_yes"),
        Binding("n,escape,q", "dismiss(False)", "Stay", id="dialog.quit_no"),
    ]

    def __init__(self, incident_label: str) -> None:
        super().__init__()
        self._label = incident_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="incident-dialog"):
            yield Label(Text("Quit onduty?", style="bold"), classes="dialog-title")
            yield Static(safe_text(
                f"{self._label} is still open. Everything recorded is on disk; starting "
                "onduty again resumes it at the step where it is.", multiline=True))
            yield Static(Text("y quit · n or escape stay (ctrl+c again quits)"),
                         classes="dialog-hint")


@dataclass(frozen=True)
class CloseRequest:
    """Close the incident with a summary, and write the post-mortem to ``export`` if set."""

    summary: str
    export: Path | None


class CloseDialog(ModalScreen[CloseRequest | None]):
    """C: close the incident (resolving it) and write the post-mortem Markdown."""

    DEFAULT_CSS = dialog_css("CloseDialog")
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="dialog.cancel")]

    def __init__(self, incident_label: str, default_export: Path) -> None:
        super().__init__()
        self._label = incident_label
        self._export = default_export

    def compose(self) -> ComposeResult:
        with Vertical(classes="incident-dialog"):
            yield Label(safe_text(f"Close {self._label}"), classes="dialog-title")
            yield field_row("Summary", Input(placeholder="what happened, what fixed it",
                                             compact=True, id="close-summary"))
            yield field_row("Post-mortem", Input(value=str(self._export), compact=True,
                                                 placeholder="file (empty: no export)",
                                                 id="close-export"))
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", compact=True, id="close-cancel")
                yield Button("Close incident", variant="error", compact=True,
                             id="close-confirm")
            yield Label(Text("The incident is resolved and closed; its timeline stays in the "
                             "store (onduty incident show)."), classes="dialog-hint")

    @on(Input.Submitted, "#close-summary")
    def _next(self) -> None:
        self.query_one("#close-export", Input).focus()

    @on(Input.Submitted, "#close-export")
    def _to_button(self) -> None:
        self.query_one("#close-confirm", Button).focus()

    @on(Button.Pressed, "#close-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#close-confirm")
    def _confirm(self) -> None:
        summary = self.query_one("#close-summary", Input).value
        target = self.query_one("#close-export", Input).value.strip()
        self.dismiss(CloseRequest(summary, Path(target).expanduser() if target else None))


@dataclass(frozen=True)
class UpdateRequest:
    """A status update to send: the text as edited, and whether to post it to the webhook."""

    text: str
    post: bool


class TemplateDialog(ModalScreen[UpdateRequest | None]):
    """u: a communication template filled from the incident, editable, then copied.

    The result is the text as sent (copied with OSC 52) and, when a webhook is
    configured, whether to post it there too; the screen records it.
    """

    DEFAULT_CSS = dialog_css("TemplateDialog") + """
    TemplateDialog > .incident-dialog { width: 90; }
    TemplateDialog TextArea { height: 1fr; min-height: 5; max-height: 12; }
    """
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="dialog.cancel")]

    def __init__(self, filled: Sequence[tuple[str, str]], selected: str, *,
                 webhook: bool = False) -> None:
        super().__init__()
        self._webhook = webhook
        self._filled = dict(filled)
        self._selected = selected if selected in self._filled else next(iter(self._filled))

    def compose(self) -> ComposeResult:
        with Vertical(classes="incident-dialog"):
            yield Label(Text("Status update", style="bold"), classes="dialog-title")
            yield Select([(safe_text(name), name) for name in self._filled],
                         value=self._selected, allow_blank=False, id="template-name")
            yield TextArea(redact(self._filled[self._selected]), id="template-text",
                           soft_wrap=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", compact=True, id="template-cancel")
                yield Button("Copy and record as sent", variant="primary", compact=True,
                             id="template-copy")
                if self._webhook:
                    yield Button("Copy and post to the webhook", variant="warning",
                                 compact=True, id="template-post")
            yield Label(Text("[placeholders] left in the text are what onduty does not know: "
                             "fill them in before copying."), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    @on(Select.Changed, "#template-name")
    def _switch(self, event: Select.Changed) -> None:
        name = str(event.value)
        if name in self._filled:
            self.query_one(TextArea).text = redact(self._filled[name])

    @on(Button.Pressed, "#template-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#template-copy")
    def _copy(self) -> None:
        self._send(post=False)

    @on(Button.Pressed, "#template-post")
    def _post(self) -> None:
        self._send(post=True)

    def _send(self, *, post: bool) -> None:
        text = self.query_one(TextArea).text.strip()
        if text:
            self.dismiss(UpdateRequest(redact(text), post))
