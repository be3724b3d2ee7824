"""The `onduty` command line: help for every subcommand, one-line errors, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui import __version__

ROOT = Path(__file__).resolve().parents[2]
SUBCOMMANDS = ["demo", "check", "secret", "runbook", "incident", "doctor"]


def onduty(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
        env={**os.environ, **(env or {})},
    )


def test_version() -> None:
    result = onduty("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"onduty {__version__}"


def test_top_level_help_lists_every_subcommand() -> None:
    result = onduty("--help")
    assert result.returncode == 0
    for name in SUBCOMMANDS:
        assert name in result.stdout


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_has_help_that_says_what_it_does(name: str) -> None:
    result = onduty(name, "--help")
    assert result.returncode == 0, result.stderr
    assert f"onduty {name}" in result.stdout
    assert len(result.stdout.split()) > 12, result.stdout


@pytest.mark.parametrize("args", [["--bogus"], ["doctor", "--bogus"], ["check", "--nope"],
                                  ["frobnicate"]])
def test_unknown_flags_give_one_line_and_exit_2(args: list[str]) -> None:
    result = onduty(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_a_broken_config_gives_one_line_naming_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[environments.prod]\nbase_url = 42\n")
    result = onduty("--config", str(config))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"{config}:2:" in lines[0]
    assert "environments.prod.base_url" in lines[0]
    assert "Traceback" not in result.stderr


def test_onduty_config_env_var_is_honoured(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[environments.prod]\nbase_urll = 'https://x'\n")
    result = onduty(env={"ONDUTY_CONFIG": str(config)})
    assert result.returncode == 2
    assert str(config) in result.stderr
    assert "did you mean 'base_url'" in result.stderr


def test_no_environments_says_what_to_do(tmp_path: Path) -> None:
    result = onduty("--config", str(tmp_path / "missing.toml"))
    assert result.returncode == 2
    assert "onduty demo" in result.stderr
