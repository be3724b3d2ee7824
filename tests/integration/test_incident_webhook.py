"""Status updates posted to a real Slack-compatible webhook on 127.0.0.1.

The URL is the secret: no outcome, log record or error may carry it (or its token path).
"""

from __future__ import annotations

import logging
import time

import pytest

from tests.support.http import Reply, hang, redirect, text_reply
from tests.support.webhook import HOOK_PATH, WebhookServer
from tui.incidents.webhook import post_status_update, slack_message
from tui.redact import REDACTOR

TOKEN = HOOK_PATH.rsplit("/", 1)[1]


@pytest.fixture(autouse=True)
def _no_proxy_no_secrets(monkeypatch: pytest.MonkeyPatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    REDACTOR.forget_all()
    yield
    REDACTOR.forget_all()


async def test_a_post_sends_escaped_redacted_json_and_reports_ok(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with WebhookServer({HOOK_PATH: text_reply("ok")}) as server:
        outcome = await post_status_update(
            server.hook_url(), "P0 <!channel> API & db down\npassword=hunter2 in the log")
    assert outcome.ok and outcome.status == 200 and outcome.summary == "posted (HTTP 200)"
    assert server.seen[0].headers["content-type"] == "application/json"
    sent = server.posted[0]["text"]
    assert sent.startswith("P0 &lt;!channel&gt; API &amp; db down\n")
    assert "hunter2" not in sent
    assert "HTTP Request: POST" in caplog.text
    assert TOKEN not in caplog.text


async def test_a_failure_reports_the_status_without_the_url() -> None:
    echo = text_reply(f"invalid_token for {HOOK_PATH}", status=403)
    with WebhookServer({HOOK_PATH: echo}) as server:
        outcome = await post_status_update(server.hook_url(), "update")
    assert not outcome.ok and outcome.status == 403
    assert outcome.detail.startswith("HTTP 403 invalid_token for [webhook]")
    assert TOKEN not in repr(outcome)


async def test_a_redirect_to_another_origin_is_not_followed() -> None:
    with WebhookServer({"/elsewhere": text_reply("ok")}) as other:
        with WebhookServer({HOOK_PATH: redirect(other.url("/elsewhere"), 307)}) as server:
            outcome = await post_status_update(server.hook_url(), "update")
        assert other.posted == []
    assert not outcome.ok and outcome.status == 307
    assert "another origin, not followed" in outcome.detail
    assert len(server.posted) == 1


async def test_a_same_origin_redirect_is_followed_with_the_same_body() -> None:
    routes = {HOOK_PATH: redirect("/v2" + HOOK_PATH, 308), "/v2" + HOOK_PATH: text_reply("ok")}
    with WebhookServer(routes) as server:
        outcome = await post_status_update(server.hook_url(), "moved")
    assert outcome.ok
    assert [p["text"] for p in server.posted] == ["moved", "moved"]
    assert [s.path for s in server.seen] == [HOOK_PATH, "/v2" + HOOK_PATH]


async def test_a_server_that_never_answers_fails_at_the_deadline() -> None:
    with WebhookServer({HOOK_PATH: lambda _seen: Reply(200, stream=hang())}) as server:
        started = time.monotonic()
        outcome = await post_status_update(server.hook_url(), "update", timeout_s=0.5)
        elapsed = time.monotonic() - started
    assert not outcome.ok and outcome.detail == "no answer within 0.5 s"
    assert elapsed < 3


async def test_nothing_listening_and_plain_http_elsewhere_fail_without_the_url() -> None:
    with WebhookServer() as server:
        closed = server.hook_url()
    refused = await post_status_update(closed, "update", timeout_s=2)
    assert not refused.ok and refused.status is None
    assert refused.detail.startswith("ConnectError") and TOKEN not in refused.detail
    plain = await post_status_update(f"http://hooks.example.com{HOOK_PATH}", "update")
    assert plain.detail == "the webhook URL is plain http: use its https:// form"
    garbage = await post_status_update("not a url", "update")
    assert garbage.detail == "the webhook secret is not an http(s) URL"


def test_the_body_is_slack_json() -> None:
    assert slack_message('a "quoted" <b>') == b'{"text": "a \\"quoted\\" &lt;b&gt;"}'
