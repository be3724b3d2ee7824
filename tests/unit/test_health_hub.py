"""HealthHub's alerting: one bell per burst, no bell for coming up healthy, listeners."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.support.http import wait_until
from tui.config import Config
from tui.health.model import EndpointState, Verdict, VerdictChange
from tui.hub.health import BELL_BURST, PUBLISH_EVERY, HealthHub


@dataclass
class Published:
    items: list[Any] = field(default_factory=list)

    def publish(self, data: Any) -> None:
        self.items.append(data)


@dataclass
class FakeApp:
    config: Config = field(default_factory=Config)
    health_changed: Published = field(default_factory=Published)
    logs_changed: Published = field(default_factory=Published)
    db_changed: Published = field(default_factory=Published)
    rings: int = 0
    environment: None = None

    def set_problem(self, pane: str, text: str | None) -> None:
        """Unused by the health hub."""

    def bell(self) -> None:
        self.rings += 1


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def change(name: str, verdict: Verdict, *, previous: Verdict = Verdict.HEALTHY,
           initial: bool = False) -> EndpointState:
    moved = VerdictChange(0.0, previous, verdict, "r", initial=initial)
    return EndpointState(key=f"p/{name}", env="p", endpoint=name, verdict=verdict,
                         previous=previous, last=None, since=0.0, changed=True,
                         changes=(moved,))


def hub(app: FakeApp, clock: Clock) -> HealthHub:
    return HealthHub(app, clock=clock)  # type: ignore[arg-type]


async def test_ten_changes_in_one_burst_ring_once_and_a_later_one_again() -> None:
    app, clock = FakeApp(), Clock()
    health = hub(app, clock)
    for i in range(10):
        clock.now += 0.1
        health.receive(change(f"e{i}", Verdict.DOWN))
    assert app.rings == 1
    clock.now += BELL_BURST + 0.5
    health.receive(change("e0", Verdict.HEALTHY, previous=Verdict.DOWN))
    assert app.rings == 2
    assert len(app.health_changed.items) == 11  # a change is published at once


async def test_coming_up_healthy_is_quiet_but_coming_up_down_rings() -> None:
    app, clock = FakeApp(), Clock()
    health = hub(app, clock)
    heard: list[EndpointState] = []
    health.on_change.append(heard.append)
    health.receive(change("a", Verdict.HEALTHY, previous=Verdict.UNKNOWN, initial=True))
    assert app.rings == 0 and heard == []
    health.receive(change("b", Verdict.DOWN, previous=Verdict.UNKNOWN, initial=True))
    assert app.rings == 1 and [s.endpoint for s in heard] == ["b"]


async def test_unchanged_states_are_published_together_soon_but_not_alerted() -> None:
    app, clock = FakeApp(), Clock()
    health = hub(app, clock)
    for name in "abc":
        health.receive(EndpointState(key=f"p/{name}", env="p", endpoint=name,
                                     verdict=Verdict.DOWN, previous=Verdict.DOWN, last=None,
                                     since=0.0, changed=False))
    assert app.health_changed.items == []
    await wait_until(lambda: app.health_changed.items, timeout=PUBLISH_EVERY * 4,
                     what="one coalesced publish")
    assert [len(states) for states in app.health_changed.items] == [3]
    assert app.rings == 0
    await health.stop()


async def test_bell_false_and_a_broken_listener() -> None:
    app, clock = FakeApp(config=Config(bell=False)), Clock()
    health = hub(app, clock)
    heard: list[str] = []

    def broken(_state: EndpointState) -> None:
        raise RuntimeError("listener bug")

    health.on_change.extend([broken, lambda s: heard.append(s.endpoint)])
    health.receive(change("a", Verdict.DOWN))
    assert app.rings == 0 and heard == ["a"]
