"""probe() against real HTTP(S) servers on 127.0.0.1 (FAULTS 1-4 and 23-29)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.http import (
    Certificates,
    LocalServer,
    Reply,
    drip,
    endless,
    hang,
    json_reply,
    redirect,
    text_reply,
)
from tui.config import HealthEndpoint
from tui.health.client import ProxyRoutes, make_client
from tui.health.model import ErrorKind, ProbeResult, Verdict
from tui.health.probe import probe

DIRECT = ProxyRoutes()


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return Certificates(Path(tmp_path_factory.mktemp("certs")))


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as running:
        yield running


@pytest.fixture
async def client(certs: Certificates) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(verify=certs.client_context(), routes=DIRECT) as made:
        yield made


async def run(client: httpx.AsyncClient, url: str, timeout: float = 3.0,
              **kwargs: object) -> ProbeResult:
    conditions = tuple(kwargs.pop("conditions", ()))  # type: ignore[arg-type]
    endpoint = HealthEndpoint("probe", url, timeout=timeout, conditions=conditions)
    return await probe(client, endpoint, routes=kwargs.pop("routes", DIRECT),  # type: ignore[arg-type]
                       **kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- formats


SEED_BODIES = {
    "/health": ('{"status":"ok","environment":"production","database":"connected"}', 200,
                Verdict.HEALTHY),
    "/api/health/quick": ('{"healthy":true,"status":"healthy","timestamp":"t"}', 200,
                          Verdict.HEALTHY),
    "/api/health/live": ('{"alive":true,"timestamp":"t"}', 200, Verdict.HEALTHY),
    "/actuator/health": ('{"status":"OUT_OF_SERVICE","components":{"db":{"status":"UP"}}}',
                         503, Verdict.DOWN),
    "/ietf": ('{"status":"warn","checks":{"mem:utilization":[{"status":"warn"}]}}', 200,
              Verdict.DEGRADED),
    "/aspnet": ('{"status":"Degraded","entries":{"cache":{"status":"Degraded"}}}', 200,
                Verdict.DEGRADED),
    "/_cluster/health": ('{"cluster_name":"c","status":"yellow","unassigned_shards":2}', 200,
                         Verdict.DEGRADED),
}


async def test_every_format_over_http(server: LocalServer, client: httpx.AsyncClient) -> None:
    for path, (body, status, _verdict) in SEED_BODIES.items():
        server.routes[path] = json_reply(body, status)
    server.routes["/healthz"] = text_reply("ok")
    server.routes["/readyz"] = text_reply("[+]ping ok\n[-]etcd failed\nreadyz check failed", 500)
    for path, (_body, status, verdict) in SEED_BODIES.items():
        result = await run(client, server.url(path))
        assert (result.status, result.verdict, result.body_recognised) == (status, verdict, True)
    healthz = await run(client, server.url("/healthz"))
    readyz = await run(client, server.url("/readyz?verbose"))
    assert healthz.verdict is Verdict.HEALTHY
    assert readyz.verdict is Verdict.DOWN
    assert readyz.reason == "500 from /readyz?verbose: etcd check failed (failed)"


async def test_reason_names_the_failing_check(server: LocalServer,
                                              client: httpx.AsyncClient) -> None:
    server.routes["/api/health/ready"] = json_reply(
        '{"status":"not_ready","checks":{"database":{"status":"down"},"cache":{"status":"up"}}}',
        503)
    result = await run(client, server.url("/api/health/ready"))
    assert result.verdict is Verdict.DOWN
    assert result.reason == "503 from /api/health/ready: database check failed"
    assert [c.name for c in result.failing_checks] == ["http", "database"]
    assert '"database": {\n' in result.body_text  # pretty-printed


async def test_unrecognised_body_says_so(server: LocalServer, client: httpx.AsyncClient) -> None:
    server.routes["/x"] = text_reply("<html>hello</html>")
    result = await run(client, server.url("/x"))
    assert result.verdict is Verdict.HEALTHY
    assert result.reason == "200 from /x: body format not recognised; verdict from HTTP status"


async def test_invalid_json_is_its_own_error(server: LocalServer,
                                             client: httpx.AsyncClient) -> None:
    server.routes["/bad"] = json_reply('{"status": "ok",')
    result = await run(client, server.url("/bad"))
    assert result.error is ErrorKind.INVALID_JSON
    assert result.verdict is Verdict.DEGRADED
    assert result.reason.startswith("invalid JSON body: ")


async def test_conditions_become_sub_checks(server: LocalServer,
                                            client: httpx.AsyncClient) -> None:
    server.routes["/c"] = json_reply('{"status":"ok","items":[]}')
    result = await run(client, server.url("/c"),
                       conditions=["status == 200", "len(body.items) > 0"])
    assert result.verdict is Verdict.DOWN
    assert result.reason == "condition failed: len(body.items) > 0 (len(body.items) is 0)"


# --------------------------------------------------------------------------- security


async def test_escape_sequences_and_markup_in_body_are_sanitised(
        server: LocalServer, client: httpx.AsyncClient) -> None:
    osc52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"
    body = json.dumps({"status": "down", "checks": {"database": {
        "status": "down", "error": f"{osc52} [/] [@click=app.quit]x\x9b2J"}}})
    server.routes["/evil"] = json_reply(body, 503)
    server.routes["/evil.txt"] = lambda _s: Reply(200, f"ok\x1b]0;title\x1b\\ {osc52}".encode(),
                                                  "text/plain")
    result = await run(client, server.url("/evil"))
    for text in (result.body_text, result.reason, *(c.detail for c in result.checks)):
        assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "␛]52;c;ZWNobyBwd25lZA==␇ [/] [@click=app.quit]x⟨U+009B⟩2J" in result.reason
    assert "[/]" in result.body_text
    raw = await run(client, server.url("/evil.txt"))
    assert "\x1b" not in raw.body_text and "␛]0;title␛\\" in raw.body_text


async def test_token_only_to_its_own_origin(client: httpx.AsyncClient) -> None:
    with LocalServer() as first, LocalServer() as other:
        first.routes["/start"] = redirect("/next")
        first.routes["/next"] = redirect(other.url("/health"))
        other.routes["/health"] = json_reply('{"status":"ok"}')
        result = await run(client, first.url("/start"), token="s3cret")
    assert result.verdict is Verdict.HEALTHY
    assert [s.headers.get("authorization") for s in first.seen] == ["Bearer s3cret"] * 2
    assert "authorization" not in other.seen[0].headers
    assert result.final_url == other.url("/health")
    assert [h.status for h in result.hops] == [302, 302]
    assert "another origin" in result.hops[1].note


async def test_no_token_no_header(server: LocalServer, client: httpx.AsyncClient) -> None:
    server.routes["/h"] = json_reply('{"status":"ok"}')
    await run(client, server.url("/h"))
    assert "authorization" not in server.seen[0].headers


async def test_https_to_http_downgrade_is_reported(certs: Certificates,
                                                   client: httpx.AsyncClient) -> None:
    with LocalServer(tls=certs.server_context()) as secure, LocalServer() as plain:
        plain.routes["/health"] = json_reply('{"status":"ok"}')
        secure.routes["/health"] = redirect(plain.url("/health"), 301)
        result = await run(client, secure.url("/health"), token="t")
    assert result.verdict is Verdict.DEGRADED
    assert "redirected from https to http" in result.reason
    assert "downgrade" in result.hops[0].note
    assert "authorization" not in plain.seen[0].headers


async def test_redirect_loop(server: LocalServer, client: httpx.AsyncClient) -> None:
    server.routes["/a"] = redirect("/b")
    server.routes["/b"] = redirect("/a")
    result = await run(client, server.url("/a"))
    assert result.error is ErrorKind.REDIRECT_LOOP
    assert result.reason == "redirect loop: /a -> /b -> /a"
    assert result.verdict is Verdict.DOWN


async def test_too_many_redirects(server: LocalServer, client: httpx.AsyncClient) -> None:
    for n in range(10):
        server.routes[f"/r{n}"] = redirect(f"/r{n + 1}")
    result = await run(client, server.url("/r0"), max_redirects=3)
    assert result.error is ErrorKind.TOO_MANY_REDIRECTS
    assert len(result.hops) == 4
    assert len(server.seen) == 4
    assert result.reason.startswith("more than 3 redirects")


# --------------------------------------------------------------------------- TLS


async def test_tls_expiring_soon_is_degraded(certs: Certificates,
                                             client: httpx.AsyncClient) -> None:
    with LocalServer({"/h": json_reply('{"status":"ok"}')},
                     tls=certs.server_context(valid_days=6.05)) as soon:
        result = await run(client, soon.url("/h"), conditions=["cert_days > 14"])
    assert result.cert_days == 6
    assert result.verdict is Verdict.DOWN  # the condition fails
    assert "TLS certificate expires in 6 days" in result.reason


async def test_tls_valid_certificate_days(certs: Certificates,
                                          client: httpx.AsyncClient) -> None:
    with LocalServer({"/h": json_reply('{"status":"ok"}')},
                     tls=certs.server_context(valid_days=90.5)) as fine:
        result = await run(client, fine.url("/h"))
    assert (result.verdict, result.cert_days) == (Verdict.HEALTHY, 90)


@pytest.mark.parametrize(
    ("options", "kind", "words"),
    [
        ({"expired": True}, ErrorKind.TLS_EXPIRED, "has expired"),
        ({"self_signed": True}, ErrorKind.TLS_SELF_SIGNED, "self-signed"),
        ({"host": "other.example"}, ErrorKind.TLS_HOSTNAME_MISMATCH, "not valid for 127.0.0.1"),
    ],
)
async def test_tls_failures_are_distinct(certs: Certificates, client: httpx.AsyncClient,
                                         options: dict[str, object], kind: ErrorKind,
                                         words: str) -> None:
    with LocalServer({"/h": json_reply('{"status":"ok"}')},
                     tls=certs.server_context(**options)) as bad:  # type: ignore[arg-type]
        result = await run(client, bad.url("/h"))
    assert result.error is kind
    assert words in result.reason
    assert result.verdict is Verdict.DOWN
    assert bad.seen == []


async def test_default_client_verifies(certs: Certificates) -> None:
    with LocalServer({"/h": json_reply('{"status":"ok"}')}, tls=certs.server_context()) as srv:
        async with make_client(routes=DIRECT) as default:
            result = await run(default, srv.url("/h"))
    assert result.error is ErrorKind.TLS_OTHER or result.error is ErrorKind.TLS_SELF_SIGNED
    assert result.verdict is Verdict.DOWN


# --------------------------------------------------------------------------- network faults


async def test_nxdomain(client: httpx.AsyncClient) -> None:
    started = time.monotonic()
    result = await run(client, "http://no-such-host.invalid/health")
    assert result.error is ErrorKind.DNS
    assert result.reason == "DNS: no such host no-such-host.invalid (NXDOMAIN)"
    assert time.monotonic() - started < 3


async def test_dns_timeout_is_distinct(client: httpx.AsyncClient,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    async def stuck_resolver(*_args: object, **_kwargs: object) -> None:
        await asyncio.Event().wait()

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", stuck_resolver)
    started = time.monotonic()
    result = await run(client, "http://slow-dns.test/health", timeout=0.3)
    assert result.error is ErrorKind.DNS_TIMEOUT
    assert result.reason == "DNS lookup of slow-dns.test timed out after 0.3 s"
    assert time.monotonic() - started < 1


async def test_connection_refused(client: httpx.AsyncClient) -> None:
    with LocalServer() as gone:
        url = gone.url("/h")
    result = await run(client, url)
    assert result.error is ErrorKind.CONNECTION_REFUSED
    assert result.reason.startswith("connection refused by 127.0.0.1:")


async def test_slow_drip_fails_at_the_overall_deadline(server: LocalServer,
                                                       client: httpx.AsyncClient) -> None:
    # Each byte arrives well inside httpx's per-read timeout; only the deadline can stop it.
    server.routes["/drip"] = lambda _s: Reply(stream=drip(0.1))
    started = time.monotonic()
    result = await run(client, server.url("/drip"), timeout=1.0)
    elapsed = time.monotonic() - started
    assert result.error is ErrorKind.TIMEOUT
    assert result.reason == "timed out after 1 s (reading the body)"
    assert 0.95 <= elapsed < 1.6


async def test_endless_body_is_capped(server: LocalServer, client: httpx.AsyncClient) -> None:
    sent = []

    def count(stopping: threading.Event) -> Iterator[bytes]:
        for chunk in endless()(stopping):
            sent.append(len(chunk))
            yield chunk

    server.routes["/big"] = lambda _s: Reply(503, stream=count)
    result = await run(client, server.url("/big"), max_body=64 * 1024)
    assert result.error is ErrorKind.BODY_TOO_LARGE
    assert result.reason == "503 from /big: body too large (> 64 KiB)"
    assert result.verdict is Verdict.DOWN  # still from the status code
    assert len(result.body_text) <= 64 * 1024 + 100


async def test_hung_response_times_out_waiting(server: LocalServer,
                                               client: httpx.AsyncClient) -> None:
    server.routes["/hang"] = lambda _s: Reply(stream=hang())
    result = await run(client, server.url("/hang"), timeout=0.4)
    assert result.error is ErrorKind.TIMEOUT
    assert result.reason.startswith("timed out after 0.4 s")


async def test_pool_exhaustion_is_distinct_and_does_not_cascade(server: LocalServer,
                                                                certs: Certificates) -> None:
    server.routes["/hang"] = lambda _s: Reply(stream=hang())
    server.routes["/ok"] = json_reply('{"status":"ok"}')
    async with make_client(verify=certs.client_context(), routes=DIRECT,
                           max_connections=2) as small:
        stuck = [asyncio.create_task(run(small, server.url("/hang"), timeout=0.8))
                 for _ in range(2)]
        while len([s for s in server.seen if s.path == "/hang"]) < 2:
            await asyncio.sleep(0.005)
        starved = await run(small, server.url("/ok"), timeout=0.3)
        assert starved.error is ErrorKind.POOL_EXHAUSTED
        assert "connection pool exhausted" in starved.reason
        assert starved.verdict is Verdict.UNKNOWN
        assert {r.error for r in await asyncio.gather(*stuck)} == {ErrorKind.TIMEOUT}
        after = await asyncio.gather(*(run(small, server.url("/ok")) for _ in range(50)))
    assert {r.verdict for r in after} == {Verdict.HEALTHY}


# --------------------------------------------------------------------------- proxy


async def test_proxy_route_is_used_and_shown(certs: Certificates) -> None:
    with LocalServer() as proxy, LocalServer({"/h": json_reply('{"status":"ok"}')}) as local:
        proxy.routes["http://service.test/health"] = json_reply('{"status":"ok"}')
        routes = ProxyRoutes(http=proxy.url("").rstrip("/"))
        async with make_client(verify=certs.client_context(), routes=routes) as proxied:
            via = await run(proxied, "http://service.test/health", routes=routes)
            direct = await run(proxied, local.url("/h"), routes=routes)
    assert via.verdict is Verdict.HEALTHY
    assert via.route == f"via proxy 127.0.0.1:{proxy.port}"
    assert proxy.seen[0].path == "http://service.test/health"
    assert direct.route == "direct" and direct.verdict is Verdict.HEALTHY
    assert len(proxy.seen) == 1  # loopback never goes through the proxy


async def test_unreachable_proxy_is_a_proxy_error(certs: Certificates) -> None:
    with LocalServer() as gone:
        dead = gone.url("").rstrip("/")
    routes = ProxyRoutes(http=dead, https=dead)
    async with make_client(verify=certs.client_context(), routes=routes) as proxied:
        result = await run(proxied, "https://service.test/health", routes=routes)
    assert result.error is ErrorKind.PROXY
    assert result.route.startswith("via proxy 127.0.0.1:")
    assert "connection refused" in result.reason
    assert result.verdict is Verdict.UNKNOWN
