"""Helpers for the runbook tests: the seed runbooks and small Markdown fixtures."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from tui.runbooks.importer import import_markdown
from tui.runbooks.model import Procedure, Runbook, Step

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"


def seed_path(prefix: str) -> Path:
    """The seed file whose name starts with ``prefix`` ("001"); skips when seeds are absent."""
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt")) if SEEDS.is_dir() else []
    if not matches:
        pytest.skip(f"seed runbook {prefix} not found in {SEEDS} (../shared/seeds)")
    return matches[0]


@functools.cache
def _seed(prefix: str) -> Runbook:
    path = seed_path(prefix)
    return import_markdown(path.read_text(encoding="utf-8"), str(path))


def seed(prefix: str) -> Runbook:
    """The imported seed runbook (imported once per test session)."""
    seed_path(prefix)
    return _seed(prefix)


def procedure(runbook: Runbook, title: str) -> Procedure:
    """The one procedure whose title contains ``title`` (any case); fails otherwise."""
    found = runbook.find_procedures(title)
    assert len(found) == 1, f"{title!r} matched {[p.title for p in found]}"
    return found[0]


def texts(steps: tuple[Step, ...] | list[Step]) -> list[str]:
    """The text of each step, in order."""
    return [s.text for s in steps]


def md(text: str) -> Runbook:
    """Import ``text`` (dedented by the caller) as a runbook named test.md."""
    return import_markdown(text, "test.md")
