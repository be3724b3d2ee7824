"""The shared HTTP client for probes, with proxy routing onduty decides and can show.

httpx honours HTTPS_PROXY but not a CIDR in NO_PROXY (``10.0.0.0/8``), so an internal
address could silently go through a corporate proxy. onduty reads the proxy variables
itself, picks the route per request (the same decision the probe reports as its route),
and never sends loopback traffic to a proxy.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

_LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")
POOL_EXTENSION = "onduty.pool"
"""Request extension naming the connection pool a request uses (None: the shared one)."""


@dataclass(frozen=True)
class ProxyRoutes:
    """Proxy settings read from the environment (``*_PROXY`` and ``NO_PROXY``)."""

    http: str | None = None
    https: str | None = None
    no_proxy: tuple[str, ...] = ()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ProxyRoutes:
        """Read ``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY`` (either case)."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name.lower()) or env.get(name.upper())
            return value.strip() or None if value else None

        fallback = get("all_proxy")
        no_proxy = tuple(p.strip().lower() for p in (get("no_proxy") or "").split(",") if p.strip())
        return cls(get("http_proxy") or fallback, get("https_proxy") or fallback, no_proxy)

    def proxy_for(self, url: httpx.URL | str) -> str | None:
        """The proxy URL a request to ``url`` goes through, or None for a direct route."""
        target = httpx.URL(str(url))
        proxy = self.https if target.scheme == "https" else self.http
        if proxy is None or self._bypassed(target.host, target.port):
            return None
        return proxy if "://" in proxy else f"http://{proxy}"

    def route_for(self, url: httpx.URL | str) -> str:
        """``"direct"`` or ``"via proxy HOST:PORT"`` (never the proxy's credentials)."""
        proxy = self.proxy_for(url)
        if proxy is None:
            return "direct"
        parsed = httpx.URL(proxy)
        port = f":{parsed.port}" if parsed.port else ""
        return f"via proxy {parsed.host}{port}"

    def _bypassed(self, host: str, port: int | None) -> bool:
        host = host.lower().strip("[]")
        address = _ip(host)
        if host in _LOOPBACK_NAMES or (address is not None and address.is_loopback):
            return True
        for entry in self.no_proxy:
            if entry == "*":
                return True
            name, entry_port = _split_port(entry)
            if entry_port is not None and entry_port != port:
                continue
            if "/" in name and address is not None:
                try:
                    if address in ipaddress.ip_network(name, strict=False):
                        return True
                except ValueError:
                    continue
            elif host == name.lstrip("*.") or host.endswith("." + name.lstrip("*.")):
                return True
        return False


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _split_port(entry: str) -> tuple[str, int | None]:
    """``host:port`` -> (host, port); IPv6 literals and CIDRs keep their colons."""
    if entry.startswith("["):
        inner, _, rest = entry[1:].partition("]")
        return inner, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    if entry.count(":") == 1:
        name, _, port = entry.partition(":")
        if port.isdigit():
            return name, int(port)
    return entry, None


def default_ssl_context() -> ssl.SSLContext:
    """Verification on, with the system CAs plus certifi's bundle."""
    import certifi  # importlib.resources and all: only when an https URL is probed

    context = ssl.create_default_context()
    context.load_verify_locations(certifi.where())
    return context


def _no_tls_context() -> ssl.SSLContext:
    """For plain-http pools, which never start TLS: verifying, and trusting no one.

    Building the real context (loading two CA bundles) costs ~50 ms, a sixth of an
    ``onduty check`` of an http:// URL; it is made only when an https URL is probed.
    Should this context ever be used, every handshake fails verification.
    """
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class RoutingTransport(httpx.AsyncBaseTransport):
    """Sends each request direct or through its proxy, as ``ProxyRoutes`` decides.

    One pool per (proxy, needs TLS, the request's ``POOL_EXTENSION`` name), each with
    the client's limits; the verifying TLS context is made on first use (``verify``
    None) or is the one given.
    """

    def __init__(self, routes: ProxyRoutes, verify: ssl.SSLContext | None,
                 limits: httpx.Limits) -> None:
        self._routes = routes
        self._verify = verify
        self._limits = limits
        self._pools: dict[tuple[str | None, bool, str | None], httpx.AsyncHTTPTransport] = {}

    def _pool(self, proxy: str | None, tls: bool, name: str | None) -> httpx.AsyncHTTPTransport:
        pool = self._pools.get((proxy, tls, name))
        if pool is None:
            if tls and self._verify is None:
                self._verify = default_ssl_context()
            context = self._verify if tls and self._verify is not None else _no_tls_context()
            pool = httpx.AsyncHTTPTransport(
                proxy=httpx.Proxy(proxy) if proxy else None, verify=context,
                limits=self._limits, trust_env=False,
            )
            self._pools[(proxy, tls, name)] = pool
        return pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        proxy = self._routes.proxy_for(request.url)
        tls = request.url.scheme == "https" or bool(proxy and proxy.startswith("https:"))
        name = request.extensions.get(POOL_EXTENSION)
        return await self._pool(proxy, tls, name).handle_async_request(request)

    async def aclose(self) -> None:
        for pool in self._pools.values():
            await pool.aclose()


def make_client(
    *,
    verify: ssl.SSLContext | None = None,
    routes: ProxyRoutes | None = None,
    max_connections: int = 100,
) -> httpx.AsyncClient:
    """The probe client: verified TLS, onduty's proxy routing, no automatic redirects.

    ``verify`` defaults to the system CAs plus certifi's, loaded on the first https probe.
    ``max_connections`` is per pool (see ``RoutingTransport``). Connections are kept
    alive for a minute so a 30 s poll reuses them.
    """
    limits = httpx.Limits(
        max_connections=max_connections,
        max_keepalive_connections=max_connections,
        keepalive_expiry=60,
    )
    transport = RoutingTransport(routes or ProxyRoutes.from_environ(), verify, limits)
    return httpx.AsyncClient(
        transport=transport,
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": "onduty-health/0.1", "Accept-Encoding": "identity"},
    )
