"""SecretStore.status and the config's secret references: what the secrets screen lists.

Real keyring backends (in-process, fail, null, locked, blocking, an empty chain): every
state is told apart, and "missing" is said only when the keyring answered.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

from tests.support.keyrings import BlockingKeyring, LockedKeyring, MemoryKeyring
from tui.config import parse_config
from tui.redact import REDACTOR, redact
from tui.secrets import (
    SERVICE,
    SecretStore,
    SecretUnavailable,
    bearer_endpoints,
    env_var_name,
    headless_summary,
    secret_uses,
)

NAME = "production/database_url"
TOKEN = "production/api_token"


@pytest.fixture(autouse=True)
def _fresh_redactor() -> Iterator[None]:
    REDACTOR.forget_all()
    yield
    REDACTOR.forget_all()


def make_store(tmp_path: Path, backend: KeyringBackend, **kwargs: object) -> SecretStore:
    return SecretStore(
        backend=backend,
        index_path=tmp_path / "secret-names.json",
        encrypted_path=tmp_path / "secrets.enc.json",
        environ=kwargs.pop("environ", {}),  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


async def test_every_source_and_missing_are_told_apart(tmp_path: Path) -> None:
    backend = MemoryKeyring()
    backend.set_password(SERVICE, NAME, "postgresql://u:kr-pass@h/db")
    store = make_store(tmp_path, backend, environ={env_var_name("a/env"): "env-value-1"})
    store.remember_for_session("a/session", "session-value-1")
    statuses = await store.statuses([NAME, "a/env", "a/session", "a/missing"])
    assert [(s.name, s.state, s.label, s.usable) for s in statuses] == [
        (NAME, "keyring", "set in keyring", True),
        ("a/env", "environment", "from environment", True),
        ("a/session", "session", "session only", True),
        ("a/missing", "missing", "missing", False),
    ]
    assert "is not set" in statuses[3].detail
    assert statuses[0].detail == "" and "kr-pass" not in repr(statuses)
    # Reading a status loads the value, so it is registered for redaction.
    assert redact("x kr-pass y") == "x «redacted» y"


async def test_locked_keyring_is_locked_not_missing(tmp_path: Path) -> None:
    status = await make_store(tmp_path, LockedKeyring()).status(NAME)
    assert (status.state, status.label, status.usable) == ("locked", "keyring locked", False)
    assert "Unlock it" in status.detail


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()], ids=["fail", "null"])
async def test_headless_backends_are_unavailable_not_missing(
    tmp_path: Path, backend: KeyringBackend
) -> None:
    status = await make_store(tmp_path, backend).status(NAME)
    assert (status.state, status.label) == ("unavailable", "keyring unavailable")


async def test_a_chain_of_nothing_is_unavailable_not_missing(tmp_path: Path) -> None:
    class EmptyChain(chainer.ChainerBackend):
        backends: ClassVar[list[KeyringBackend]] = []

    store = make_store(tmp_path, EmptyChain())
    with pytest.raises(SecretUnavailable, match="no usable keyring"):
        await store.get(NAME)
    assert (await store.status(NAME)).state == "unavailable"


async def test_blocking_keyring_statuses_time_out_together(tmp_path: Path) -> None:
    backend = BlockingKeyring()
    try:
        store = make_store(tmp_path, backend, timeout=0.3)
        started = time.monotonic()
        statuses = await store.statuses([f"prod/s{i}" for i in range(5)])
        elapsed = time.monotonic() - started
        assert {s.state for s in statuses} == {"unavailable"}
        assert "did not answer within 0.3 s" in statuses[0].detail
        assert elapsed < 1.5  # concurrent: five deadlines cost one
    finally:
        backend.release()


def test_secret_uses_lists_databases_and_endpoint_tokens_in_config_order(
    tmp_path: Path,
) -> None:
    config = parse_config(f"""
[environments.production]
base_url = "http://127.0.0.1:9"
database = "{NAME}"
[[environments.production.health]]
path = "/health"
auth = "{TOKEN}"
[[environments.production.health]]
path = "/ready"
auth = "{TOKEN}"
[environments.staging]
base_url = "http://127.0.0.1:9"
database = "staging/database_url"
""", tmp_path / "config.toml")
    uses = secret_uses(config)
    assert list(uses) == [NAME, TOKEN, "staging/database_url"]
    assert [u.label for u in uses[NAME]] == ["production database"]
    assert [u.label for u in uses[TOKEN]] == ["production /health auth",
                                               "production /ready auth"]
    assert [u.kind for u in uses[TOKEN]] == ["bearer", "bearer"]
    assert [e.name for _env, e in bearer_endpoints(config, TOKEN)] == ["/health", "/ready"]
    assert bearer_endpoints(config, NAME) == ()


async def test_headless_summary_names_the_three_fixes(tmp_path: Path) -> None:
    info = await make_store(tmp_path, fail.Keyring()).backend_info()
    summary = headless_summary(info)
    assert "keyring.backends.fail.Keyring" in summary
    for fix in ("dbus-run-session", "ONDUTY_KEYRING_BACKEND=encrypted-file",
                "ONDUTY_SECRET_<ENV>_<NAME>", "ctrl+k"):
        assert fix in summary
    assert len(summary.splitlines()) <= 4  # short enough for a notification
