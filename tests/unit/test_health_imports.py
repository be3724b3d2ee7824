"""The health engine never imports Textual (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys


def test_health_engine_imports_no_textual() -> None:
    code = ("import sys, tui.health, tui.health.check, tui.health.monitor; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('textual', 'widgets', 'screens')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "[]"
