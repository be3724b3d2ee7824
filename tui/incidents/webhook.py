"""Posting a status update to a Slack-compatible incoming webhook.

The webhook's URL is the credential (whoever has it can post to the channel), so it is a
keyring secret read by name at use time. It never appears in an outcome, the timeline or
a log record: every text that leaves this module is scrubbed of it, sanitised and
redacted. The post has one overall deadline, follows no redirect to another origin, reads
at most a few KiB of the reply, and never uses plain HTTP except to a loopback host.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from tui.redact import REDACTOR, redact
from tui.sanitize import sanitize

WEBHOOK_TIMEOUT_S = 10.0
MAX_REDIRECTS = 3
MAX_REPLY_BYTES = 4096
MAX_DETAIL_CHARS = 200
URL_MASK = "[webhook]"
_SLACK_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


@dataclass(frozen=True)
class WebhookOutcome:
    """What became of one post: ``ok`` for a 2xx reply; ``detail`` never holds the URL."""

    ok: bool
    status: int | None
    detail: str

    @property
    def summary(self) -> str:
        """``posted (HTTP 200)`` or ``failed: HTTP 500 invalid_payload``."""
        if self.ok:
            return f"posted (HTTP {self.status})"
        return f"failed: {self.detail}"

    def payload(self) -> dict[str, Any]:
        """The outcome as the timeline keeps it (inside a status_update_sent entry)."""
        return {"ok": self.ok, "status": self.status, "detail": self.detail}


class _MaskSecrets(logging.Filter):
    """httpx logs every request URL at INFO: mask known secrets in its records."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


_LOG_MASK = _MaskSecrets()


def _mask_httpx_logs() -> None:
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if _LOG_MASK not in logger.filters:
            logger.addFilter(_LOG_MASK)


def slack_message(text: str) -> bytes:
    """The JSON body: redacted text with Slack's control characters escaped.

    Escaping ``&``, ``<`` and ``>`` keeps text copied from logs from becoming
    ``<!channel>`` pings or links in the channel.
    """
    return json.dumps({"text": redact(text).translate(_SLACK_ESCAPES)}).encode()


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_problem(url: str) -> str | None:
    """Why ``url`` cannot be posted to (said without quoting it), or None."""
    try:
        scheme, host, _port = _origin(url)
    except ValueError:
        return "the webhook secret is not a valid URL"
    if scheme not in ("http", "https") or not host:
        return "the webhook secret is not an http(s) URL"
    if scheme == "http" and not _loopback(host):
        return "the webhook URL is plain http: use its https:// form"
    return None


def _scrub(text: str, url: str) -> str:
    """``text`` without the URL (whole or its path), sanitised, redacted and shortened."""
    parts = urlsplit(url)
    for secret in (url, parts.path + (f"?{parts.query}" if parts.query else ""), parts.path):
        if len(secret) > 1:
            text = text.replace(secret, URL_MASK)
    text = " ".join(sanitize(redact(text)).split())
    return text if len(text) <= MAX_DETAIL_CHARS else text[: MAX_DETAIL_CHARS - 1] + "…"


async def _read_some(response: httpx.Response) -> str:
    body = b""
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) >= MAX_REPLY_BYTES:
            break
    return body[:MAX_REPLY_BYTES].decode("utf-8", errors="replace")


async def _post(client: httpx.AsyncClient, url: str, body: bytes) -> WebhookOutcome:
    target = url
    for _hop in range(MAX_REDIRECTS + 1):
        request = client.build_request("POST", target, content=body,
                                       headers={"Content-Type": "application/json"})
        response = await client.send(request, stream=True)
        try:
            reply = await _read_some(response)
        finally:
            await response.aclose()
        if not response.is_redirect:
            if response.is_success:
                return WebhookOutcome(True, response.status_code, _scrub(reply, url))
            said = _scrub(reply, url)
            detail = f"HTTP {response.status_code}" + (f" {said}" if said else "")
            return WebhookOutcome(False, response.status_code, detail)
        location = response.headers.get("location", "")
        following = urljoin(target, location)
        if not location or _origin(following) != _origin(url):
            return WebhookOutcome(False, response.status_code,
                                  f"HTTP {response.status_code}: redirected to another "
                                  "origin, not followed")
        target = following
    return WebhookOutcome(False, None, f"more than {MAX_REDIRECTS} redirects, not followed")


async def post_status_update(url: str, text: str, *, timeout_s: float = WEBHOOK_TIMEOUT_S,
                             transport: httpx.AsyncBaseTransport | None = None,
                             ) -> WebhookOutcome:
    """Post ``text`` to the webhook at ``url`` within ``timeout_s`` seconds, all told.

    Never raises for a network or HTTP failure: the outcome says what happened, so the
    caller can record it. Proxies are taken from the environment (``HTTPS_PROXY``,
    ``NO_PROXY``), as a bastion host reaching a chat service usually needs them.
    """
    REDACTOR.register(url)
    _mask_httpx_logs()
    problem = _url_problem(url)
    if problem is not None:
        return WebhookOutcome(False, None, problem)
    body = slack_message(text)
    try:
        async with (
            asyncio.timeout(timeout_s),
            httpx.AsyncClient(transport=transport, follow_redirects=False,
                              timeout=httpx.Timeout(timeout_s),
                              headers={"User-Agent": "onduty-incident/0.1"}) as client,
        ):
            return await _post(client, url, body)
    except (TimeoutError, httpx.TimeoutException):
        return WebhookOutcome(False, None, f"no answer within {timeout_s:g} s")
    except httpx.HTTPError as exc:
        reason = _scrub(str(exc), url) or type(exc).__name__
        return WebhookOutcome(False, None, f"{type(exc).__name__}: {reason}")
    except OSError as exc:
        return WebhookOutcome(False, None, _scrub(f"{type(exc).__name__}: {exc}", url))
