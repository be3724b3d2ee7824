"""A local Slack-compatible webhook: LocalServer plus POST, keeping every body received."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.http import LocalServer, Reply, Route, Seen

HOOK_PATH = "/services/T0ONDUTY/B0ONDUTY/s3cr3tHookTokenValue42"


class WebhookServer(LocalServer):
    """A :class:`LocalServer` that also answers POST from the same route table.

    ``posted`` holds the decoded JSON body of every POST, in arrival order.
    """

    def __init__(self, routes: dict[str, Route] | None = None) -> None:
        self.posted: list[dict[str, Any]] = []
        super().__init__(routes)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        base: Any = super()._handler_class()
        server = self

        class Handler(base):  # type: ignore[misc, valid-type]
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                server.posted.append(json.loads(body or b"{}"))
                seen = Seen("POST", self.path, {k.lower(): v for k, v in self.headers.items()})
                server.seen.append(seen)
                route = server.routes.get(self.path)
                reply = route(seen) if route else Reply(404, "no_service", "text/plain")
                if reply.stream is not None:
                    self.send_response(reply.status)
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.close_connection = True
                    for chunk in reply.stream(server.stopping):
                        self.wfile.write(chunk)
                    return
                data = reply.body.encode() if isinstance(reply.body, str) else reply.body
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def hook_url(self) -> str:
        """The webhook's full URL (the secret)."""
        return self.url(HOOK_PATH)
