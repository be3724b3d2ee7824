"""A secret loaded through SecretStore never reaches the screen or a child's argv (FAULTS 42).

The console runs with its real engines: a followed log file, a health endpoint on a real
HTTP server that echoes the bearer token back, a log command as a child process.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.support.http import LocalServer, Reply, Seen
from tests.support.keyrings import MemoryKeyring
from tests.support.pg import wait_for
from tests.support.secrets import screen_text, shared_store
from tui.app import OnDutyApp, create_app
from tui.config import parse_config
from tui.redact import MASK, REDACTOR
from tui.secrets import SERVICE

TOKEN_NAME = "production/api_token"
TOKEN = "opaque-Value-4711-never-shown"


def make_app(tmp_path: Path, source: str) -> OnDutyApp:
    config = parse_config(source, tmp_path / "config.toml")
    return create_app(config, engines=True, state_file=tmp_path / "state.json")


def keyring_with_token() -> MemoryKeyring:
    backend = MemoryKeyring()
    backend.set_password(SERVICE, TOKEN_NAME, TOKEN)
    return backend


async def test_log_line_with_a_loaded_secret_is_redacted_in_the_log_pane(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text(f"INFO boot\nERROR upstream said {TOKEN} was wrong\nINFO line-after\n")
    app = make_app(tmp_path, f"""
[environments.production]
[[environments.production.logs]]
file = "{log}"
""")
    with shared_store(tmp_path, keyring_with_token()) as store:
        await store.get(TOKEN_NAME)  # loaded this session: its exact value is now known
        async with app.run_test(size=(140, 30)) as pilot:
            await pilot.press("3")
            await wait_for(lambda: "line-after" in screen_text(app), what="log lines shown")
            text = screen_text(app)
            assert "upstream said" in text and MASK in text
            assert TOKEN not in text


async def test_a_secret_loaded_after_the_line_was_shown_is_masked_too(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text(f"ERROR early {TOKEN} line\n")
    app = make_app(tmp_path, f"""
[environments.production]
[[environments.production.logs]]
file = "{log}"
""")
    with shared_store(tmp_path, keyring_with_token()) as store:
        async with app.run_test(size=(140, 30)) as pilot:
            await pilot.press("3")
            await wait_for(lambda: "early" in screen_text(app), what="line shown")
            await store.get(TOKEN_NAME)  # e.g. the health hub loads the token now
            with log.open("a") as handle:
                handle.write("INFO later line\n")
            await wait_for(lambda: "later line" in screen_text(app), what="next line")
            assert TOKEN not in screen_text(app)


async def test_health_body_and_reason_echoing_the_token_are_redacted(tmp_path: Path) -> None:
    def echo(seen: Seen) -> Reply:
        token = seen.headers.get("authorization", "").split()[-1]
        return Reply(503, json.dumps({"status": "down", "echo": token, "error": token}))

    with LocalServer({"/health": echo}) as server, \
            shared_store(tmp_path, keyring_with_token()):
        app = make_app(tmp_path, f"""
[environments.production]
[[environments.production.health]]
url = "{server.url('/health')}"
auth = "{TOKEN_NAME}"
""")
        async with app.run_test(size=(140, 80)) as pilot:
            await pilot.press("2")
            await wait_for(lambda: "503" in screen_text(app), timeout=10, what="probe shown")
            assert any(s.headers.get("authorization") == f"Bearer {TOKEN}"
                       for s in server.seen)  # the token really was sent...
            assert TOKEN not in screen_text(app)  # ...and is not shown in the reason
            await pilot.press("enter")
            await wait_for(lambda: '"echo"' in screen_text(app), what="body in the detail")
            text = screen_text(app)
            assert TOKEN not in text and MASK in text


def _descendants(pid: int) -> list[int]:
    children: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            child = int(entry.name)
            children += [child, *_descendants(child)]
    return children


def _argv(pid: int) -> bytes:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        return b""


async def test_no_child_process_gets_a_secret_in_its_argv(tmp_path: Path) -> None:
    script = "import sys, time; print('child-started', flush=True); time.sleep(60)"
    app = make_app(tmp_path, f"""
[environments.production]
[[environments.production.logs]]
name = "child"
command = {json.dumps([sys.executable, "-c", script])}
""")
    with shared_store(tmp_path, keyring_with_token()) as store:
        await store.get(TOKEN_NAME)
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.press("3")
            await wait_for(lambda: "child-started" in screen_text(app), timeout=10,
                           what="child output")
            children = _descendants(os.getpid())
            argvs = [_argv(pid) for pid in children]
            assert any(b"child-started" in argv for argv in argvs)  # the child was found
            assert not any(TOKEN.encode() in argv for argv in argvs)


async def test_a_crash_prints_no_local_variables_and_no_secret(tmp_path: Path) -> None:
    """Textual's own crash screen prints every frame's locals; a frame may hold a DSN."""
    app = make_app(tmp_path, '[environments.production]\nbase_url = "http://127.0.0.1:9"\n')
    REDACTOR.register(TOKEN)

    def explode() -> None:
        dsn = f"postgresql://app:{TOKEN}@db.internal/app"  # a local a traceback could show
        raise RuntimeError(f"cannot reach {dsn}")

    async with app.run_test(size=(80, 24)):
        try:
            explode()
        except RuntimeError:
            app._fatal_error()  # what Textual calls for an unhandled error
        printed = "".join(str(getattr(r, "plain", r)) for r in app._exit_renderables)
    assert "RuntimeError" in printed
    assert TOKEN not in printed
    assert "dsn =" not in printed
    app.set_problem("db", f"refused for {TOKEN}")
    assert TOKEN not in " ".join(app.status_info().errors)


async def test_no_child_process_inherits_a_secret_variable(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONDUTY_SECRET_PRODUCTION_API_TOKEN", TOKEN)
    script = "import sys, time; print('child-started', flush=True); time.sleep(60)"
    app = make_app(tmp_path, f"""
[environments.production]
[[environments.production.logs]]
name = "child"
command = {json.dumps([sys.executable, "-c", script])}
""")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("3")
        await wait_for(lambda: "child-started" in screen_text(app), timeout=10,
                       what="child output")
        children = [p for p in _descendants(os.getpid()) if b"child-started" in _argv(p)]
        assert children
        for pid in children:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            assert b"PATH=" in environ  # the rest of the environment is passed on
            assert b"ONDUTY_SECRET_" not in environ
            assert TOKEN.encode() not in environ
