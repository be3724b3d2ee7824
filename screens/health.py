"""The health screen, the endpoint detail screen, and the health wiring the dashboard shares."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.signal import Signal

from screens.base import ConsoleScreen
from tui.health.model import EndpointState
from tui.sanitize import safe_text
from widgets.health_detail import EndpointSettings, HealthDetail
from widgets.health_pane import HealthPane
from widgets.status_bar import StatusBar


class HealthWiring(ConsoleScreen):
    """Routes probe states to this screen's health pane while it is shown, and the
    pane's requests (probe now, open a detail) to the engine and the detail screen."""

    def wiring(self) -> list[tuple[Signal[Any], Callable[[Any], None], Callable[[], Any]]]:
        app = self.console
        return [*super().wiring(), (app.health_changed, self.show_health, app.health_states)]

    def show_health(self, states: Any) -> None:
        for pane in self.query(HealthPane):
            pane.show_states(states)

    @on(HealthPane.RefreshRequested)
    def refresh_health(self) -> None:
        engines = self.console.engines
        if engines is not None:
            engines.health.refresh_now()
        self.notify("Probing every endpoint now.", timeout=2)

    @on(HealthPane.DetailRequested)
    def open_detail(self, event: HealthPane.DetailRequested) -> None:
        self.app.push_screen(HealthDetailScreen(event.state))


def settings_for(config: Any, key: str) -> EndpointSettings | None:
    """The configured endpoint and thresholds behind ``key`` (``env/endpoint``)."""
    for env in config.environments:
        for endpoint in env.health:
            if f"{env.name}/{endpoint.name}" == key:
                return EndpointSettings(endpoint, env.thresholds)
    return None


class HealthScreen(HealthWiring):
    """Every environment x endpoint, full size."""

    PANE_NAME = "health"

    def compose(self) -> ComposeResult:
        yield HealthPane(id="health-pane")
        yield StatusBar()


class HealthDetailScreen(ConsoleScreen):
    """One endpoint's last response, sub-checks, thresholds and history, kept live."""

    PANE_NAME = "health"
    BINDINGS = [
        Binding("escape", "close", "Back", id="health.detail_close"),
        Binding("r", "refresh_now", "Refresh", id="health.refresh"),
    ]

    def __init__(self, state: EndpointState) -> None:
        super().__init__()
        self.key = state.key
        self._first = state

    def compose(self) -> ComposeResult:
        yield HealthDetail(settings_for(self.console.config, self.key), id="health-detail")
        yield StatusBar()

    def on_mount(self) -> None:
        detail = self.query_one(HealthDetail)
        detail.border_title = safe_text(f"health · {self._first.env} {self._first.endpoint}")
        detail.border_subtitle = safe_text("r probe now · esc back")
        detail.show(self._first)

    def wiring(self) -> list[tuple[Signal[Any], Callable[[Any], None], Callable[[], Any]]]:
        app = self.console
        return [*super().wiring(), (app.health_changed, self.show_health, app.health_states)]

    def show_health(self, states: Sequence[EndpointState]) -> None:
        for state in states:
            if state.key == self.key:
                self.query_one(HealthDetail).show(state)

    def action_close(self) -> None:
        self.dismiss()

    def action_refresh_now(self) -> None:
        engines = self.console.engines
        if engines is not None:
            engines.health.refresh_now(self.key)
        self.notify("Probing this endpoint now.", timeout=2)
