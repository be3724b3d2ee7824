"""The secrets screen (ctrl+k): every credential onduty needs, its state, never its value.

It lists the names the config refers to and the names onduty stored, says for each
whether it is set in the keyring, comes from the environment, is kept for this session
only, is missing, or cannot be read because the keyring is locked or unavailable. Values
are typed into a masked field, handed to the shared SecretStore and dropped; a test
connects with a database URL or probes the endpoints that use a token, and reports in
words. On a host without a keyring, values are kept in memory for this session, and the
panes that were waiting for them are told to try again at once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Checkbox, DataTable, Input, Label, Static

import themes
from tui.config import SECRET_NAME, Config
from tui.hub.base import secret_store
from tui.redact import redact, redacted_text
from tui.sanitize import safe_text, sanitize
from tui.secret_check import (
    SecretCheck,
    check_bearer_token,
    check_database_url,
    looks_like_database_url,
)
from tui.secrets import (
    BackendInfo,
    SecretError,
    SecretLocked,
    SecretNotFound,
    SecretStatus,
    SecretUnavailable,
    bearer_endpoints,
    env_var_name,
    headless_fixes,
    headless_summary,
    secret_uses,
)
from widgets.pane import Pane
from widgets.secret_input import SecretInput
from widgets.secret_table import SecretTable
from widgets.status_bar import StatusBar

STYLESHEET = Path(themes.__file__).with_name("secrets.tcss")
HINTS = "a add  enter set  t test  D delete  U unlock  r refresh  esc back"


@dataclass(frozen=True)
class SecretEntry:
    """What the value dialog returns; ``value`` is kept out of repr (and so of tracebacks)."""

    name: str
    value: str = field(repr=False)
    session_only: bool


class SecretDialog(ModalScreen[SecretEntry | None]):
    """Ask for a value (masked) and, when adding, its ENV/NAME; Escape cancels."""

    CSS_PATH = STYLESHEET
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="dialog.cancel")]

    def __init__(self, name: str | None, *, replacing: bool, headless: bool) -> None:
        super().__init__()
        self._secret_name = name
        self._replacing = replacing
        self._headless = headless

    def compose(self) -> ComposeResult:
        if self._secret_name is None:
            title = "Add a secret"
        else:
            verb = "Replace" if self._replacing else "Set"
            title = f"{verb} {self._secret_name}"
        with Vertical(id="secret-dialog", classes="dialog"):
            yield Label(safe_text(title), classes="dialog-title")
            if self._secret_name is None:
                yield Input(placeholder="ENV/NAME, e.g. production/api_token", id="secret-name")
            yield SecretInput(placeholder="value (hidden, never shown)", id="secret-value")
            yield Checkbox(
                "keep for this session only (nothing is stored)",
                value=self._headless,
                disabled=self._headless,
                id="secret-session",
            )
            note = (
                "No usable keyring here: the value stays in memory until onduty exits."
                if self._headless
                else "Stored in the OS keyring under the service 'onduty'."
            )
            yield Static(safe_text(note), classes="dialog-note")
            yield Static("", id="secret-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="secret-save")
                yield Button("Cancel", id="secret-cancel")

    def on_mount(self) -> None:
        first = "#secret-name" if self._secret_name is None else "#secret-value"
        self.query_one(first).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "secret-name":
            self.query_one("#secret-value").focus()
        else:
            self._save()

    @on(Button.Pressed, "#secret-save")
    def _save_pressed(self) -> None:
        self._save()

    @on(Button.Pressed, "#secret-cancel")
    def _cancel_pressed(self) -> None:
        self.query_one(SecretInput).take()
        self.dismiss(None)

    def _save(self) -> None:
        name = self._secret_name
        if name is None:
            name = self.query_one("#secret-name", Input).value.strip()
            if not SECRET_NAME.match(name):
                self._error("The name must be ENV/NAME, such as production/api_token.")
                return
        field_ = self.query_one(SecretInput)
        if not field_.value:
            self._error("Type the value first (it stays hidden).")
            return
        session_only = self.query_one(Checkbox).value
        self.dismiss(SecretEntry(name, field_.take(), session_only))

    def _error(self, text: str) -> None:
        self.query_one("#secret-error", Static).update(safe_text(text))


class PassphraseDialog(ModalScreen[str | None]):
    """Ask for the passphrase of onduty's encrypted file (twice when creating it)."""

    CSS_PATH = STYLESHEET
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="dialog.cancel")]

    def __init__(self, where: str, *, new: bool) -> None:
        super().__init__()
        self._where = where
        self._new = new

    def compose(self) -> ComposeResult:
        title = "Choose a passphrase" if self._new else "Unlock the encrypted secrets file"
        with Vertical(id="passphrase-dialog", classes="dialog"):
            yield Label(safe_text(title), classes="dialog-title")
            yield Static(safe_text(self._where), classes="dialog-note")
            yield SecretInput(placeholder="passphrase (hidden)", id="passphrase")
            if self._new:
                yield SecretInput(placeholder="repeat the passphrase", id="passphrase-again")
            yield Static("", id="passphrase-error", classes="dialog-error")

    def on_mount(self) -> None:
        self.query_one("#passphrase").focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        first = self.query_one("#passphrase", SecretInput)
        if self._new and event.input.id == "passphrase":
            self.query_one("#passphrase-again").focus()
            return
        if not first.value:
            self.query_one("#passphrase-error", Static).update(safe_text("Type the passphrase."))
            return
        if self._new:
            again = self.query_one("#passphrase-again", SecretInput).take()
            if again != first.value:
                first.take()
                self.query_one("#passphrase-error", Static).update(
                    safe_text("The passphrases differ; type them again.")
                )
                first.focus()
                return
        self.dismiss(first.take())


class ConfirmDelete(ModalScreen[bool]):
    """Delete a secret? Cancel has the focus, so Enter alone never deletes."""

    CSS_PATH = STYLESHEET
    BINDINGS = [Binding("escape", "dismiss(False)", "Cancel", id="dialog.cancel")]

    def __init__(self, name: str, where: str) -> None:
        super().__init__()
        self._secret_name = name
        self._where = where

    def compose(self) -> ComposeResult:
        with Vertical(id="delete-dialog", classes="dialog"):
            yield Label(safe_text(f"Delete {self._secret_name}?"), classes="dialog-title")
            yield Static(safe_text(f"It is removed from {self._where}; this cannot be undone."),
                         classes="dialog-note")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Delete", variant="error", id="delete-yes")
                yield Button("Cancel", id="delete-no")

    def on_mount(self) -> None:
        self.query_one("#delete-no").focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "delete-yes")


class SecretsScreen(Screen[None]):
    """List, add, replace, test and delete credentials; values are never displayed."""

    CSS_PATH = STYLESHEET
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="secrets.back"),
        Binding("a", "add", "Add", id="secrets.add"),
        Binding("enter", "set", "Set/replace", id="secrets.set"),
        Binding("t", "test", "Test", id="secrets.test"),
        Binding("D", "delete", "Delete", id="secrets.delete"),
        Binding("U", "unlock", "Unlock", id="secrets.unlock"),
        Binding("r", "refresh", "Refresh", id="secrets.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._info: BackendInfo | None = None
        self._statuses: dict[str, SecretStatus] = {}

    def compose(self) -> ComposeResult:
        with Pane(id="secrets-pane"):
            with VerticalScroll(id="secrets-banner-box"):
                yield Static("", id="secrets-banner")
            yield SecretTable(id="secrets-table")
            yield Static(safe_text("reading the keyring…"), id="secrets-result",
                         classes="-pending")
        yield StatusBar()

    def on_mount(self) -> None:
        pane = self.query_one(Pane)
        pane.title = "secrets"
        bar = self.query_one(StatusBar)
        bar.environment = getattr(self.app, "environment_name", "")
        bar.hints = HINTS
        self.query_one("#secrets-banner-box").display = False
        self.query_one(SecretTable).focus()
        self.action_refresh()

    # ------------------------------------------------------------------ reading

    def action_refresh(self) -> None:
        self.run_worker(self._load(), group="secrets-load", exclusive=True, exit_on_error=False)

    async def _load(self) -> None:
        store = secret_store()
        uses = secret_uses(self.app.config)  # type: ignore[attr-defined]
        try:
            self._info = await store.backend_info()
            problem = ""
        except SecretError as exc:
            self._info, problem = None, str(exc)
        try:
            stored = await store.names()
        except SecretError:
            stored = []
        names = [*uses, *sorted(set(stored) - set(uses))]
        statuses = await store.statuses(names)
        self._statuses = {s.name: s for s in statuses}
        self.query_one(SecretTable).show(statuses, uses)
        self._show_backend(problem)
        if not names:
            self._result("No secrets yet: press a to add one (e.g. production/database_url).")
        elif self.query_one("#secrets-result", Static).has_class("-pending"):
            self._result("")

    def _show_backend(self, problem: str) -> None:
        info = self._info
        pane = self.query_one(Pane)
        banner = self.query_one("#secrets-banner", Static)
        box = self.query_one("#secrets-banner-box")
        if info is None:
            pane.title = "secrets · keyring unavailable"
            banner.update(redacted_text(problem, multiline=True))
        elif info.headless:
            pane.title = f"secrets · no usable keyring ({info.kind})"
            banner.update(safe_text(headless_fixes(info), multiline=True))
        elif info.locked:
            pane.title = "secrets · encrypted file locked"
            banner.update(safe_text(
                f"{info.description} is locked: press U to "
                + ("choose its passphrase." if info.new_file else "type its passphrase."),
                multiline=True,
            ))
        else:
            label = "" if info.secure else " · NOT encrypted"
            pane.title = f"secrets · {info.name}{label}"
            pane.subtitle = info.description
            unusable = [s for s in self._statuses.values() if s.state in ("locked", "unavailable")]
            if not unusable:
                box.display = False
                return
            banner.update(redacted_text(unusable[0].detail, multiline=True))
            box.display = True
            return
        pane.subtitle = "values are never shown"
        box.display = True

    # ------------------------------------------------------------------ actions

    def _selected(self) -> str | None:
        name = self.query_one(SecretTable).selected_name
        if name is None:
            self._result("No secret selected: press a to add one.")
        return name

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_set()

    def action_add(self) -> None:
        self._ask(None, replacing=False)

    def action_set(self) -> None:
        name = self._selected()
        if name is None:
            return
        status = self._statuses.get(name)
        if status is not None and status.state == "environment":
            self._result(f"{name} comes from {env_var_name(name)}, which onduty reads first: "
                         "change or unset that variable instead.")
            return
        self._ask(name, replacing=status is not None and status.usable)

    def _ask(self, name: str | None, *, replacing: bool) -> None:
        headless = self._info is None or self._info.headless

        def chosen(entry: SecretEntry | None) -> None:
            if entry is not None:
                self.run_worker(self._save(entry), group="secrets-write", exit_on_error=False)

        self.app.push_screen(SecretDialog(name, replacing=replacing, headless=headless), chosen)

    async def _save(self, entry: SecretEntry) -> None:
        store = secret_store()
        name = entry.name
        if entry.session_only:
            store.remember_for_session(name, entry.value)
            self._result(f"{name}: kept for this session only (in memory, never written).")
        else:
            try:
                result = await store.set(name, entry.value)
            except (SecretLocked, SecretUnavailable) as exc:
                store.remember_for_session(name, entry.value)
                self._result(f"{name} was NOT stored ({exc}). Kept for this session only.",
                             error=True)
            except SecretError as exc:
                self._result(str(exc), error=True)
                return
            else:
                self._result(result.warning or f"{name}: stored in the keyring.",
                             error=bool(result.warning))
        self._wake_engines()
        await self._load()

    def action_test(self) -> None:
        name = self._selected()
        if name is not None:
            self._result(f"testing {name}…")
            self.run_worker(self._test(name), group="secrets-test", exclusive=True,
                            exit_on_error=False)

    async def _test(self, name: str) -> None:
        store = secret_store()
        try:
            value = (await store.get(name)).value
        except SecretError as exc:
            self._result(f"cannot test {name}: {exc}", error=True)
            return
        uses = secret_uses(self.app.config).get(name, ())  # type: ignore[attr-defined]
        endpoints = bearer_endpoints(self.app.config, name)  # type: ignore[attr-defined]
        check: SecretCheck
        if any(u.kind == "database" for u in uses) or looks_like_database_url(value):
            check = await check_database_url(name, value)
        elif endpoints:
            check = await check_bearer_token(name, value, endpoints)
        else:
            self._result(f"{name}: nothing to test it against (not a database URL, and no "
                         "health endpoint uses it as its token).")
            return
        self._result(f"{name}: {check.summary}", error=not check.ok)
        self.app.notify(sanitize(redact(f"{name}: {check.summary}")), markup=False,
                        severity="information" if check.ok else "error", timeout=6)

    def action_delete(self) -> None:
        name = self._selected()
        if name is None:
            return
        status = self._statuses.get(name)
        if status is not None and status.state == "environment":
            self._result(f"{name} is set by the variable {env_var_name(name)}; unset that "
                         "variable in your shell to remove it.")
            return
        where = "this session" if status is not None and status.state == "session" else (
            "the keyring" if self._info is None else self._info.description)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.run_worker(self._delete(name), group="secrets-write", exit_on_error=False)

        self.app.push_screen(ConfirmDelete(name, where), confirmed)

    async def _delete(self, name: str) -> None:
        try:
            await secret_store().delete(name)
        except SecretNotFound:
            self._result(f"{name} was not set; nothing to delete.")
        except SecretError as exc:
            self._result(f"{name} was NOT deleted: {exc}", error=True)
        else:
            self._result(f"{name}: deleted.")
        await self._load()

    def action_unlock(self) -> None:
        info = self._info
        if info is None or not info.locked:
            self._result("Nothing to unlock: U unlocks onduty's encrypted secrets file, and "
                         "a system keyring is unlocked by its own tools.")
            return

        def chosen(passphrase: str | None) -> None:
            if passphrase:
                self.run_worker(self._unlock(passphrase), group="secrets-write",
                                exit_on_error=False)

        self.app.push_screen(PassphraseDialog(info.description, new=info.new_file), chosen)

    async def _unlock(self, passphrase: str) -> None:
        try:
            await secret_store().unlock(passphrase)
        except SecretError as exc:
            self._result(f"still locked: {exc}", error=True)
        else:
            self._result("unlocked for this session.")
            self._wake_engines()
        await self._load()

    # ------------------------------------------------------------------ helpers

    def _wake_engines(self) -> None:
        """Panes waiting for a credential retry now instead of after their backoff."""
        engines = getattr(self.app, "engines", None)
        if engines is not None:
            engines.db.refresh_now()
            engines.health.refresh_now()

    def _result(self, text: str, *, error: bool = False) -> None:
        result = self.query_one("#secrets-result", Static)
        result.update(redacted_text(text, multiline=True))
        result.set_class(error, "-error")
        result.remove_class("-pending")


async def announce_keyring(app: App[object], config: Config) -> None:
    """Once per session at start: say plainly when no keyring can keep credentials.

    Only when the config needs a secret that the environment does not already supply:
    a console with nothing to unlock should not open with a warning covering the screen.
    """
    needed = [n for n in secret_uses(config) if env_var_name(n) not in os.environ]
    if not needed:
        return
    try:
        info = await secret_store().backend_info()
    except SecretError as exc:
        app.notify(sanitize(redact(f"Keyring unavailable: {exc}")), title="Secrets",
                   severity="warning", timeout=20, markup=False)
        return
    if info.headless:
        app.notify(sanitize(headless_summary(info), multiline=True), title="Secrets",
                   severity="warning", timeout=30, markup=False)
    elif info.locked:
        verb = "choose" if info.new_file else "type"
        app.notify(sanitize(f"{info.description} is locked: ctrl+k, then U to {verb} its "
                            "passphrase (once per session)."),
                   title="Secrets", severity="warning", timeout=20, markup=False)
