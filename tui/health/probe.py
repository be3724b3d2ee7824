"""One health probe: a bounded GET, redirects followed by hand, a verdict in plain words.

httpx alone has no overall deadline, reads whole bodies, and either refuses redirects or
follows them without showing the hops. Here the whole exchange (DNS, pool wait, connect,
TLS, redirects, body) sits under one deadline, the body is streamed and capped, every
hop is recorded, and the bearer token never leaves the endpoint's own origin.
"""

from __future__ import annotations

import asyncio
import json
import math
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from tui.config import HealthEndpoint, Thresholds
from tui.health.classify import NOT_RECOGNISED, classify, parse_json
from tui.health.client import POOL_EXTENSION, ProxyRoutes
from tui.health.conditions import ConditionError, parse_condition
from tui.health.model import ErrorKind, Hop, ProbeResult, SubCheck, Verdict, worst
from tui.sanitize import decode, sanitize

DEFAULT_MAX_BODY = 256 * 1024
DISPLAY_LIMIT = 64 * 1024
_REDIRECTS = (301, 302, 303, 307, 308)
# Response headers that help in an incident (who answered, through what, for how long,
# when to retry). A fixed list: cookies and anything else that may carry a credential
# are never kept.
SHOWN_HEADERS = (
    "content-type", "content-length", "server", "date", "age", "cache-control",
    "retry-after", "via", "x-cache", "cf-ray", "x-request-id", "x-correlation-id",
    "fly-request-id", "x-vercel-id", "x-railway-request-id", "x-served-by",
    "strict-transport-security", "www-authenticate",
)
_PHASES = {
    "connection.connect_tcp.started": "connecting",
    "connection.start_tls.started": "during the TLS handshake",
    "http11.send_request_headers.started": "sending the request",
    "http2.send_request_headers.started": "sending the request",
    "http11.receive_response_headers.started": "waiting for the response",
    "http2.receive_response_headers.started": "waiting for the response",
}
# OpenSSL X509_V_ERR_* codes that deserve their own error kind.
_VERIFY_CODES = {
    10: ErrorKind.TLS_EXPIRED,
    18: ErrorKind.TLS_SELF_SIGNED,
    19: ErrorKind.TLS_SELF_SIGNED,
    62: ErrorKind.TLS_HOSTNAME_MISMATCH,
    64: ErrorKind.TLS_HOSTNAME_MISMATCH,
}


class _Failed(Exception):
    """Ends a probe early with an error kind and a plain reason."""

    def __init__(self, kind: ErrorKind, reason: str, verdict: Verdict = Verdict.DOWN) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.verdict = verdict


@dataclass
class _Progress:
    """Where the probe got to: what a timeout or an exception is reported against."""

    url: str
    route: str = "direct"
    phase: str = "resolving"
    hops: list[Hop] = field(default_factory=list)
    ipv6_only: bool = False
    pool: str | None = None
    queued_at: float = 0.0
    queued_for: float = 0.0

    def wait_for_pool(self) -> None:
        self.phase = "pool"
        self.queued_at = time.perf_counter()

    async def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace hook: any event means a connection was obtained from the pool.

        Time spent queueing for a connection is onduty's own, not the endpoint's latency.
        """
        if self.phase == "pool":
            self.queued_for += time.perf_counter() - self.queued_at
            self.phase = "connecting"
        self.phase = _PHASES.get(event, self.phase)


async def probe(
    client: httpx.AsyncClient,
    endpoint: HealthEndpoint,
    *,
    token: str | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    max_redirects: int = 5,
    thresholds: Thresholds | None = None,
    routes: ProxyRoutes | None = None,
    pool: str | None = None,
) -> ProbeResult:
    """Probe ``endpoint`` once and never raise for anything the network does.

    ``token`` (from the keyring) is sent as ``Authorization: Bearer`` to the endpoint's
    own origin only. ``routes`` must be the ones the client was made with (see
    ``make_client``) so the reported route is the one taken. ``pool`` names the
    connection pool to use (see ``make_client``); None shares one.
    """
    limits = thresholds or Thresholds()
    routing = routes or ProxyRoutes.from_environ()
    progress = _Progress(endpoint.url, pool=pool)
    started_at = time.time()
    clock = time.perf_counter()
    deadline = asyncio.timeout(endpoint.timeout)
    try:
        async with deadline:
            return await _exchange(client, endpoint, token, max_body, max_redirects, limits,
                                   routing, progress, started_at, clock)
    except TimeoutError:
        failure = _timed_out(endpoint, progress)
    except httpx.HTTPError as exc:
        failure = _diagnose(exc, progress)
    except _Failed as exc:
        failure = exc
    return failure_result(endpoint, failure.kind, failure.reason, failure.verdict,
                          started_at=started_at, final_url=progress.url,
                          hops=tuple(progress.hops), route=progress.route)


def failure_result(
    endpoint: HealthEndpoint,
    kind: ErrorKind,
    reason: str,
    verdict: Verdict = Verdict.DOWN,
    *,
    started_at: float | None = None,
    final_url: str | None = None,
    hops: tuple[Hop, ...] = (),
    route: str = "direct",
) -> ProbeResult:
    """A result for a probe that got no usable response (or could not be sent)."""
    return ProbeResult(
        endpoint=endpoint.name,
        url=endpoint.url,
        final_url=sanitize(final_url or endpoint.url),
        started_at=time.time() if started_at is None else started_at,
        verdict=verdict,
        reason=sanitize(reason),
        error=kind,
        hops=hops,
        route=route,
        checks=(SubCheck("connection", verdict, sanitize(reason)),),
    )


async def _exchange(
    client: httpx.AsyncClient,
    endpoint: HealthEndpoint,
    token: str | None,
    max_body: int,
    max_redirects: int,
    thresholds: Thresholds,
    routes: ProxyRoutes,
    progress: _Progress,
    started_at: float,
    clock: float,
) -> ProbeResult:
    origin = _origin(endpoint.url)
    visited = [endpoint.url]
    url = endpoint.url
    while True:
        progress.url = url
        progress.route = routes.route_for(url)
        if progress.route == "direct":
            progress.phase = "resolving"
            await _resolve(url, progress)
        headers = {"Authorization": f"Bearer {token}"} if token and _origin(url) == origin else {}
        progress.wait_for_pool()
        async with client.stream(
            "GET", url, headers=headers, timeout=httpx.Timeout(endpoint.timeout),
            follow_redirects=False,
            extensions={"trace": progress.trace, POOL_EXTENSION: progress.pool},
        ) as response:
            location = response.headers.get("location")
            if response.status_code in _REDIRECTS and location:
                url = _follow(url, location, response.status_code, visited, max_redirects,
                              progress)
                continue
            cert_days = _cert_days(response)
            progress.phase = "reading the body"
            body, too_large = await _read_capped(response, max_body)
            latency_ms = (time.perf_counter() - clock - progress.queued_for) * 1000
            return _result(endpoint, response, body, too_large, max_body, latency_ms, cert_days,
                           thresholds, progress, started_at)


def _follow(url: str, location: str, status: int, visited: list[str], max_redirects: int,
            progress: _Progress) -> str:
    """Record one redirect hop and return where it points; refuse loops and long chains."""
    target = str(httpx.URL(url).join(location))
    notes = []
    if urlsplit(url).scheme == "https" and urlsplit(target).scheme == "http":
        notes.append("downgrade from https to http")
    if _origin(target) != _origin(url):
        notes.append(f"to another origin ({urlsplit(target).netloc}); credentials not sent")
    progress.hops.append(Hop(sanitize(url), status, sanitize(target), "; ".join(notes)))
    if target in visited:
        chain = " -> ".join(sanitize(_short(u)) for u in [*visited[visited.index(target):], target])
        raise _Failed(ErrorKind.REDIRECT_LOOP, f"redirect loop: {chain}")
    if len(progress.hops) > max_redirects:
        raise _Failed(ErrorKind.TOO_MANY_REDIRECTS,
                      f"more than {max_redirects} redirects (last to {sanitize(target)})")
    visited.append(target)
    return target


def _short(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _origin(url: str) -> tuple[str, str, int | None]:
    parsed = httpx.URL(url)
    return parsed.scheme, parsed.host, parsed.port


async def _resolve(url: str, progress: _Progress) -> None:
    """Look the host up first, so NXDOMAIN and a hung resolver are told apart from the rest."""
    parsed = httpx.URL(url)
    host = parsed.host
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
        return
    except OSError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, parsed.port or (443 if parsed.scheme == "https" else 80),
            type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise _Failed(ErrorKind.DNS, _dns_reason(host, exc)) from None
    progress.ipv6_only = bool(infos) and all(i[0] == socket.AF_INET6 for i in infos)


def _dns_reason(host: str, exc: socket.gaierror) -> str:
    if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)):
        return f"DNS: no such host {host} (NXDOMAIN)"
    if exc.errno == socket.EAI_AGAIN:
        return f"DNS: lookup of {host} failed temporarily (resolver unreachable or timed out)"
    return f"DNS: lookup of {host} failed: {exc.strerror}"


def _cert_days(response: httpx.Response) -> int | None:
    """Whole days until the peer certificate of this very connection expires."""
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    if ssl_object is None:
        return None
    cert = ssl_object.getpeercert()
    if not cert or "notAfter" not in cert:
        return None
    return math.floor((ssl.cert_time_to_seconds(cert["notAfter"]) - time.time()) / 86400)


async def _read_capped(response: httpx.Response, max_body: int) -> tuple[bytes, bool]:
    """At most ``max_body`` bytes of the body; True when there was more."""
    chunks = []
    size = 0
    async for chunk in response.aiter_bytes():
        room = max_body - size
        if len(chunk) > room:
            chunks.append(chunk[:room])
            return b"".join(chunks), True
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), False


def _result(
    endpoint: HealthEndpoint,
    response: httpx.Response,
    raw: bytes,
    too_large: bool,
    max_body: int,
    latency_ms: float,
    cert_days: int | None,
    thresholds: Thresholds,
    progress: _Progress,
    started_at: float,
) -> ProbeResult:
    status = response.status_code
    text = decode(raw)
    content_type = response.headers.get("content-type", "").lower()
    declared_json = "json" in content_type
    error: ErrorKind | None = None
    notes: list[str] = []
    body: Any = None
    is_json = False
    display = text
    if too_large:
        error = ErrorKind.BODY_TOO_LARGE
        notes.append(f"body too large (> {_size(max_body)})")
    elif declared_json or text.lstrip()[:1] in ("{", "["):
        parsed, problem = parse_json(text)
        if problem is None:
            body, is_json = parsed, True
            display = json.dumps(parsed, indent=2, ensure_ascii=False)
        elif declared_json:
            error = ErrorKind.INVALID_JSON
            notes.append(problem)
        else:
            body = text
    else:
        body = text

    verdict_of = classify(status=status, body=body, body_is_json=is_json, latency_ms=latency_ms,
                          thresholds=thresholds, expect_status=endpoint.expect_status,
                          cert_days=cert_days)
    checks = list(verdict_of.checks)
    verdict = verdict_of.verdict
    if error is ErrorKind.INVALID_JSON:
        verdict = worst([verdict, Verdict.DEGRADED])
    problems = list(verdict_of.problems)
    context = {"status": status, "latency": latency_ms, "cert_days": cert_days, "body": body}
    for check in _conditions(endpoint.conditions, context):
        checks.append(check)
        if check.verdict is not Verdict.HEALTHY:
            verdict = worst([verdict, check.verdict])
            problems.append(f"condition failed: {check.name} ({check.detail})")
    downgrade = [h for h in progress.hops if "downgrade" in h.note]
    if downgrade:
        checks.append(SubCheck("redirect", Verdict.DEGRADED, "redirected from https to http"))
        verdict = worst([verdict, Verdict.DEGRADED])
        problems.append("redirected from https to http")
    if not verdict_of.recognised and error is None:
        notes.append(NOT_RECOGNISED if text.strip() else "empty body; verdict from HTTP status")
    return ProbeResult(
        endpoint=endpoint.name,
        url=endpoint.url,
        final_url=sanitize(str(response.url)),
        started_at=started_at,
        verdict=verdict,
        reason=_reason(status, str(response.url), verdict, problems, notes),
        latency_ms=round(latency_ms, 1),
        status=status,
        error=error,
        hops=tuple(progress.hops),
        body_text=_display(display),
        cert_days=cert_days,
        route=progress.route,
        checks=tuple(checks),
        metrics=verdict_of.metrics,
        body_recognised=verdict_of.recognised,
        headers=tuple((name, sanitize(response.headers[name])) for name in SHOWN_HEADERS
                      if name in response.headers),
    )


def _conditions(conditions: tuple[str, ...], context: dict[str, Any]) -> Iterator[SubCheck]:
    for text in conditions:
        try:
            holds, detail = parse_condition(text).evaluate(context)
        except ConditionError as exc:
            yield SubCheck(sanitize(text), Verdict.UNKNOWN, sanitize(str(exc)))
            continue
        yield SubCheck(sanitize(text), Verdict.HEALTHY if holds else Verdict.DOWN,
                       sanitize(detail))


def _reason(status: int, url: str, verdict: Verdict, problems: list[str],
            notes: list[str]) -> str:
    """One sentence: "503 from /api/health/ready: database check failed"."""
    parts = [p for p in problems if p] if verdict is not Verdict.HEALTHY else []
    parts += notes
    head = f"{status} from {_short(url)}"
    if 200 <= status < 300 and verdict is not Verdict.HEALTHY and parts:
        return sanitize("; ".join(parts))
    return sanitize(head + (": " + "; ".join(parts) if parts else ""))


def _display(text: str) -> str:
    shown = sanitize(text, multiline=True)
    if len(shown) > DISPLAY_LIMIT:
        return shown[:DISPLAY_LIMIT] + f"\n… (cut at {_size(DISPLAY_LIMIT)} for display)"
    return shown


def _size(count: int) -> str:
    if count % (1024 * 1024) == 0:
        return f"{count // (1024 * 1024)} MiB"
    if count % 1024 == 0:
        return f"{count // 1024} KiB"
    return f"{count} bytes"


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _timed_out(endpoint: HealthEndpoint, progress: _Progress) -> _Failed:
    limit = _seconds(endpoint.timeout)
    if progress.phase == "resolving":
        host = httpx.URL(progress.url).host
        return _Failed(ErrorKind.DNS_TIMEOUT, f"DNS lookup of {host} timed out after {limit}")
    if progress.phase == "pool":
        return _Failed(ErrorKind.POOL_EXHAUSTED,
                       f"no free connection within {limit}: connection pool exhausted",
                       Verdict.UNKNOWN)
    if progress.phase == "connecting" and progress.route != "direct":
        return _Failed(ErrorKind.PROXY, f"timed out after {limit} connecting {progress.route}",
                       Verdict.UNKNOWN)
    only6 = "; the host has only IPv6 addresses" if progress.ipv6_only else ""
    return _Failed(ErrorKind.TIMEOUT, f"timed out after {limit} ({progress.phase}{only6})")


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _diagnose(exc: httpx.HTTPError, progress: _Progress) -> _Failed:
    """Map an httpx error to one distinct kind with a plain reason."""
    host = httpx.URL(progress.url).host
    proxied = progress.route != "direct"
    if isinstance(exc, httpx.PoolTimeout):
        return _Failed(ErrorKind.POOL_EXHAUSTED,
                       "no free connection: connection pool exhausted", Verdict.UNKNOWN)
    if isinstance(exc, httpx.ProxyError):
        return _Failed(ErrorKind.PROXY, f"proxy error {progress.route}: {exc}", Verdict.UNKNOWN)
    if isinstance(exc, httpx.TimeoutException):
        if proxied and isinstance(exc, httpx.ConnectTimeout):
            return _Failed(ErrorKind.PROXY, f"timed out connecting {progress.route}",
                           Verdict.UNKNOWN)
        return _Failed(ErrorKind.TIMEOUT, f"timed out ({progress.phase})")
    causes = list(_causes(exc))
    for cause in causes:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return _tls_failure(cause, host)
    for cause in causes:
        if isinstance(cause, ssl.SSLError):
            return _Failed(ErrorKind.TLS_OTHER, f"TLS error with {host}: {cause.reason or cause}")
    if isinstance(exc, httpx.ConnectError):
        for cause in causes:
            if isinstance(cause, socket.gaierror):
                if proxied:
                    return _Failed(ErrorKind.PROXY, f"cannot resolve the proxy {progress.route}",
                                   Verdict.UNKNOWN)
                return _Failed(ErrorKind.DNS, _dns_reason(host, cause))
        refused = any(isinstance(c, ConnectionRefusedError) for c in causes) or (
            "refused" in str(exc).lower())
        if proxied:
            what = "connection refused" if refused else str(exc)
            return _Failed(ErrorKind.PROXY, f"cannot reach the proxy ({progress.route}): {what}",
                           Verdict.UNKNOWN)
        port = httpx.URL(progress.url).port or (443 if progress.url.startswith("https") else 80)
        only6 = " (the host has only IPv6 addresses)" if progress.ipv6_only else ""
        if refused:
            return _Failed(ErrorKind.CONNECTION_REFUSED,
                           f"connection refused by {host}:{port}{only6}")
        return _Failed(ErrorKind.CONNECT, f"cannot connect to {host}:{port}{only6}: {exc}")
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return _Failed(ErrorKind.PROTOCOL,
                       f"{host} closed the connection before a complete response")
    return _Failed(ErrorKind.PROTOCOL, f"{type(exc).__name__}: {exc}")


def _tls_failure(error: ssl.SSLCertVerificationError, host: str) -> _Failed:
    kind = _VERIFY_CODES.get(error.verify_code, ErrorKind.TLS_OTHER)
    reasons = {
        ErrorKind.TLS_EXPIRED: f"TLS certificate of {host} has expired",
        ErrorKind.TLS_SELF_SIGNED: f"TLS certificate of {host} is self-signed (not trusted)",
        ErrorKind.TLS_HOSTNAME_MISMATCH: f"TLS certificate is not valid for {host}",
    }
    message = error.verify_message or str(error)
    return _Failed(kind, reasons.get(kind, f"TLS certificate of {host} rejected: {message}"))
