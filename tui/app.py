"""OnDutyApp: the only place that knows engines, screens and widgets together.

Engines call back on the event loop with immutable results; the app keeps the latest of
each and publishes it on a Signal; the screen that is shown routes it to its panes.
"""

from __future__ import annotations

import asyncio
import codecs
import importlib
import os
import selectors
import signal
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual._xterm_parser import XTermParser
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.drivers._writer_thread import WriterThread
from textual.drivers.linux_driver import LinuxDriver
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from screens.starting import StartingScreen
from themes import DEFAULT_THEME, STYLESHEET, THEMES
from tui.config import Config, Environment
from tui.paths import state_path
from tui.redact import crash_report, redact
from tui.sanitize import sanitize
from tui.state import load_state, save_state

if TYPE_CHECKING:
    from screens.incident import IncidentActions
    from tui.hub import Engines
    from tui.hub.incident import IncidentHub
    from widgets.db_pane import DbPane
    from widgets.log_pane import LogPane

PANES = ("dashboard", "health", "logs", "database", "incident", "runbooks")


def _screen(module: str, name: str) -> Callable[[], Screen[Any]]:
    """A mode's screen, imported when the mode is first shown (after the first frame)."""

    def make() -> Screen[Any]:
        screen: Screen[Any] = getattr(importlib.import_module(module), name)()
        return screen

    return make


@dataclass(frozen=True)
class StatusInfo:
    """What the status bar shows on every screen."""

    environment: str
    environment_count: int
    incident: str
    errors: tuple[str, ...]


class HangupSafeWriter(WriterThread):
    """Textual's output thread, but a hung-up terminal (EIO) does not kill it.

    When the SSH link drops, writes fail; Textual's thread dies on the first failure,
    its bounded queue fills, and shutdown blocks forever on the next write. This one
    keeps draining (and discarding) until it is told to stop.
    """

    def run(self) -> None:
        try:
            super().run()
        except OSError:
            while self._queue.get() is not None:
                continue


class HangupSafeDriver(LinuxDriver):
    """Textual's Linux driver, but end-of-file or a hung-up terminal ends the app.

    Textual's input thread loops forever when stdin reaches EOF (a busy spin) and panics
    on EIO when the SSH link drops. Here either one asks the app to exit cleanly.
    """

    def start_application_mode(self) -> None:
        self._loop = asyncio.get_running_loop()
        super().start_application_mode()
        # Swap in the hang-up safe writer; the stock one is flushed and stopped first so
        # the escape sequences that set up the screen are written in order.
        stock = self._writer_thread
        if stock is not None:
            stock.stop()
        self._writer_thread = HangupSafeWriter(self._file)
        self._writer_thread.start()

    def run_input_thread(self) -> None:
        parser = XTermParser(self._debug)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        with selectors.DefaultSelector() as selector:
            selector.register(self.fileno, selectors.EVENT_READ)
            while not self.exit_event.is_set():
                for _key, _mask in selector.select(0.1):
                    try:
                        data = os.read(self.fileno, 4096)
                    except OSError:
                        data = b""
                    if not data:
                        # Never wait for the loop here: it may be joining this thread.
                        self._loop.call_soon_threadsafe(self._app.input_closed)
                        return
                    for event in parser.feed(decoder.decode(data)):
                        self.process_message(event)
                for event in parser.tick():
                    self.process_message(event)


class OnDutyApp(App[int]):
    """The on-call console."""

    TITLE = "onduty"
    CSS_PATH = STYLESHEET
    MODES = {
        "dashboard": _screen("screens.dashboard", "DashboardScreen"),
        "health": _screen("screens.health", "HealthScreen"),
        "logs": _screen("screens.logs", "LogsScreen"),
        "database": _screen("screens.database", "DatabaseScreen"),
        "incident": _screen("screens.incident", "IncidentScreen"),
        "runbooks": _screen("screens.runbooks", "RunbooksScreen"),
    }
    DEFAULT_MODE = "dashboard"
    BINDINGS = [
        Binding("1", "go('dashboard')", "Dashboard", id="go.dashboard"),
        Binding("2", "go('health')", "Health", id="go.health"),
        Binding("3", "go('logs')", "Logs", id="go.logs"),
        Binding("4", "go('database')", "Database", id="go.database"),
        Binding("5", "go('incident')", "Incident", id="go.incident"),
        Binding("6", "go('runbooks')", "Runbooks", id="go.runbooks"),
        Binding("exclamation_mark", "open_incident", "Open incident", id="incident.open"),
        Binding("e", "switch_environment", "Environment", id="environment.switch"),
        Binding("question_mark", "show_keys", "Keys", id="help.keys"),
        Binding("full_stop", "note", "Note", id="incident.note"),
        Binding("ctrl+k", "secrets", "Secrets", id="secrets.manage"),
        Binding("q", "request_quit", "Quit", id="app.quit"),
        Binding("ctrl+c", "request_quit", "Quit", show=False, priority=True, id="app.quit_ctrl_c"),
        # Textual's own ctrl+q quits at once; here it asks first too, like q and ctrl+c.
        Binding("ctrl+q", "request_quit", "Quit", show=False, priority=True, id="app.quit_ctrl_q"),
    ]

    def __init__(
        self,
        config: Config,
        *,
        environment: str | None = None,
        read_only: bool = False,
        state_file: Path | None = None,
        engines: bool = True,
        demo: Any = None,
        initial_mode: str = "dashboard",
        incidents: bool | None = None,
        first_frame_first: bool = False,
    ) -> None:
        # DEFAULT_MODE is read by App.__init__ to create the first screen.
        self.DEFAULT_MODE = "starting" if first_frame_first else initial_mode
        super().__init__()
        self._opening_mode = initial_mode
        if first_frame_first:
            self.add_mode("starting", partial(StartingScreen, initial_mode))
        self.config = config
        self.read_only = read_only
        self.demo = demo
        self._state_file = state_file or state_path()
        self._state = load_state(self._state_file)
        names = [env.name for env in config.environments]
        remembered = self._state.get("environment")
        self.environment_name = environment or (
            remembered if remembered in names else (names[0] if names else "")
        )
        self.problems: dict[str, str] = {}
        self.terminal_lost = False
        self.status_changed: Signal[StatusInfo] = Signal(self, "status")
        self.health_changed: Signal[Any] = Signal(self, "health")
        self.logs_changed: Signal[Any] = Signal(self, "logs")
        self.db_changed: Signal[Any] = Signal(self, "db")
        self.incident_changed: Signal[Any] = Signal(self, "incident")
        self._with_engines = engines
        self._store_enabled = engines if incidents is None else incidents
        self.engines: Engines | None = None
        self.incident_actions: IncidentActions | None = None
        self.incidents: IncidentHub | None = None
        if not first_frame_first:
            self._load_parts()
        if config.keys:
            self.set_keymap(dict(config.keys))
        for theme in THEMES:
            self.register_theme(theme)
        wanted = self._state.get("theme", DEFAULT_THEME)
        self._unknown_theme = wanted if wanted not in self.available_themes else None
        self.theme = DEFAULT_THEME if self._unknown_theme else wanted

    def _load_parts(self) -> None:
        """Import and build the engines and the incident side (the heavy part of start-up)."""
        from screens.incident import IncidentActions
        from tui.hub import Engines

        demo = self.demo
        notes = {"production": demo.db_error} if demo is not None and demo.db_error else {}
        self.engines = Engines(self, database_notes=notes) if self._with_engines else None
        self.incident_actions = IncidentActions(self)
        self.incidents = self.incident_actions.create_hub(store_enabled=self._store_enabled)

    # ------------------------------------------------------------------ state

    @property
    def environment(self) -> Environment | None:
        for env in self.config.environments:
            if env.name == self.environment_name:
                return env
        return None

    def status_info(self) -> StatusInfo:
        errors = tuple(f"{pane}: {text}" for pane, text in sorted(self.problems.items()))
        footer = self.incidents.footer() if self.incidents else ""
        return StatusInfo(self.environment_name, len(self.config.environments), footer, errors)

    def health_states(self) -> Any:
        return self.engines.health.states() if self.engines else ()

    def log_view(self) -> Any:
        return self.engines.logs.view() if self.engines else None

    def db_snapshot(self) -> Any:
        return self.engines.db.snapshot() if self.engines else None

    def set_problem(self, pane: str, text: str | None) -> None:
        """Mark ``pane`` in error (shown in the status bar) or clear it."""
        if text:
            text = redact(text)
            if self.problems.get(pane) == text:
                return
            self.problems[pane] = text
        elif self.problems.pop(pane, None) is None:
            return
        self.status_changed.publish(self.status_info())

    # ------------------------------------------------------------------ life cycle

    def on_mount(self) -> None:
        if self._unknown_theme:
            self.notify(sanitize(f"Theme {self._unknown_theme!r} is unknown; using "
                                 f"{DEFAULT_THEME}."), severity="warning", markup=False)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGHUP, signal.SIGTERM):
            loop.add_signal_handler(signum, self._on_terminate_signal, signum)
        # Everything else waits for the first frame: on a bastion the engineer should see
        # the console at once, and engines, the incident store and the runbook library
        # fill it in a moment later.
        self.call_after_refresh(self._start_after_first_frame)

    def _start_after_first_frame(self) -> None:
        if self.incident_actions is None:
            # A worker, not this callback: switching modes waits on the starting screen,
            # which is the one running this callback.
            self.run_worker(self._open_first_screen, group="start")
        else:
            self._start_background()

    async def _open_first_screen(self) -> None:
        """Replace the starting screen with the real one, then start everything else.

        The app may be shutting down by now (q, a signal, stdin at end-of-file, a
        panic): then no mode is added (Textual's shutdown walks the modes) and nothing
        starts that unmount could no longer stop.
        """
        self._load_parts()
        if self.is_running:
            await self.switch_mode(self._opening_mode)
        self.call_after_refresh(self._start_background)  # the real panes show first

    def _start_background(self) -> None:
        if not self.is_running:
            return
        if self.engines:
            self.run_worker(self.engines.start(), group="engines-start", exit_on_error=False)
            from screens.secrets import announce_keyring  # keyring loads after the frame

            self.run_worker(announce_keyring(self, self.config), group="keyring-notice",
                            exit_on_error=False)
        assert self.incident_actions is not None
        self.run_worker(self.incident_actions.start(), group="incident-start",
                        exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place a failed background task becomes visible, never a crash."""
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            self.notify(sanitize(redact(f"{event.worker.group or event.worker.name} failed: "
                                        f"{error}")),
                        title="onduty", severity="error", timeout=15, markup=False)

    async def on_unmount(self) -> None:
        if self.incidents:
            await self.incidents.stop()
        if self.engines:
            await self.engines.stop()

    def _fatal_error(self) -> None:
        """An unhandled error: print a traceback without local variables (a frame may hold
        a DSN or a token) and with every known secret masked, instead of Textual's own."""
        self.bell()
        error = sys.exception()
        report = crash_report(error) if error is not None else "onduty stopped on an error"
        self._exit_renderables.append(Text(report))
        self._close_messages_no_wait()

    def _on_terminate_signal(self, signum: int) -> None:
        """SIGHUP (the SSH link dropped) or SIGTERM: stop children, flush, restore, exit.

        Every incident entry is committed before it is shown; unmount closes the store.
        """
        self._kill_children()
        self.terminal_lost = signum == signal.SIGHUP
        self.exit(128 + signum)

    def _kill_children(self) -> None:
        if self.incidents:
            self.incidents.kill_children()
        if self.engines:
            self.engines.kill_children()

    def input_closed(self) -> None:
        """Standard input reached end-of-file or the terminal hung up: exit, do not spin."""
        self._kill_children()
        self.terminal_lost = True
        self.exit(0)

    def watch_theme(self, theme: str) -> None:
        if self._state.get("theme") != theme:
            self._state["theme"] = theme
            save_state(self._state_file, self._state)

    def screen_shown(self, screen: Screen[Any]) -> None:
        """A console screen came to the front: engines may poll faster or slower."""
        if self.engines:
            self.engines.screen_shown(getattr(screen, "PANE_NAME", ""))

    # ------------------------------------------------------------------ actions

    def action_go(self, pane: str) -> None:
        if pane in PANES and self.current_mode != pane:
            self.switch_mode(pane)

    def action_show_keys(self) -> None:
        from screens.keys import KeysScreen

        self.push_screen(KeysScreen(self.screen.active_bindings))

    def action_switch_environment(self) -> None:
        names = [env.name for env in self.config.environments]
        if len(names) < 2:
            self.notify("Only one environment is configured.", timeout=3)
            return

        def chosen(name: str | None) -> None:
            if name and name != self.environment_name:
                self.select_environment(name)

        from screens.environment import EnvironmentSwitcher

        self.push_screen(EnvironmentSwitcher(names, self.environment_name), chosen)

    def select_environment(self, name: str) -> None:
        self.environment_name = name
        self._state["environment"] = name
        save_state(self._state_file, self._state)
        if self.engines:
            self.engines.environment_changed()
        self.status_changed.publish(self.status_info())

    def action_note(self) -> None:
        if self.incident_actions:
            self.incident_actions.note()

    def action_open_incident(self) -> None:
        if self.incident_actions:
            self.incident_actions.open_or_go()

    def action_request_quit(self) -> None:
        if self.incident_actions:
            self.incident_actions.request_quit()
        else:
            self.exit(0)

    def on_log_pane_attach_lines(self, event: LogPane.AttachLines) -> None:
        assert self.incident_actions is not None  # panes exist only once it is loaded
        sources = sorted({line.source for line in event.lines})
        self.incident_actions.attach_log_lines(", ".join(sources), event.text.splitlines())

    def on_db_pane_action_done(self, event: DbPane.ActionDone) -> None:
        """Every database action (cancel, terminate, EXPLAIN) goes to the open incident."""
        assert self.incident_actions is not None  # panes exist only once it is loaded
        result = event.result
        self.incident_actions.record_db_action(result.request.kind.value, event.description,
                                               event.outcome, redact(result.server_error))

    def action_secrets(self) -> None:
        from screens.secrets import SecretsScreen

        if not isinstance(self.screen, SecretsScreen):
            self.push_screen(SecretsScreen())

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("secrets: manage", "Add, replace, test or delete credentials",
                            self.action_secrets)
        if self.incident_actions:
            from screens.incident import incident_commands

            yield from incident_commands(self)
        for pane in PANES:
            yield SystemCommand(
                f"go: {pane}", f"Show the {pane} screen", lambda p=pane: self.action_go(p)
            )
        for env in self.config.environments:
            yield SystemCommand(
                f"environment: {env.name}",
                f"Show the {env.name} environment",
                lambda n=env.name: self.select_environment(n),
            )
        for theme in THEMES:
            yield SystemCommand(
                f"theme: {theme.name}", "Use this theme (remembered)",
                lambda t=theme.name: setattr(self, "theme", t),
            )


def create_app(
    config: Config,
    *,
    environment: str | None = None,
    read_only: bool = False,
    state_file: Path | None = None,
    engines: bool = True,
    demo: Any = None,
    initial_mode: str = "dashboard",
    incidents: bool | None = None,
    first_frame_first: bool = False,
) -> OnDutyApp:
    """The one app factory, shared by the CLI and the tests so both run the real wiring.

    ``incidents`` opens the incident store (default: with the engines, so shell tests
    never touch the user's store). ``first_frame_first`` draws a light first frame
    (screens/starting.py) and loads panes, engines and the incident side after it, as the
    console does in a terminal; tests that query panes at once leave it off.
    """
    return OnDutyApp(
        config,
        environment=environment,
        read_only=read_only,
        state_file=state_file,
        engines=engines,
        demo=demo,
        initial_mode=initial_mode,
        incidents=incidents,
        first_frame_first=first_frame_first,
    )


def run_console(
    config: Config,
    *,
    environment: str | None = None,
    read_only: bool = False,
    demo: Any = None,
    initial_mode: str = "dashboard",
) -> int:
    """Run the console full screen until the user quits; returns the exit status."""
    app = create_app(config, environment=environment, read_only=read_only, demo=demo,
                     initial_mode=initial_mode, first_frame_first=True)
    if sys.platform != "win32":
        app.driver_class = HangupSafeDriver
    code = app.run()
    if app.terminal_lost:
        _detach_from_terminal()
    return int(code or 0)


def _detach_from_terminal() -> None:
    """The terminal is gone: point stdout/stderr at /dev/null so that nothing written
    after the app (the demo's goodbye, the interpreter's final flush) fails with EIO."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
