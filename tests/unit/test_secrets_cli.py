"""`onduty secret` in-process, against real keyring backends installed with set_keyring."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from tests.support.keyrings import LockedKeyring, MemoryKeyring, installed
from tui.redact import REDACTOR
from tui.secret_cli import run_secret
from tui.secrets import SERVICE

NAME = "production/database_url"
VALUE = "postgres://app:pa@ss@db/app"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for var in ("ONDUTY_KEYRING_BACKEND", "ONDUTY_SECRET_PRODUCTION_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    REDACTOR.forget_all()
    yield
    REDACTOR.forget_all()


def feed(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_set_get_list_rm_round_trip(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with installed(MemoryKeyring()):
        feed(monkeypatch, VALUE + "\n")
        assert run_secret(["set", NAME]) == 0
        assert keyring.get_password(SERVICE, NAME) == VALUE
        assert run_secret(["get", NAME]) == 0
        assert run_secret(["list"]) == 0
        out = capsys.readouterr()
        assert VALUE not in out.out + out.err
        assert out.out.splitlines() == [f"stored {NAME}", f"{NAME}: set (from keyring)", NAME]

        assert run_secret(["get", "--reveal", NAME]) == 0
        assert capsys.readouterr().out == VALUE + "\n"

        assert run_secret(["rm", NAME]) == 0
        assert run_secret(["get", NAME]) == 1
        assert run_secret(["rm", NAME]) == 1
        out = capsys.readouterr()
        assert out.out.splitlines() == [f"removed {NAME}"]
        err = out.err.splitlines()
        assert len(err) == 2 and all(line.startswith("onduty secret: ") for line in err)
        assert "not set" in err[0]


def test_value_is_never_taken_from_argv(capsys: pytest.CaptureFixture[str]) -> None:
    with installed(MemoryKeyring()) as backend:
        assert run_secret(["set", NAME, "hunter2-in-argv"]) == 2
        assert backend.entries == {}  # type: ignore[attr-defined]
        err = capsys.readouterr().err
        assert "unrecognized arguments" in err and err.count("\n") == 1


def test_empty_stdin_stores_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with installed(MemoryKeyring()) as backend:
        feed(monkeypatch, "")
        assert run_secret(["set", NAME]) == 2
        assert backend.entries == {}  # type: ignore[attr-defined]
        assert "no value given" in capsys.readouterr().err


def test_headless_backend_explains_the_fixes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with installed(fail.Keyring()):
        feed(monkeypatch, VALUE + "\n")
        assert run_secret(["set", NAME]) == 2
        err = capsys.readouterr().err
        assert "no keyring can store" in err and "onduty secret backend" in err
        assert "Traceback" not in err
        assert run_secret(["get", NAME]) == 2  # unavailable, never "not found" (1)
        assert run_secret(["backend"]) == 2
        out = capsys.readouterr().out
        assert "kind:     fail" in out
        assert "dbus-run-session" in out and "ONDUTY_KEYRING_BACKEND=encrypted-file" in out

        monkeypatch.setenv("ONDUTY_SECRET_PRODUCTION_DATABASE_URL", VALUE)
        assert run_secret(["get", NAME]) == 0
        assert capsys.readouterr().out == f"{NAME}: set (from environment)\n"


def test_secure_backend_reports_ok(capsys: pytest.CaptureFixture[str]) -> None:
    with installed(MemoryKeyring()):
        assert run_secret(["backend"]) == 0
        out = capsys.readouterr().out
        assert "kind:     secure" in out and "dbus-run-session" not in out


def test_locked_keyring_exits_2_with_locked(capsys: pytest.CaptureFixture[str]) -> None:
    with installed(LockedKeyring()):
        assert run_secret(["get", NAME]) == 2
        err = capsys.readouterr().err
        assert "locked" in err and "not set" not in err


def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_secret([]) == 2
    assert run_secret(["get", "no-slash"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "ENV/NAME" in err[1]
    assert run_secret(["--help"]) == 0
    assert "onduty secret" in capsys.readouterr().out
