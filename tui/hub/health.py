"""Health probes for every configured environment, latest state per endpoint."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.hub.base import Sink, resolve_secret

if TYPE_CHECKING:
    from tui.health.model import EndpointState
    from tui.health.monitor import HealthMonitor


class HealthHub:
    """Runs one HealthMonitor over all environments and publishes every state change."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self._monitor: HealthMonitor | None = None
        self._states: dict[str, EndpointState] = {}

    def states(self) -> tuple[EndpointState, ...]:
        return tuple(self._states.values())

    def start(self) -> None:
        endpoints = [
            (env.name, endpoint, env.thresholds)
            for env in self.sink.config.environments
            for endpoint in env.health
        ]
        if not endpoints:
            return
        from tui.health.monitor import HealthMonitor

        self._monitor = HealthMonitor(endpoints, on_state=self._on_state,
                                      resolve_token=resolve_secret)
        self._monitor.start()

    async def stop(self) -> None:
        if self._monitor is not None:
            monitor, self._monitor = self._monitor, None
            await monitor.stop()

    def refresh_now(self) -> None:
        if self._monitor is not None:
            self._monitor.refresh_now()

    def _on_state(self, state: EndpointState) -> None:
        self._states[state.key] = state
        self.sink.health_changed.publish(self.states())
