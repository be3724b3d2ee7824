"""`onduty doctor`: what onduty found on this machine, in plain lines.

It is the first thing to run on a new bastion: which config is read and whether it is
valid, which keyring backend answers (and the fix when there is none), what the terminal
can do, and whether each environment's database can be reached.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path
from typing import TextIO

from tui.config import Config, load_config
from tui.errors import OnDutyError

_DB_DEADLINE = 5.0


def run_doctor(path: Path, out: TextIO | None = None) -> int:
    """Print the report; exit 0 when everything needed works, 1 when something does not."""
    out = out or sys.stdout
    problems = 0

    def line(label: str, text: str, ok: bool = True) -> None:
        nonlocal problems
        problems += 0 if ok else 1
        mark = ("ok " if ok else "!! ") if label else "   "
        out.write(f"{mark} {label:<12} {text}\n")

    config: Config | None = None
    if not path.exists():
        line("config", f"{path} (not found: run `onduty demo`, or create it; see README.md)",
             ok=False)
    else:
        try:
            config = load_config(path)
            names = ", ".join(e.name for e in config.environments) or "no environments"
            line("config", f"{path} (valid: {names})")
        except OnDutyError as exc:
            line("config", str(exc), ok=False)

    for label, text, ok in asyncio.run(_keyring_lines()):
        line(label, text, ok)
    for label, text, ok in _terminal_lines():
        line(label, text, ok)
    pg_bin = _pg_bin()
    line("postgresql", f"server binaries in {pg_bin}" if pg_bin else
         "no server binaries (only `onduty demo` needs them: apt-get install postgresql)",
         ok=True)
    if config is not None:
        for label, text, ok in asyncio.run(_database_lines(config)):
            line(label, text, ok)
    return 1 if problems else 0


async def _keyring_lines() -> list[tuple[str, str, bool]]:
    from tui.secrets import SecretStore, headless_fixes

    info = await SecretStore().backend_info()
    lines = [("keyring", f"{info.name}: {info.description}", info.secure)]
    if info.headless:
        lines.extend(("", fix, True) for fix in headless_fixes(info).splitlines())
    return lines


def _terminal_lines() -> list[tuple[str, str, bool]]:
    size = shutil.get_terminal_size(fallback=(0, 0))
    term = os.environ.get("TERM", "")
    colour = os.environ.get("COLORTERM", "")
    no_color = "NO_COLOR" in os.environ
    ok_size = size.columns >= 80 and size.lines >= 24
    size_text = f"{size.columns}x{size.lines}" if size.columns else "unknown (not a terminal)"
    lines = [
        ("terminal", f"{size_text}, TERM={term or 'unset'}"
         + (f", COLORTERM={colour}" if colour else "")
         + (" (80x24 or larger recommended)" if size.columns and not ok_size else ""),
         ok_size or not size.columns),
        ("colour", "NO_COLOR is set: monochrome" if no_color else
         ("truecolor" if colour in ("truecolor", "24bit") else "256 colours or fewer"), True),
    ]
    if term in ("dumb", ""):
        lines.append(("", "TERM is dumb or unset: use `onduty check` for plain output", False))
    return lines


def _pg_bin() -> Path | None:
    from tui.db.cluster import find_pg_bin

    return find_pg_bin()


async def _database_lines(config: Config) -> list[tuple[str, str, bool]]:
    from tui.db.session import DbSession
    from tui.secrets import SecretStore

    store = SecretStore()
    lines: list[tuple[str, str, bool]] = []
    for env in config.environments:
        label = f"db {env.name}"
        if env.database_secret is None:
            lines.append((label, "no database configured", True))
            continue
        try:
            secret = await store.get(env.database_secret)
            session = await DbSession.connect(secret.value, connect_timeout=_DB_DEADLINE)
        except OnDutyError as exc:
            lines.append((label, str(exc), False))
            continue
        try:
            lines.append((label, f"reachable: {session.target}, PostgreSQL "
                          f"{session.server_version}, {session.tls_label}", True))
        finally:
            await session.close()
    return lines
