"""Engines never import Textual (DESIGN rule 1), proved in a fresh interpreter per module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UI_MODULES = {"tui.app", "tui.cli", "tui.__main__"}


def engine_modules() -> list[str]:
    names = []
    for path in sorted((ROOT / "tui").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        if module not in UI_MODULES:
            names.append(module)
    return names


def test_there_are_engine_modules_to_check() -> None:
    modules = engine_modules()
    assert "tui.config" in modules
    assert any(m.startswith("tui.health.") for m in modules)


@pytest.mark.parametrize("module", engine_modules())
def test_engine_module_imports_without_textual(module: str) -> None:
    probe = (
        f"import importlib, sys; importlib.import_module({module!r}); "
        "print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('textual', 'widgets', 'screens'))[:3])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"{module} pulls in {result.stdout.strip()}"


@pytest.mark.parametrize("module", ["tui.cli"])
def test_the_cli_loads_without_textual_so_help_is_fast(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}, sys; print('textual' in sys.modules)"],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )
    assert result.stdout.strip() == "False", result.stderr
