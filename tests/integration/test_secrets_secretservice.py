"""SecretStore against the real Secret Service: gnome-keyring in a private D-Bus session.

The test starts ``dbus-run-session`` with ``gnome-keyring-daemon --unlock`` (its password
on stdin) around a child Python that drives SecretStore, the ``onduty secret`` CLI, the
``keyring`` CLI and ``secret-tool``, then locks the collection and checks that onduty says
"locked", never "not found". Tools come from Debian's packages via .ci/system-packages.sh.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.keyrings import ROOT

TOOLS = ("dbus-run-session", "gnome-keyring-daemon", "secret-tool")
MISSING = [tool for tool in TOOLS if shutil.which(tool) is None]

pytestmark = pytest.mark.skipif(
    bool(MISSING),
    reason=f"{', '.join(MISSING)} not installed; run .ci/system-packages.sh as root "
    "(Debian: gnome-keyring dbus-x11 libsecret-tools)",
)

CHILD = r"""
import asyncio, json, subprocess, sys

import secretstorage

from tui.secrets import SecretLocked, SecretNotFound, SecretStore

NAME, VALUE = "production/database_url", "postgres://app:p@ss:w0rd@db.internal/app"
CLI = [sys.executable, "-c",
       "import sys; from tui.secret_cli import run_secret; sys.exit(run_secret(sys.argv[1:]))"]


def run(argv, stdin=""):
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=30)
    return {"code": done.returncode, "out": done.stdout, "err": done.stderr}


async def outcome(call):
    try:
        await call
    except Exception as exc:
        return type(exc).__name__
    return "ok"


async def main():
    report = {}
    store = SecretStore(timeout=5)
    info = await store.backend_info()
    report["backend"] = [info.name, info.kind, info.secure]
    report["set_secure"] = (await store.set(NAME, VALUE)).secure
    got = await store.get(NAME)
    report["get"] = [got.value == VALUE, got.source]
    report["secret_tool"] = run(["secret-tool", "lookup", "service", "onduty",
                                 "username", NAME])["out"] == VALUE
    report["keyring_cli"] = run([sys.executable, "-m", "keyring", "get", "onduty",
                                 NAME])["out"].strip() == VALUE
    report["cli_set"] = run([*CLI, "set", "staging/api_token"], "tok-abcdef-123\n")
    report["cli_get"] = run([*CLI, "get", "staging/api_token"])
    report["names"] = await store.names()
    await store.delete(NAME)
    report["after_delete"] = await outcome(store.get(NAME))
    report["delete_again"] = await outcome(store.delete(NAME))

    bus = secretstorage.dbus_init()
    secretstorage.get_default_collection(bus).lock()
    report["locked_get"] = await outcome(SecretStore(timeout=5).get("staging/api_token"))
    report["locked_set"] = await outcome(SecretStore(timeout=5).set(NAME, VALUE))
    report["locked_missing"] = await outcome(SecretStore(timeout=5).get("staging/nothing"))
    report["cli_locked"] = run([*CLI, "get", "staging/api_token"])
    print(json.dumps(report))


asyncio.run(main())
"""


def test_real_secret_service_set_get_delete_and_locked(tmp_path: Path) -> None:
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    child = tmp_path / "child.py"
    child.write_text(CHILD)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_RUNTIME_DIR": str(runtime),
        "PYTHONPATH": str(ROOT),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring",
        "LANG": "C.UTF-8",
    }
    script = (
        "gnome-keyring-daemon --unlock --components=secrets >/dev/null && "
        f'exec "{sys.executable}" "{child}"'
    )
    done = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", script],
        input="test-login-password",
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])

    assert report["backend"] == ["keyring.backends.SecretService.Keyring", "secure", True]
    assert report["set_secure"] is True
    assert report["get"] == [True, "keyring"]
    assert report["secret_tool"] is True  # another client sees service=onduty user=ENV/NAME
    assert report["keyring_cli"] is True  # `keyring get onduty production/database_url`
    assert report["cli_set"]["code"] == 0, report["cli_set"]
    assert "tok-abcdef-123" not in report["cli_set"]["out"] + report["cli_set"]["err"]
    assert report["cli_get"]["out"] == "staging/api_token: set (from keyring)\n"
    assert report["names"] == ["production/database_url", "staging/api_token"]
    assert report["after_delete"] == "SecretNotFound"
    assert report["delete_again"] == "SecretNotFound"
    # Locked: every call says so, including for a name that does not exist.
    assert report["locked_get"] == "SecretLocked"
    assert report["locked_set"] == "SecretLocked"
    assert report["locked_missing"] == "SecretLocked"
    assert report["cli_locked"]["code"] == 2
    assert "locked" in report["cli_locked"]["err"]
    assert "not set" not in report["cli_locked"]["err"]
