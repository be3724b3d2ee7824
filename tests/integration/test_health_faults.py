"""FAULTS 25, 28 and 29 beyond test_health_probe: an AAAA-only host, HTTPS_PROXY with a
CIDR in NO_PROXY, and a burst of probes after timeouts through the monitor."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.http import Certificates, LocalServer, Reply, hang, json_reply, wait_until
from tui.config import HealthEndpoint, Thresholds
from tui.health.client import ProxyRoutes, make_client
from tui.health.model import EndpointState, ErrorKind, Verdict
from tui.health.monitor import HealthMonitor
from tui.health.probe import probe

V6_NAME = "v6-only.onduty.test"


@pytest.fixture
async def aaaa_only(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A resolver that knows ``V6_NAME`` only as an IPv6 address (an AAAA record, no A).

    Lookups of other names go to the real resolver. The address is read from the list
    the fixture returns, so a test can point the name at ``::1`` or somewhere unreachable.
    """
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo
    address = ["::1"]

    async def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in (V6_NAME, V6_NAME.encode()):  # anyio passes the IDNA-encoded bytes
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address[0], int(port), 0, 0))]
        return await real(host, port, *args, **kwargs)

    monkeypatch.setattr(loop, "getaddrinfo", resolve)
    return address


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(routes=ProxyRoutes()) as made:
        yield made


async def test_aaaa_only_host_is_reached_over_ipv6(aaaa_only: list[str],
                                                   client: httpx.AsyncClient) -> None:
    with LocalServer({"/health": json_reply('{"status":"ok"}')}, bind="::1") as server:
        url = f"http://{V6_NAME}:{server.port}/health"
        result = await probe(client, HealthEndpoint("v6", url, timeout=3), routes=ProxyRoutes())
    assert result.verdict is Verdict.HEALTHY, result.reason
    assert result.status == 200


async def test_aaaa_only_host_refusing_says_so_quickly(aaaa_only: list[str],
                                                      client: httpx.AsyncClient) -> None:
    with LocalServer(bind="::1") as gone:
        port = gone.port
    started = time.monotonic()
    result = await probe(client, HealthEndpoint("v6", f"http://{V6_NAME}:{port}/health",
                                                timeout=3), routes=ProxyRoutes())
    assert result.error is ErrorKind.CONNECTION_REFUSED
    assert result.reason == (f"connection refused by {V6_NAME}:{port} "
                             "(the host has only IPv6 addresses)")
    assert time.monotonic() - started < 1


async def test_aaaa_only_host_unreachable_is_bounded_and_distinct(
        aaaa_only: list[str], client: httpx.AsyncClient) -> None:
    aaaa_only[0] = "2001:db8::1"  # documentation prefix: routed nowhere
    started = time.monotonic()
    result = await probe(client, HealthEndpoint("v6", f"http://{V6_NAME}/health", timeout=0.5),
                         routes=ProxyRoutes())
    assert time.monotonic() - started < 1.0
    assert result.error in (ErrorKind.CONNECT, ErrorKind.TIMEOUT)
    assert "only IPv6 addresses" in result.reason
    assert result.error is not ErrorKind.DNS


async def test_https_proxy_with_cidr_no_proxy_routes_and_shows_each_probe(
        tmp_path: Path) -> None:
    certs = Certificates(tmp_path)
    with LocalServer() as proxy:
        routes = ProxyRoutes.from_environ({
            "HTTPS_PROXY": f"http://user:pw@127.0.0.1:{proxy.port}",
            "NO_PROXY": "10.0.0.0/8,.internal.test",
        })
        async with make_client(verify=certs.client_context(), routes=routes) as proxied:
            internal, named, public = await asyncio.gather(
                probe(proxied, HealthEndpoint("internal", "https://10.1.2.3/health",
                                              timeout=0.5), routes=routes),
                probe(proxied, HealthEndpoint("named", "https://api.internal.test/health",
                                              timeout=0.5), routes=routes),
                probe(proxied, HealthEndpoint("public", "https://service.example/health",
                                              timeout=2), routes=routes),
            )
    assert internal.route == "direct" and named.route == "direct"
    assert public.route == f"via proxy 127.0.0.1:{proxy.port}"
    assert "pw" not in public.route and "user" not in public.route
    # The proxy answers CONNECT with an error: a proxy failure, not the service's.
    assert public.error is ErrorKind.PROXY and public.verdict is Verdict.UNKNOWN
    assert internal.error is not ErrorKind.PROXY and named.error is not ErrorKind.PROXY
    assert all("10.1.2.3" not in s.path and "internal" not in s.path for s in proxy.seen)


async def test_monitor_keeps_probing_fifty_targets_after_timeouts() -> None:
    hanging = 5
    with LocalServer() as server:
        server.routes["/hang"] = lambda _s: Reply(stream=hang())
        server.routes["/ok"] = json_reply('{"status":"ok"}')
        endpoints = [
            ("prod", HealthEndpoint(f"slow{i}", server.url("/hang"), interval=0.2, timeout=0.3),
             Thresholds(failures_before_down=1))
            for i in range(hanging)
        ] + [
            ("prod", HealthEndpoint(f"ok{i}", server.url("/ok"), interval=0.2, timeout=5),
             Thresholds(failures_before_down=1, latency_warn_ms=4000, latency_critical_ms=5000))
            for i in range(50)
        ]
        states: dict[str, list[EndpointState]] = {}

        def record(state: EndpointState) -> None:
            states.setdefault(state.endpoint, []).append(state)

        monitor = HealthMonitor(endpoints, on_state=record, routes=ProxyRoutes())
        monitor.start()
        try:
            # Every healthy target is probed again after the hanging ones timed out twice.
            await wait_until(
                lambda: all(len(states.get(f"slow{i}", [])) >= 2 for i in range(hanging))
                and all(len(states.get(f"ok{i}", [])) >= 3 for i in range(50)),
                timeout=10, what="three rounds of every endpoint")
        finally:
            await monitor.stop()
    slow = {s.last.error for i in range(hanging) for s in states[f"slow{i}"] if s.last}
    # A deadline that ends before a connection was handed out is onduty's own problem
    # (UNKNOWN, "pool exhausted"), never the endpoint's: both are allowed, nothing else.
    assert ErrorKind.TIMEOUT in slow and slow <= {ErrorKind.TIMEOUT, ErrorKind.POOL_EXHAUSTED}
    oks = [s for i in range(50) for s in states[f"ok{i}"]]
    assert {s.last.verdict for s in oks if s.last} == {Verdict.HEALTHY}
    assert all(s.verdict is Verdict.HEALTHY for s in oks)
