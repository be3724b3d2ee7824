"""The health pane over real probes: `r` probes now, a change burst rings the bell once,
``bell = false`` keeps it quiet, and ``HealthHub.on_change`` hears every change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.http import LocalServer, json_reply, wait_until
from tests.ui.test_shell import screen_text
from tui.app import OnDutyApp, create_app
from tui.config import parse_config
from tui.health.model import EndpointState, Verdict

ENDPOINTS = 10


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer({"/health": json_reply('{"status":"ok"}')}) as running:
        yield running


def make_app(tmp_path: Path, server: LocalServer, *, bell: bool = True) -> OnDutyApp:
    endpoints = "".join(
        f'[[environments.production.health]]\nname = "api-{i}"\npath = "/health?n={i}"\n'
        'interval = "60s"\ntimeout = "3s"\n'
        for i in range(ENDPOINTS)
    )
    source = (f"bell = {'true' if bell else 'false'}\n[environments.production]\n"
              f'base_url = "{server.url("").rstrip("/")}"\n{endpoints}'
              "[environments.production.thresholds]\nfailures_before_down = 1\n")
    config = parse_config(source, tmp_path / "config.toml")
    return create_app(config, state_file=tmp_path / "state.json", initial_mode="health")


def verdicts(app: OnDutyApp) -> list[Verdict]:
    return [s.verdict for s in app.health_states()]


async def test_r_probes_every_endpoint_now(tmp_path: Path, server: LocalServer) -> None:
    app = make_app(tmp_path, server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(lambda: len(server.seen) >= ENDPOINTS, what="the first probes")
        await pilot.press("r")
        await wait_until(lambda: len(server.seen) >= 2 * ENDPOINTS, timeout=3,
                         what="a second probe of every endpoint (the interval is 60 s)")
        assert any("Probing every endpoint now." in str(n.message) for n in app._notifications)


async def test_a_burst_of_changes_rings_once_and_each_reaches_on_change(
        tmp_path: Path, server: LocalServer) -> None:
    app = make_app(tmp_path, server)
    rings: list[int] = []
    heard: list[EndpointState] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.engines is not None
        app.engines.health.on_change.append(heard.append)
        await wait_until(lambda: verdicts(app).count(Verdict.HEALTHY) == ENDPOINTS,
                         what="every endpoint healthy")
        assert rings == [] and heard == []  # coming up healthy at start is not news
        server.routes["/health"] = json_reply('{"status":"down"}', 503)
        await pilot.press("r")
        await wait_until(lambda: verdicts(app).count(Verdict.DOWN) == ENDPOINTS, timeout=5,
                         what="every endpoint down")
        await pilot.pause()
        assert rings == [1]
        assert sorted(s.endpoint for s in heard) == sorted(f"api-{i}" for i in range(ENDPOINTS))
        assert {(s.changes[-1].previous, s.changes[-1].verdict) for s in heard} == {
            (Verdict.HEALTHY, Verdict.DOWN)}
        assert "healthy → down" in screen_text(app)


async def test_bell_false_never_rings(tmp_path: Path, server: LocalServer) -> None:
    app = make_app(tmp_path, server, bell=False)
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.engines is not None
        heard: list[EndpointState] = []
        app.engines.health.on_change.append(heard.append)
        await wait_until(lambda: verdicts(app).count(Verdict.HEALTHY) == ENDPOINTS,
                         what="every endpoint healthy")
        server.routes["/health"] = json_reply('{"status":"down"}', 503)
        await pilot.press("r")
        await wait_until(lambda: len(heard) == ENDPOINTS, timeout=5, what="ten changes")
    assert rings == []
