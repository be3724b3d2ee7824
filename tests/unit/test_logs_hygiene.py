"""The log engine must not import Textual (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

MODULES = ["tui.logs", "tui.logs.sources", "tui.logs.parse", "tui.logs.buffer",
           "tui.logs.filters", "tui.logs.tail"]


def test_log_engine_imports_no_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {MODULES!r}: importlib.import_module(name)\n"
        "roots = ('textual', 'widgets', 'screens')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in roots)\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60)
    assert result.stdout.strip() == ""
