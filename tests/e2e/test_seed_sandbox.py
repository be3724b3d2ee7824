"""The seed sandbox itself: driven over HTTP from another process, and its CLI emulators."""

from __future__ import annotations

from pathlib import Path

import httpx

from tui.demo.seeds import SeedSandbox, cli_environment, shape


async def test_modes_and_log_lines_can_be_driven_over_http(tmp_path: Path) -> None:
    sandbox = SeedSandbox(shape("002"), tmp_path)
    await sandbox.start()
    try:
        async with httpx.AsyncClient(base_url=sandbox.url, timeout=5) as client:
            assert (await client.get("/testing/api/health")).status_code == 200
            answer = await client.post("/_sandbox/mode", params={"env": "testing",
                                                                 "mode": "down"})
            assert answer.json()["testing"]["mode"] == "down"
            assert (await client.get("/testing/api/health")).status_code == 503
            assert (await client.get("/production/api/health")).status_code == 200
            await client.get("/_sandbox/mode", params={"env": "production", "mode": "down"})
            assert sandbox.states["production"].mode == "healthy"  # only POST changes it
            await client.post("/_sandbox/emit", params={"env": "testing", "kind": "auth"})
            assert (await client.get("/staging/api/health")).status_code == 404
        assert "401 Unauthorized" in sandbox.log_file("testing").read_text(encoding="utf-8")
    finally:
        await sandbox.stop()
    assert not (tmp_path / "ready.json").exists()


def test_the_emulators_pick_the_environment_their_command_names() -> None:
    apps = {"your-app": "production", "your-app-staging": "staging"}
    assert cli_environment(["railway", "logs", "--environment", "testing"], apps) == "testing"
    assert cli_environment(["railway", "logs", "-e=development"], apps) == "development"
    assert cli_environment(["railway", "logs", "--service", "gateway"], apps) == "production"
    assert cli_environment(["fly", "logs", "-a", "your-app-staging"], apps) == "staging"
