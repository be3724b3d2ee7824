"""`u` with a webhook configured: copy, post to a real local webhook, record the outcome."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.http import text_reply
from tests.support.incident_ui import CONFIG, open_incident, screen_text, store_path
from tests.support.incidents import wait_for
from tests.support.keyrings import MemoryKeyring
from tests.support.secrets import shared_store
from tests.support.webhook import HOOK_PATH, WebhookServer
from tui.app import OnDutyApp, create_app
from tui.config import parse_config
from tui.incidents.export import export_postmortem
from tui.incidents.store import IncidentStore

TOKEN = HOOK_PATH.rsplit("/", 1)[1]


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def webhook_app(tmp_path: Path) -> OnDutyApp:
    source = CONFIG.format(store=store_path(tmp_path)).replace(
        "[incidents]\n", '[incidents]\nwebhook = "team/slack_webhook"\n')
    config = parse_config(source, tmp_path / "config.toml")
    return create_app(config, engines=False, incidents=True,
                      state_file=tmp_path / "state.json")


def sent_updates(tmp_path: Path) -> list[dict]:
    with IncidentStore(store_path(tmp_path)) as store:
        incident_id = store.incidents()[0].id
        return [dict(e.payload) for e in store.entries(incident_id)
                if e.kind == "status_update_sent"]


async def post_update(app: OnDutyApp, pilot) -> str:
    await pilot.press("u")
    await wait_for(lambda: type(app.screen).__name__ == "TemplateDialog")
    text = app.screen.query_one("TextArea").text
    await pilot.click("#template-post")
    return text


async def test_u_posts_to_the_webhook_and_records_the_outcome(tmp_path: Path) -> None:
    keyring = MemoryKeyring()
    with (WebhookServer({HOOK_PATH: text_reply("ok")}) as server,
          shared_store(tmp_path, keyring) as secrets):
        await secrets.set("team/slack_webhook", server.hook_url())
        app = webhook_app(tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await open_incident(app, pilot, "service-down.md#Service Down",
                                title="API [prod] down")
            text = await post_update(app, pilot)
            await wait_for(lambda: sent_updates(tmp_path), message="the update recorded")
            assert server.posted[0]["text"] == text.strip()
            assert app.clipboard == text.strip()
            [update] = sent_updates(tmp_path)
            assert update["channel"] == "clipboard and webhook"
            assert update["webhook"] == {"ok": True, "status": 200, "detail": "ok"}
            await wait_for(lambda: "webhook post: HTTP 200" in screen_text(app),
                           message="the timeline line")
            assert TOKEN not in screen_text(app)
            incident = app.incidents.incident
            exported = export_postmortem(incident, tmp_path / "pm.md",
                                         now=time.time()).read_text()
            assert "Status update sent to clipboard and webhook; webhook post: HTTP 200" in (
                exported)
            assert TOKEN not in exported


async def test_a_failed_post_is_loud_recorded_and_still_copied(tmp_path: Path) -> None:
    keyring = MemoryKeyring()
    with (WebhookServer({HOOK_PATH: text_reply("channel_is_archived", 410)}) as server,
          shared_store(tmp_path, keyring) as secrets):
        await secrets.set("team/slack_webhook", server.hook_url())
        app = webhook_app(tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await open_incident(app, pilot, "service-down.md#Service Down")
            text = await post_update(app, pilot)
            await wait_for(lambda: sent_updates(tmp_path), message="the update recorded")
            [update] = sent_updates(tmp_path)
            assert update["channel"] == "clipboard"
            assert update["webhook"]["detail"] == "HTTP 410 channel_is_archived"
            assert app.clipboard == text.strip()
            await wait_for(lambda: any(
                "webhook post failed: HTTP 410" in str(n.message) and n.severity == "error"
                for n in app._notifications), message="the error notification")
            assert TOKEN not in str([str(n.message) for n in app._notifications])


async def test_without_a_webhook_only_copy_is_offered(tmp_path: Path) -> None:
    config = parse_config(CONFIG.format(store=store_path(tmp_path)), tmp_path / "c.toml")
    app = create_app(config, engines=False, incidents=True,
                      state_file=tmp_path / "state.json")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_incident(app, pilot, "service-down.md#Service Down")
        await pilot.press("u")
        await wait_for(lambda: type(app.screen).__name__ == "TemplateDialog")
        assert app.screen.query("#template-copy") and not app.screen.query("#template-post")
