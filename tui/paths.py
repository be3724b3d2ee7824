"""Where onduty keeps its files: one module, platform conventions via platformdirs."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import PlatformDirs

_DIRS = PlatformDirs("onduty", appauthor=False)


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The config file: ``--config``, else ``$ONDUTY_CONFIG``, else the platform config dir."""
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get("ONDUTY_CONFIG")
    if from_env:
        return Path(from_env).expanduser()
    return Path(_DIRS.user_config_dir) / "config.toml"


def data_dir() -> Path:
    """Durable data (the incident store) lives here."""
    return Path(_DIRS.user_data_dir)


def state_path() -> Path:
    """Small UI state that should survive restarts (chosen theme, last environment)."""
    return Path(_DIRS.user_state_dir) / "state.json"
