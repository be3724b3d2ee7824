"""The environment onduty hands to the programs it starts (log commands, step commands).

Secrets supplied as ``ONDUTY_SECRET_*`` variables are for onduty alone: a log command or
a runbook step must not inherit a database URL it never asked for (FAULTS 42).
"""

from __future__ import annotations

import os

SECRET_PREFIX = "ONDUTY_SECRET_"


def child_environment() -> dict[str, str]:
    """This process's environment without onduty's secret variables."""
    return {k: v for k, v in os.environ.items() if not k.startswith(SECRET_PREFIX)}
