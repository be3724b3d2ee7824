"""Health probes for every configured environment, latest state per endpoint.

Besides publishing every state, the hub turns verdict changes into alerts: it rings the
terminal bell (unless the config says ``bell = false``), at most once per burst of
changes, and calls each ``on_change`` listener once per changed endpoint (the incident
timeline subscribes there).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from tui.hub.base import Sink, resolve_secret

if TYPE_CHECKING:
    from tui.health.model import EndpointState
    from tui.health.monitor import HealthMonitor

BELL_BURST = 2.0
"""Changes closer together than this many seconds are one burst and ring once."""
PUBLISH_EVERY = 0.25
"""States are published at most this often: 200 endpoints at 5 s are 40 probes a second,
and the screen needs the latest of them, not each one."""

log = logging.getLogger(__name__)


@runtime_checkable
class Bell(Protocol):
    """What rings: the app (``App.bell``) or a test double."""

    def bell(self) -> None: ...


class HealthHub:
    """Runs one HealthMonitor over all environments and publishes every state change.

    ``on_change`` listeners get the endpoint's new ``EndpointState`` (its
    ``changes[-1]`` says from what, when and why) for every alerting verdict change, on
    the event loop; a listener that raises is logged and the others still run.
    """

    def __init__(self, sink: Sink, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.sink = sink
        self.on_change: list[Callable[[EndpointState], None]] = []
        self._clock = clock
        self._last_change: float | None = None
        self._monitor: HealthMonitor | None = None
        self._states: dict[str, EndpointState] = {}
        self._publish: asyncio.TimerHandle | None = None
        self._rank: dict[str, int] = {}

    def states(self) -> tuple[EndpointState, ...]:
        """The latest state of every endpoint probed so far, in config order."""
        return tuple(sorted(self._states.values(),
                            key=lambda s: self._rank.get(s.key, len(self._rank))))

    def start(self) -> None:
        endpoints = [
            (env.name, endpoint, env.thresholds)
            for env in self.sink.config.environments
            for endpoint in env.health
        ]
        if not endpoints:
            return
        self._rank = {f"{env}/{endpoint.name}": i for i, (env, endpoint, _) in enumerate(endpoints)}
        from tui.health.monitor import HealthMonitor

        self._monitor = HealthMonitor(endpoints, on_state=self.receive,
                                      resolve_token=resolve_secret)
        self._monitor.start()

    async def stop(self) -> None:
        if self._publish is not None:
            self._publish.cancel()
            self._publish = None
        if self._monitor is not None:
            monitor, self._monitor = self._monitor, None
            await monitor.stop()

    def refresh_now(self, key: str | None = None) -> None:
        """Probe ``key`` (or every endpoint) now; unknown keys are ignored."""
        if self._monitor is not None and (key is None or key in self._monitor.keys):
            self._monitor.refresh_now(key)

    def receive(self, state: EndpointState) -> None:
        """Take one state from the monitor (on the event loop): keep it, publish soon
        (at once for a change), alert on a change."""
        self._states[state.key] = state
        alerting = state.changed and bool(state.changes) and state.changes[-1].alerting
        if alerting:
            self._flush()
            self._alert(state)
        elif self._publish is None:
            self._publish = asyncio.get_running_loop().call_later(PUBLISH_EVERY, self._flush)

    def _flush(self) -> None:
        if self._publish is not None:
            self._publish.cancel()
            self._publish = None
        self.sink.health_changed.publish(self.states())

    def _alert(self, state: EndpointState) -> None:
        now = self._clock()
        quiet = self._last_change is None or now - self._last_change > BELL_BURST
        self._last_change = now
        if quiet and self.sink.config.bell and isinstance(self.sink, Bell):
            self.sink.bell()
        for listener in list(self.on_change):
            try:
                listener(state)
            except Exception:  # one broken listener must not silence the others
                log.exception("health on_change listener failed for %s", state.key)
