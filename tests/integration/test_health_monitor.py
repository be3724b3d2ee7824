"""HealthMonitor against a real server: debounce, scheduling, tokens, shutdown."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from itertools import pairwise

import pytest

import tui.health.monitor as monitor_module
from tests.support.http import LocalServer, Reply, Seen, json_reply, wait_until
from tui.config import HealthEndpoint, Thresholds
from tui.health.model import EndpointState, ErrorKind, Verdict
from tui.health.monitor import HealthMonitor

T = Thresholds(failures_before_down=3, successes_before_up=2)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as running:
        yield running


async def test_debounced_states_over_real_probes(server: LocalServer) -> None:
    status = {"code": 200}
    server.routes["/health"] = lambda _s: Reply(status["code"], '{"status":"ok"}')
    states: list[EndpointState] = []
    endpoint = HealthEndpoint("api", server.url("/health"), interval=3600, timeout=2)
    monitor = HealthMonitor([("prod", endpoint, T)], on_state=states.append)
    monitor.start()
    try:
        async def poll(code: int) -> EndpointState:
            status["code"] = code
            count = len(states)
            monitor.refresh_now("prod/api")
            await wait_until(lambda: len(states) > count, what="a probe")
            return states[-1]

        await wait_until(lambda: len(states) == 1, what="the first probe")
        assert (states[0].key, states[0].verdict, states[0].changed) == (
            "prod/api", Verdict.HEALTHY, True)
        seen = [await poll(c) for c in (503, 503, 200, 503, 503, 503, 200, 200)]
    finally:
        await monitor.stop()
    assert [s.verdict for s in seen] == [Verdict.HEALTHY] * 5 + [
        Verdict.DOWN, Verdict.DOWN, Verdict.HEALTHY]
    assert [s.changed for s in seen] == [False] * 5 + [True, False, True]
    assert seen[5].previous is Verdict.HEALTHY
    assert seen[5].consecutive_failures == 3
    assert seen[5].last is not None and seen[5].last.reason == "503 from /health"
    assert len(seen[-1].history) == 9
    assert [p.verdict for p in seen[-1].history][:3] == [Verdict.HEALTHY, Verdict.DOWN,
                                                         Verdict.DOWN]
    assert seen[-1].since >= seen[5].since
    assert seen[-1].uptime_pct is not None and 0 < seen[-1].uptime_pct < 100


async def test_next_probe_waits_for_the_previous(server: LocalServer) -> None:
    lock = threading.Lock()
    inflight = {"now": 0, "max": 0}

    def slow(_seen: Seen) -> Reply:
        with lock:
            inflight["now"] += 1
            inflight["max"] = max(inflight["max"], inflight["now"])
        server.stopping.wait(0.05)
        with lock:
            inflight["now"] -= 1
        return Reply(200, '{"status":"ok"}')

    server.routes["/slow"] = slow
    states: list[EndpointState] = []
    endpoint = HealthEndpoint("slow", server.url("/slow"), interval=0.001, timeout=2)
    monitor = HealthMonitor([("prod", endpoint, T)], on_state=states.append)
    monitor.start()
    try:
        await wait_until(lambda: len(states) >= 6, what="six probes")
    finally:
        await monitor.stop()
    assert inflight["max"] == 1
    assert len(server.seen) >= 6


async def test_rounds_after_probing_everything_together_are_spread(server: LocalServer) -> None:
    """Every endpoint is probed at once at start and on "probe all now"; the next round
    is spread over the interval instead of hitting (and holding the loop) all at once."""
    server.routes["/h"] = json_reply('{"status":"ok"}')
    states: list[EndpointState] = []
    count, interval = 4, 1.2
    endpoints = [(f"e{i}", HealthEndpoint("h", server.url("/h"), interval=interval), T)
                 for i in range(count)]
    monitor = HealthMonitor(endpoints, on_state=states.append)

    def second_readings() -> list[float]:
        """When each endpoint's second reading was taken, in config order, after its first."""
        by_key = {s.key: s for s in states}
        return [by_key[f"e{i}/h"].history[1].at - by_key[f"e{i}/h"].history[0].at
                for i in range(count)]

    monitor.start()
    try:
        await wait_until(lambda: len(states) >= 2 * count, timeout=5, what="two rounds")
        spread = second_readings()
        seen = len(states)
        monitor.refresh_now()
        await wait_until(lambda: len(states) >= seen + 2 * count, timeout=5,
                         what="a probe-all round and the one after it")
        again = sorted(s.history[-1].at for s in states[-count:])
    finally:
        await monitor.stop()
    step = interval / count
    assert spread == sorted(spread)
    assert all(abs(wait - step * (i + 1)) < step / 2 for i, wait in enumerate(spread)), spread
    assert all(later - earlier > step / 2 for earlier, later in pairwise(again)), again


async def test_token_comes_from_the_resolver(server: LocalServer) -> None:
    server.routes["/h"] = json_reply('{"status":"ok"}')
    asked: list[str] = []

    async def resolve(name: str) -> str:
        asked.append(name)
        return "tok-123"

    states: list[EndpointState] = []
    endpoint = HealthEndpoint("h", server.url("/h"), interval=3600, auth_secret="prod/api")
    monitor = HealthMonitor([("prod", endpoint, T)], on_state=states.append,
                            resolve_token=resolve)
    monitor.start()
    try:
        await wait_until(lambda: len(states) == 1)
    finally:
        await monitor.stop()
    assert asked == ["prod/api"]
    assert server.seen[0].headers["authorization"] == "Bearer tok-123"


async def test_hung_keyring_is_a_credential_error(server: LocalServer,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(monitor_module, "TOKEN_TIMEOUT", 0.1)

    async def stuck(_name: str) -> str:
        await asyncio.Event().wait()
        return ""

    states: list[EndpointState] = []
    endpoint = HealthEndpoint("h", server.url("/h"), interval=3600, auth_secret="prod/api")
    monitor = HealthMonitor([("prod", endpoint, T)], on_state=states.append,
                            resolve_token=stuck)
    monitor.start()
    try:
        await wait_until(lambda: len(states) == 1)
    finally:
        await monitor.stop()
    last = states[0].last
    assert last is not None and last.error is ErrorKind.CREDENTIAL
    assert last.reason == "credential 'prod/api' unavailable: timed out"
    assert server.seen == []


async def test_stop_closes_the_client_and_a_bad_listener_does_not_stop_probing(
        server: LocalServer) -> None:
    server.routes["/h"] = json_reply('{"status":"ok"}')
    calls: list[str] = []

    def broken(state: EndpointState) -> None:
        calls.append(state.key)
        raise RuntimeError("listener bug")

    endpoint = HealthEndpoint("h", server.url("/h"), interval=0.001)
    monitor = HealthMonitor([("a", endpoint, T), ("b", endpoint, T)], on_state=broken)
    monitor.start()
    await wait_until(lambda: calls.count("a/h") >= 3 and calls.count("b/h") >= 3)
    client = monitor._client
    await monitor.stop()
    assert client is not None and client.is_closed
    assert set(monitor.states) == {"a/h", "b/h"}
    with pytest.raises(KeyError):
        monitor.refresh_now("c/h")
