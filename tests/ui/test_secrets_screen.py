"""The secrets screen with Pilot: add, replace, delete, test, headless and locked keyrings.

Each test gives the app its own SecretStore on a real keyring backend (an in-process
one, keyring's own ``fail.Keyring``, a locked one) and checks what the screen says and
what the backend holds, and that no value ever reaches the screen.
"""

from __future__ import annotations

from pathlib import Path

from keyring.backends import fail

from tests.support.keyrings import LockedKeyring, MemoryKeyring
from tests.support.pg import dsn_for, wait_for
from tests.support.secrets import notifications, screen_text, shared_store
from tui.app import OnDutyApp, create_app
from tui.config import parse_config
from tui.db.cluster import TempCluster
from tui.secrets import SERVICE, EncryptedFileKeyring, env_var_name
from widgets.secret_input import SecretInput
from widgets.secret_table import SecretTable

DB = "production/database_url"
TOKEN = "production/api_token"
CONFIG = f"""
[environments.production]
base_url = "http://127.0.0.1:9"
database = "{DB}"
[[environments.production.health]]
path = "/health"
auth = "{TOKEN}"
"""
VALUE = "opaque-Value-4711-never-shown"


def make_app(tmp_path: Path, source: str = CONFIG, *, engines: bool = False) -> OnDutyApp:
    config = parse_config(source, tmp_path / "config.toml")
    return create_app(config, engines=engines, state_file=tmp_path / "state.json")


def table_states(app: OnDutyApp) -> dict[str, str]:
    table = app.screen.query_one(SecretTable)
    return {
        str(row.key.value): table.get_row(row.key)[1].plain
        for row in table.rows.values()
    }


async def open_secrets(app: OnDutyApp, pilot: object, expect: str = "") -> None:
    await pilot.press("ctrl+k")  # type: ignore[attr-defined]
    assert app.screen.__class__.__name__ == "SecretsScreen"
    await wait_for(lambda: app.screen.query_one(SecretTable).row_count > 0
                   and expect in screen_text(app), what=f"secrets listed {expect!r}")


async def test_lists_config_names_with_states_and_adds_one(tmp_path: Path) -> None:
    backend = MemoryKeyring()
    backend.set_password(SERVICE, DB, "postgresql://app:pw-in-keyring@db:5432/app")
    app = make_app(tmp_path)
    with shared_store(tmp_path, backend):
        async with app.run_test(size=(120, 30)) as pilot:
            await open_secrets(app, pilot, "set in keyring")
            assert table_states(app) == {DB: "● set in keyring", TOKEN: "○ missing"}
            text = screen_text(app)
            assert "production database" in text and "production /health auth" in text
            assert "pw-in-keyring" not in text
            await pilot.press("a")
            assert app.screen.__class__.__name__ == "SecretDialog"
            await pilot.press(*"staging/webhook")
            await pilot.press("enter")
            field = app.screen.query_one(SecretInput)
            assert field.has_focus and field.password
            await pilot.press(*VALUE)
            assert VALUE not in screen_text(app)  # masked while typed
            await pilot.press("enter")
            await wait_for(lambda: "staging/webhook" in table_states(app), what="new row")
            assert backend.entries[(SERVICE, "staging/webhook")] == VALUE
            assert table_states(app)["staging/webhook"] == "● set in keyring"
            assert field.value == ""  # cleared after use
            text = screen_text(app)
            assert "stored in the keyring" in text and VALUE not in text
            assert "not in config" in text


async def test_replace_and_delete_with_confirmation(tmp_path: Path) -> None:
    backend = MemoryKeyring()
    backend.set_password(SERVICE, DB, "old-value-123")
    app = make_app(tmp_path)
    with shared_store(tmp_path, backend):
        async with app.run_test(size=(120, 30)) as pilot:
            await open_secrets(app, pilot, "set in keyring")
            await pilot.press("enter")  # the cursor is on the database row
            assert app.screen.__class__.__name__ == "SecretDialog"
            assert f"Replace {DB}" in screen_text(app)
            await pilot.press(*VALUE, "enter")
            await wait_for(lambda: backend.entries[(SERVICE, DB)] == VALUE, what="replaced")
            await pilot.press("D")
            assert app.screen.__class__.__name__ == "ConfirmDelete"
            await pilot.press("enter")  # Cancel has the focus: Enter alone never deletes
            assert app.screen.__class__.__name__ == "SecretsScreen"
            assert (SERVICE, DB) in backend.entries
            await pilot.press("D")
            await pilot.click("#delete-yes")
            await wait_for(lambda: (SERVICE, DB) not in backend.entries, what="deleted")
            await wait_for(lambda: table_states(app)[DB] == "○ missing", what="shown missing")
            assert "deleted" in screen_text(app)


async def test_test_connects_to_the_real_database(tmp_path: Path, pg_cluster: TempCluster) -> None:
    dsn = dsn_for(pg_cluster.dsn, password="Pw-With%40At-9321")
    backend = MemoryKeyring()
    backend.set_password(SERVICE, DB, dsn)
    app = make_app(tmp_path)
    with shared_store(tmp_path, backend):
        async with app.run_test(size=(140, 30)) as pilot:
            await open_secrets(app, pilot, "set in keyring")
            await pilot.press("t")
            await wait_for(lambda: "connected:" in screen_text(app), timeout=10,
                           what="test result")
            text = screen_text(app)
            assert f"127.0.0.1:{pg_cluster.port}/postgres, PostgreSQL 15" in text
            assert "Pw-With" not in text
            assert any("connected:" in n for n in notifications(app))
            # A wrong URL says why, without the value.
            backend.set_password(SERVICE, DB, "postgresql://u:Secret-Pw-77@127.0.0.1:9/x")
            await pilot.press("r", "t")
            await wait_for(lambda: "cannot connect" in screen_text(app), timeout=10,
                           what="failed test")
            assert "Secret-Pw-77" not in screen_text(app)


async def test_headless_keyring_session_value_lets_the_database_connect(
    tmp_path: Path, pg_cluster: TempCluster
) -> None:
    source = f"""
[environments.production]
database = "{DB}"
db_poll_interval = "30s"
"""
    app = make_app(tmp_path, source, engines=True)
    with shared_store(tmp_path, fail.Keyring()) as store:
        async with app.run_test(size=(120, 30)) as pilot:
            # The fix is shown once, at start.
            await wait_for(lambda: any("No usable keyring" in n for n in notifications(app)),
                           what="headless notice")
            notice = next(n for n in notifications(app) if "No usable keyring" in n)
            for fix in ("dbus-run-session", "ONDUTY_KEYRING_BACKEND=encrypted-file",
                        "ONDUTY_SECRET_<ENV>_<NAME>"):
                assert fix in notice
            # The db pane waits for the credential, saying the keyring is unavailable.
            await wait_for(lambda: app.db_snapshot() is not None
                           and app.db_snapshot().status == "error", what="db error")
            assert "no keyring is available" in app.db_snapshot().message
            await open_secrets(app, pilot, "keyring unavailable")
            assert table_states(app) == {DB: "✖ keyring unavailable"}
            assert "dbus-run-session" in screen_text(app)  # the full fixes, on the screen
            await pilot.press("enter")
            dialog = app.screen
            assert dialog.query_one("#secret-session").value is True  # session only, forced
            await pilot.press(*pg_cluster.dsn, "enter")
            await wait_for(lambda: table_states(app).get(DB) == "◐ session only",
                           what="session state")
            assert not store.index_path.exists()  # nothing written
            await wait_for(lambda: app.db_snapshot() is not None
                           and app.db_snapshot().status == "ok", timeout=10,
                           what="db connected with the session value")
            assert sum("No usable keyring" in n for n in notifications(app)) == 1


async def test_locked_keyring_is_shown_locked_never_missing(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with shared_store(tmp_path, LockedKeyring()):
        async with app.run_test(size=(120, 30)) as pilot:
            await open_secrets(app, pilot, "keyring locked")
            assert set(table_states(app).values()) == {"✖ keyring locked"}
            text = screen_text(app)
            assert "missing" not in text and "not set" not in text
            # Saving into a locked keyring keeps the value for the session instead.
            await pilot.press("enter", *VALUE, "enter")
            await wait_for(lambda: table_states(app)[DB] == "◐ session only", what="session")
            assert "NOT stored" in screen_text(app)
            assert VALUE not in screen_text(app)


async def test_palette_offers_secrets_manage(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with shared_store(tmp_path, MemoryKeyring()):
        async with app.run_test(size=(100, 30)) as pilot:
            titles = [c.title for c in app.get_system_commands(app.screen)]
            assert "secrets: manage" in titles
            await pilot.press("ctrl+p", *"secrets: manage")
            await wait_for(lambda: "secrets: manage" in screen_text(app), what="palette hit")
            await pilot.press("enter")
            await wait_for(lambda: app.screen.__class__.__name__ == "SecretsScreen",
                           what="secrets screen")
            await pilot.press("escape")
            assert app.screen.__class__.__name__ == "DashboardScreen"


async def test_environment_value_is_shown_as_such_and_not_deleted(tmp_path: Path) -> None:
    backend = MemoryKeyring()
    app = make_app(tmp_path)
    environ = {env_var_name(DB): "postgresql://u:Env-Pw-31@h/db"}
    with shared_store(tmp_path, backend, environ=environ):
        async with app.run_test(size=(120, 30)) as pilot:
            await open_secrets(app, pilot, "from environment")
            assert table_states(app)[DB] == "● from environment"
            await pilot.press("D")
            assert app.screen.__class__.__name__ == "SecretsScreen"  # nothing to confirm
            text = screen_text(app)
            assert f"set by the variable {env_var_name(DB)}; unset that" in text
            assert "Env-Pw-31" not in text


async def test_encrypted_file_is_unlocked_with_a_passphrase_then_stores(tmp_path: Path) -> None:
    backend = EncryptedFileKeyring(tmp_path / "secrets.enc.json", scrypt_n=2**10)
    app = make_app(tmp_path)
    with shared_store(tmp_path, backend):
        async with app.run_test(size=(120, 30)) as pilot:
            await open_secrets(app, pilot, "keyring locked")
            assert "encrypted file locked" in screen_text(app)
            await pilot.press("U")
            assert app.screen.__class__.__name__ == "PassphraseDialog"
            await pilot.press(*"pass-Phrase-1", "enter", *"pass-Phrase-2", "enter")
            assert "differ" in screen_text(app)  # a typo is caught, nothing created
            await pilot.press(*"pass-Phrase-1", "enter", *"pass-Phrase-1", "enter")
            await wait_for(lambda: "unlocked for this session" in screen_text(app),
                           what="unlocked")
            await wait_for(lambda: table_states(app)[DB] == "○ missing", what="readable")
            await pilot.press("enter", *VALUE, "enter")
            await wait_for(lambda: table_states(app)[DB] == "● set in keyring", what="stored")
            assert backend.get_password(SERVICE, DB) == VALUE
            assert VALUE not in backend.path.read_text()
            assert "pass-Phrase" not in screen_text(app)
