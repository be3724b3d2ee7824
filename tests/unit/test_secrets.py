"""SecretStore against real keyring backends: in-process, fail, null, locked, blocking."""

from __future__ import annotations

import asyncio
import json
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import SecretService, chainer, fail, null

from tests.support.keyrings import (
    BlockingKeyring,
    LockedKeyring,
    MemoryKeyring,
    PlaintextKeyring,
    installed,
)
from tui.errors import OnDutyError
from tui.redact import REDACTOR, redact
from tui.secrets import (
    SERVICE,
    SecretError,
    SecretLocked,
    SecretNotFound,
    SecretStore,
    SecretUnavailable,
    classify,
    env_var_name,
    headless_fixes,
)

NAME = "production/database_url"
DSN = "postgres://app:s3cr@t-pw@db.internal:5432/app"


@pytest.fixture(autouse=True)
def _fresh_redactor() -> Iterator[None]:
    REDACTOR.forget_all()
    yield
    REDACTOR.forget_all()


def make_store(tmp_path: Path, **kwargs: object) -> SecretStore:
    return SecretStore(
        index_path=tmp_path / "state" / "secret-names.json",
        encrypted_path=tmp_path / "data" / "secrets.enc.json",
        environ=kwargs.pop("environ", {}),  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


async def test_round_trip_uses_one_service_and_env_slash_name(tmp_path: Path) -> None:
    with installed(MemoryKeyring()) as backend:
        store = make_store(tmp_path)
        result = await store.set(NAME, DSN)
        assert result.secure and result.warning is None
        # The same entry `keyring get onduty production/database_url` reads.
        assert keyring.get_password(SERVICE, NAME) == DSN
        assert backend.entries == {(SERVICE, NAME): DSN}
        secret = await store.get(NAME)
        assert (secret.value, secret.source) == (DSN, "keyring")
        assert DSN not in repr(secret)
        assert await store.names() == [NAME]
        await store.delete(NAME)
        assert backend.entries == {}
        assert await store.names() == []
        with pytest.raises(SecretNotFound):
            await store.get(NAME)


async def test_missing_entry_is_not_found_for_get_and_delete(tmp_path: Path) -> None:
    with installed(MemoryKeyring()):
        store = make_store(tmp_path)
        with pytest.raises(SecretNotFound, match="onduty secret set production/database_url"):
            await store.get(NAME)
        with pytest.raises(SecretNotFound):
            await store.delete(NAME)


async def test_index_keeps_names_only_with_private_mode(tmp_path: Path) -> None:
    with installed(MemoryKeyring()):
        store = make_store(tmp_path)
        await store.set(NAME, DSN)
        await store.set("staging/api_token", "tok-123456")
        text = store.index_path.read_text()
        assert json.loads(text) == {"names": ["production/database_url", "staging/api_token"]}
        assert DSN not in text and "tok-123456" not in text
        assert stat.S_IMODE(store.index_path.stat().st_mode) == 0o600


async def test_bad_names_are_rejected_before_any_keyring_call(tmp_path: Path) -> None:
    with installed(LockedKeyring()):
        store = make_store(tmp_path)
        for bad in ("database_url", "a/b/c", "prod/../x y", ""):
            with pytest.raises(SecretError) as info:
                await store.get(bad)
            assert type(info.value) is SecretError
            assert isinstance(info.value, OnDutyError)


async def test_environment_is_consulted_first(tmp_path: Path) -> None:
    assert env_var_name("prod-eu/api.token") == "ONDUTY_SECRET_PROD_EU_API_TOKEN"
    with installed(MemoryKeyring()) as backend:
        backend.set_password(SERVICE, NAME, "from-the-keyring")
        store = make_store(tmp_path, environ={env_var_name(NAME): "from-the-env"})
        secret = await store.get(NAME)
        assert (secret.value, secret.source) == ("from-the-env", "environment")
        assert redact("leaked from-the-env here") == "leaked «redacted» here"


async def test_environment_works_without_any_keyring(tmp_path: Path) -> None:
    with installed(fail.Keyring()):
        store = make_store(tmp_path, environ={"ONDUTY_SECRET_PRODUCTION_DATABASE_URL": DSN})
        assert (await store.get(NAME)).source == "environment"


async def test_fail_keyring_is_unavailable_never_not_found(tmp_path: Path) -> None:
    with installed(fail.Keyring()):
        store = make_store(tmp_path)
        with pytest.raises(SecretUnavailable) as read:
            await store.get(NAME)
        assert not isinstance(read.value, SecretNotFound)
        with pytest.raises(SecretUnavailable):
            await store.set(NAME, DSN)
        info = await store.backend_info()
        assert (info.kind, info.headless, info.secure) == ("fail", True, False)
        assert info.name == "keyring.backends.fail.Keyring"
        fixes = headless_fixes(info)
        assert "dbus-run-session" in fixes and "gnome-keyring-daemon --unlock" in fixes
        assert "ONDUTY_KEYRING_BACKEND=encrypted-file" in fixes
        assert "ONDUTY_SECRET_PRODUCTION_DATABASE_URL" in fixes


async def test_fail_keyring_asks_each_session_and_keeps_in_memory(tmp_path: Path) -> None:
    with installed(fail.Keyring()):
        store = make_store(tmp_path)
        store.remember_for_session(NAME, DSN)
        secret = await store.get(NAME)
        assert (secret.value, secret.source) == (DSN, "session")
        assert await store.names() == [NAME]
        assert not store.index_path.exists()
        assert "s3cr@t-pw" not in redact(f"error: {DSN}")
        await store.delete(NAME)
        assert await store.names() == []
        # A new session (new store) does not know it.
        with pytest.raises(SecretUnavailable):
            await make_store(tmp_path).get(NAME)


async def test_null_keyring_write_is_read_back_and_refused(tmp_path: Path) -> None:
    with installed(null.Keyring()):
        store = make_store(tmp_path)
        with pytest.raises(SecretUnavailable, match=r"NOT stored.*null backend discards"):
            await store.set(NAME, DSN)
        with pytest.raises(SecretUnavailable, match="null keyring backend"):
            await store.get(NAME)
        assert await store.names() == []
        info = await store.backend_info()
        assert (info.kind, info.headless) == ("null", True)


async def test_plaintext_keyring_stores_with_a_warning(tmp_path: Path) -> None:
    with installed(PlaintextKeyring()):
        store = make_store(tmp_path)
        result = await store.set(NAME, DSN)
        assert not result.secure
        assert result.warning is not None and "WITHOUT encryption" in result.warning
        assert (await store.get(NAME)).value == DSN
        assert (await store.backend_info()).kind == "plaintext"


async def test_dropped_write_from_a_chain_of_nothing_is_reported(tmp_path: Path) -> None:
    class EmptyChain(chainer.ChainerBackend):
        backends: ClassVar[list[KeyringBackend]] = []

    with installed(EmptyChain()):
        store = make_store(tmp_path)
        info = await store.backend_info()
        assert info.kind == "chainer-of:" and info.headless
        with pytest.raises(SecretUnavailable, match="NOT stored"):
            await store.set(NAME, DSN)


def test_chainer_kind_lists_its_members() -> None:
    class Chain(chainer.ChainerBackend):
        backends: ClassVar[list[KeyringBackend]] = [MemoryKeyring(), fail.Keyring()]

    assert classify(Chain()) == "chainer-of:secure,fail"


async def test_locked_keyring_is_locked_never_not_found(tmp_path: Path) -> None:
    with installed(LockedKeyring()):
        store = make_store(tmp_path)
        for call in (store.get(NAME), store.set(NAME, DSN), store.delete(NAME)):
            with pytest.raises(SecretLocked, match="locked") as info:
                await call
            assert not isinstance(info.value, SecretNotFound)


async def test_blocking_keyring_times_out_without_blocking_the_loop(tmp_path: Path) -> None:
    backend = BlockingKeyring()
    try:
        with installed(backend):
            store = make_store(tmp_path, timeout=0.3)
            ticks = 0

            async def ticker() -> None:
                nonlocal ticks
                while True:
                    ticks += 1
                    await asyncio.sleep(0.01)

            beat = asyncio.create_task(ticker())
            started = time.monotonic()
            with pytest.raises(SecretUnavailable, match=r"did not answer within 0\.3 s"):
                await store.get(NAME)
            elapsed = time.monotonic() - started
            beat.cancel()
            assert backend.entered.is_set()
            assert 0.25 <= elapsed < 2.0
            assert ticks >= 5  # the event loop kept running while the keyring hung
    finally:
        backend.release()


def test_default_timeout_is_at_most_five_seconds(tmp_path: Path) -> None:
    assert 0 < make_store(tmp_path).timeout <= 5


@pytest.mark.parametrize("address", [None, "unix:path={tmp}/no-such-bus"])
async def test_dbus_errors_are_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, address: str | None
) -> None:
    # No session bus at all (what autolaunch meets over SSH), or a dead bus address.
    if address is None:
        monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
        monkeypatch.setenv("DISPLAY", ":99")
    else:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address.format(tmp=tmp_path))
    store = make_store(tmp_path, backend=SecretService.Keyring())
    for call in (store.get(NAME), store.set(NAME, DSN), store.delete(NAME)):
        with pytest.raises(SecretUnavailable, match="keyring unavailable") as info:
            await call
        assert not isinstance(info.value, SecretNotFound | SecretLocked)


async def test_loaded_and_stored_values_are_registered_for_redaction(tmp_path: Path) -> None:
    with installed(MemoryKeyring()) as backend:
        backend.set_password(SERVICE, "staging/token", "opaque-token-value")
        store = make_store(tmp_path)
        assert "opaque-token-value" in redact("x opaque-token-value")
        await store.get("staging/token")
        assert redact("x opaque-token-value") == "x «redacted»"
        await store.set(NAME, DSN)
        line = f"could not connect to {DSN}; password s3cr@t-pw rejected"
        assert "s3cr@t-pw" not in redact(line)


async def test_keyring_error_messages_are_redacted(tmp_path: Path) -> None:
    class Leaky(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise RuntimeError(f"backend refused {password}")

    with installed(Leaky()):
        store = make_store(tmp_path)
        with pytest.raises(SecretUnavailable) as info:
            await store.set(NAME, "hunter2-long-enough")
        assert "hunter2-long-enough" not in str(info.value)


async def test_unknown_backend_choice_is_a_plain_error(tmp_path: Path) -> None:
    store = make_store(tmp_path, environ={"ONDUTY_KEYRING_BACKEND": "vault"})
    with pytest.raises(SecretUnavailable, match="'vault' is not understood"):
        await store.backend_info()
