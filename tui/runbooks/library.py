"""The bundled runbook library and the runbook folders a team configures.

Reading is plain blocking file I/O, so the console calls :func:`load_library`, which
runs it in a thread with a deadline; the CLI and tests call the synchronous functions.
A file that cannot be read becomes a runbook carrying one warning, never an exception,
so one bad file in a shared folder does not hide the others.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from tui.runbooks.importer import import_markdown
from tui.runbooks.model import ImportWarning, Runbook
from tui.sanitize import decode, sanitize

RUNBOOK_SUFFIXES = (".md", ".markdown")
MAX_RUNBOOK_BYTES = 256 * 1024  # the largest seed is 17 KiB; parsing is ~1 s per 150 KiB of list


@functools.cache
def _bundled() -> tuple[Runbook, ...]:
    folder = resources.files("tui.runbooks").joinpath("library")
    entries = sorted((e for e in folder.iterdir() if e.name.endswith(".md")),
                     key=lambda e: e.name)
    return tuple(import_markdown(e.read_text(encoding="utf-8"), f"bundled:{e.name}")
                 for e in entries)


def bundled_runbooks() -> list[Runbook]:
    """The runbooks that ship with onduty (imported once, then cached)."""
    return list(_bundled())


def read_runbook(path: Path) -> Runbook:
    """Import one file; OSError when it cannot be read (the CLI turns that into exit 2).

    Files over 256 KiB are imported up to that size, with a warning; invalid UTF-8 is kept
    visible as ``\\xNN`` rather than failing the import.
    """
    with path.open("rb") as handle:
        data = handle.read(MAX_RUNBOOK_BYTES + 1)
    runbook = import_markdown(decode(data[:MAX_RUNBOOK_BYTES]), str(path))
    if len(data) > MAX_RUNBOOK_BYTES:
        note = ImportWarning(0, f"file larger than {MAX_RUNBOOK_BYTES // 1024} KiB: only the "
                                "start was read")
        runbook = dataclasses.replace(runbook, warnings=(note, *runbook.warnings))
    return runbook


def unreadable(path: Path, error: OSError) -> Runbook:
    """A placeholder runbook that says why ``path`` could not be read."""
    reason = error.strerror or type(error).__name__
    return Runbook(title=sanitize(path.stem or str(path)), source=sanitize(str(path)),
                   warnings=(ImportWarning(0, sanitize(f"could not read {path}: {reason}")),))


def runbook_files(folder: Path) -> list[Path]:
    """The Markdown files under ``folder`` (recursively, broken links too), sorted."""
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in RUNBOOK_SUFFIXES
                  and not p.is_dir())


def load_runbooks(paths: Iterable[Path]) -> list[Runbook]:
    """Every runbook in the given files and folders; unreadable ones carry a warning."""
    runbooks: list[Runbook] = []
    for path in paths:
        try:
            files = runbook_files(path) if path.is_dir() else [path]
        except OSError as exc:
            runbooks.append(unreadable(path, exc))
            continue
        for file in files:
            try:
                runbooks.append(read_runbook(file))
            except OSError as exc:
                runbooks.append(unreadable(file, exc))
    return runbooks


async def load_library(paths: Iterable[Path], *, timeout: float = 10.0) -> list[Runbook]:
    """Bundled runbooks, then the configured folders', read off the event loop.

    When the folders take longer than ``timeout`` (a hung network mount), the bundled
    runbooks come back with one placeholder saying so.
    """
    folders = list(paths)
    bundled = await asyncio.to_thread(bundled_runbooks)
    try:
        configured = await asyncio.wait_for(asyncio.to_thread(load_runbooks, folders), timeout)
    except TimeoutError:
        where = ", ".join(str(p) for p in folders)
        configured = [Runbook(
            title="Configured runbooks", source=sanitize(where),
            warnings=(ImportWarning(0, sanitize(f"reading {where} took longer than "
                                                f"{timeout:g} s; showing the bundled "
                                                "runbooks only")),),
        )]
    return [*bundled, *configured]
