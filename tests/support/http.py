"""Real HTTP(S) servers on 127.0.0.1 for probe tests, and certificates made on the spot.

``LocalServer`` runs the stdlib ``ThreadingHTTPServer`` in a thread with a route table.
A route returns a ``Reply``; a streamed reply yields chunks (a slow drip, an endless
body). ``Certificates`` makes a CA and leaf certificates (valid, expired, self-signed,
wrong host, expiring soon) with ``cryptography``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Seen:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Reply:
    """What a route answers. ``stream`` (if set) is sent chunk by chunk, then the socket closes."""

    status: int = 200
    body: bytes | str = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    stream: Callable[[threading.Event], Iterator[bytes]] | None = None


Route = Callable[[Seen], Reply]


def json_reply(text: str, status: int = 200) -> Route:
    """A route that always answers ``text`` as JSON with ``status``."""
    return lambda _seen: Reply(status, text)


def text_reply(text: str, status: int = 200) -> Route:
    """A route that always answers plain ``text``."""
    return lambda _seen: Reply(status, text, "text/plain; charset=utf-8")


def redirect(location: str, status: int = 302) -> Route:
    """A route that redirects to ``location``."""
    return lambda _seen: Reply(status, b"", "text/plain", {"Location": location})


class _Server(ThreadingHTTPServer):
    """The stdlib server with a listen backlog for many probes at once (default: 5)."""

    request_queue_size = 256


class _IPv6Server(_Server):
    address_family = socket.AF_INET6


class LocalServer:
    """A threaded HTTP(S) server on 127.0.0.1 (or ``bind``, e.g. ``::1``) with a mutable
    route table."""

    def __init__(self, routes: dict[str, Route] | None = None,
                 tls: ssl.SSLContext | None = None, *, bind: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.seen: list[Seen] = []
        self.stopping = threading.Event()
        self._tls = tls
        server_class = _IPv6Server if ":" in bind else _Server
        self._server = server_class((bind, 0), self._handler_class())
        self._server.daemon_threads = True
        self._server.handle_error = lambda *_args: None  # type: ignore[method-assign]
        if tls is not None:
            self._server.socket = tls.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,),
                                        daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        scheme = "https" if self._tls else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                if isinstance(self.request, ssl.SSLSocket):
                    self.request.settimeout(5)
                    self.request.do_handshake()
                super().setup()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: tests read ``server.seen`` instead."""

            def do_GET(self) -> None:
                seen = Seen("GET", self.path, {k.lower(): v for k, v in self.headers.items()})
                server.seen.append(seen)
                route = server.routes.get(self.path.split("?")[0]) or server.routes.get(self.path)
                reply = route(seen) if route else Reply(404, '{"error": "no route"}')
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.stream is None:
                    body = reply.body.encode() if isinstance(reply.body, str) else reply.body
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                try:
                    for chunk in reply.stream(server.stopping):
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except OSError:
                    return

        return Handler


def drip(interval: float, byte: bytes = b" ") -> Callable[[threading.Event], Iterator[bytes]]:
    """A body of one byte every ``interval`` seconds, until the client or server goes away."""

    def chunks(stopping: threading.Event) -> Iterator[bytes]:
        yield b"{"
        while not stopping.wait(interval):
            yield byte

    return chunks


def endless(chunk_size: int = 64 * 1024) -> Callable[[threading.Event], Iterator[bytes]]:
    """A body that never ends (a 5 GB download as far as the client can tell)."""

    def chunks(stopping: threading.Event) -> Iterator[bytes]:
        block = b"x" * chunk_size
        while not stopping.is_set():
            yield block

    return chunks


def hang() -> Callable[[threading.Event], Iterator[bytes]]:
    """Headers, then nothing until the server stops."""

    def chunks(stopping: threading.Event) -> Iterator[bytes]:
        stopping.wait(60)
        yield b""

    return chunks


# --------------------------------------------------------------------------- certificates


class Certificates:
    """A throwaway CA plus leaf certificates for 127.0.0.1, written under ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._ca_key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "onduty test CA")])
        now = dt.datetime.now(dt.UTC)
        self._ca_name = name
        self._ca = (
            x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(self._ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=30))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .sign(self._ca_key, hashes.SHA256())
        )
        self.ca_file = folder / "ca.pem"
        self.ca_file.write_bytes(self._ca.public_bytes(serialization.Encoding.PEM))

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts only this CA."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    def server_context(self, *, valid_days: float = 365, expired: bool = False,
                       self_signed: bool = False, host: str = "127.0.0.1") -> ssl.SSLContext:
        """A server context whose certificate is valid, expired, self-signed or for ``host``."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
        try:
            alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            alt = x509.DNSName(host)
        if expired:
            start, end = now - dt.timedelta(days=40), now - dt.timedelta(days=2)
        else:
            start, end = now - dt.timedelta(days=1), now + dt.timedelta(days=valid_days)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject if self_signed else self._ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
        )
        cert = builder.sign(key if self_signed else self._ca_key, hashes.SHA256())
        stem = f"leaf-{x509.random_serial_number()}"
        cert_file = self.folder / f"{stem}.pem"
        key_file = self.folder / f"{stem}.key"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        return context


# --------------------------------------------------------------------------- waiting


async def wait_until(condition: Callable[[], bool | Awaitable[bool]], timeout: float = 5.0,
                     what: str = "condition") -> None:
    """Poll ``condition`` every few ms until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.005)
