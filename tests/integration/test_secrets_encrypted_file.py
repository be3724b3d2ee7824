"""onduty's encrypted-file backend end to end: real files, real processes, a real pty."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from tests.support.keyrings import PtySession, installed, secret_cli_command
from tui.redact import REDACTOR
from tui.secrets import (
    SERVICE,
    EncryptedFileKeyring,
    SecretLocked,
    SecretNotFound,
    SecretStore,
    SecretUnavailable,
)

NAME = "production/database_url"
VALUE = "postgres://app:Sup3r@Secret@db.internal/app"
PASSPHRASE = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fresh_redactor() -> Iterator[None]:
    REDACTOR.forget_all()
    yield
    REDACTOR.forget_all()


def child_env(home: Path, **extra: str) -> dict[str, str]:
    """A clean environment: private XDG dirs, no D-Bus, keyring detection pinned to fail."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "LANG": "C.UTF-8",
        "TERM": "dumb",
    }
    env.update(extra)
    return env


def test_cli_end_to_end_with_passphrase_prompts_and_no_echo(tmp_path: Path) -> None:
    env = child_env(tmp_path, ONDUTY_KEYRING_BACKEND="encrypted-file")
    first = PtySession([*secret_cli_command(), "set", NAME], env)
    first.expect("New passphrase")
    first.send(PASSPHRASE)
    first.expect("Repeat the passphrase")
    first.send(PASSPHRASE)
    first.expect(f"Value for {NAME}")
    first.send(VALUE)
    assert first.finish() == 0, first.output
    assert f"stored {NAME}".encode() in first.output
    assert VALUE.encode() not in first.output and PASSPHRASE.encode() not in first.output

    secrets_file = tmp_path / "data" / "onduty" / "secrets.enc.json"
    raw = secrets_file.read_bytes()
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert VALUE.encode() not in raw and b"database_url" not in raw
    index = tmp_path / "state" / "onduty" / "secret-names.json"
    assert json.loads(index.read_text()) == {"names": [NAME]}

    # No ONDUTY_KEYRING_BACKEND now: with no keyring and the file present, it is used.
    reveal = PtySession([*secret_cli_command(), "get", "--reveal", NAME], child_env(tmp_path))
    reveal.expect("Passphrase for onduty's encrypted secrets")
    reveal.send(PASSPHRASE)
    assert reveal.finish() == 0, reveal.output
    assert reveal.output.rstrip().endswith(VALUE.encode())

    wrong = PtySession([*secret_cli_command(), "get", NAME], child_env(tmp_path))
    wrong.expect("Passphrase")
    wrong.send("not the passphrase")
    assert wrong.finish() == 2
    assert b"wrong passphrase" in wrong.output and b"not set" not in wrong.output

    removed = PtySession([*secret_cli_command(), "rm", NAME], child_env(tmp_path))
    removed.expect("Passphrase")
    removed.send(PASSPHRASE)
    assert removed.finish() == 0, removed.output
    assert json.loads(index.read_text()) == {"names": []}


def test_cli_without_a_terminal_says_it_needs_one(tmp_path: Path) -> None:
    env = child_env(tmp_path, ONDUTY_KEYRING_BACKEND="encrypted-file")
    done = subprocess.run(
        [*secret_cli_command(), "get", NAME],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        start_new_session=True,
    )
    assert done.returncode == 2
    assert "no terminal to ask for its passphrase" in done.stderr
    assert "Traceback" not in done.stderr


async def test_store_locked_until_unlocked_then_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "secrets.enc.json"
    backend = EncryptedFileKeyring(path, scrypt_n=2**12)
    store = SecretStore(backend=backend, index_path=tmp_path / "names.json", environ={})
    info = await store.backend_info()
    assert (info.kind, info.locked, info.new_file, info.secure) == ("secure", True, True, True)
    with pytest.raises(SecretLocked):
        await store.get(NAME)
    await store.unlock(PASSPHRASE)
    result = await store.set(NAME, VALUE)
    assert result.secure
    assert (await store.get(NAME)).value == VALUE
    with installed(backend):
        assert keyring.get_password(SERVICE, NAME) == VALUE

    again = SecretStore(
        backend=EncryptedFileKeyring(path), index_path=tmp_path / "names.json", environ={}
    )
    with pytest.raises(SecretLocked, match="wrong passphrase"):
        await again.unlock("nope")
    await again.unlock(PASSPHRASE)
    assert (await again.get(NAME)).value == VALUE
    await again.delete(NAME)
    with pytest.raises(SecretNotFound):
        await again.get(NAME)


async def test_tampering_and_replacement_are_detected(tmp_path: Path) -> None:
    path = tmp_path / "secrets.enc.json"
    backend = EncryptedFileKeyring(path, scrypt_n=2**12)
    store = SecretStore(backend=backend, index_path=tmp_path / "names.json", environ={})
    await store.unlock(PASSPHRASE)
    await store.set(NAME, VALUE)

    header = json.loads(path.read_text())
    data = bytearray(base64.b64decode(header["data"]))
    data[0] ^= 1
    path.write_text(json.dumps({**header, "data": base64.b64encode(data).decode()}))
    with pytest.raises(SecretLocked, match="cannot decrypt"):
        await store.get(NAME)

    path.unlink()
    other = EncryptedFileKeyring(path, scrypt_n=2**12)
    other.unlock("a different passphrase")
    with pytest.raises(SecretLocked, match="was replaced"):
        await store.get(NAME)

    path.write_text("not json")
    with pytest.raises(SecretUnavailable, match="cannot read"):
        await SecretStore(backend=other, index_path=tmp_path / "n.json", environ={}).get(NAME)
