"""Helpers for the secrets screen tests: a private SecretStore shared the way the app shares it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from keyring.backend import KeyringBackend

from tui.app import OnDutyApp
from tui.hub.base import use_secret_store
from tui.redact import REDACTOR
from tui.secrets import SecretStore


@contextlib.contextmanager
def shared_store(
    tmp_path: Path, backend: KeyringBackend, **kwargs: object
) -> Iterator[SecretStore]:
    """A SecretStore on ``backend`` with private paths and no environment, made the app's
    shared store for the block; the redactor starts and ends empty."""
    REDACTOR.forget_all()
    store = SecretStore(
        backend=backend,
        index_path=tmp_path / "state" / "secret-names.json",
        encrypted_path=tmp_path / "data" / "secrets.enc.json",
        environ=kwargs.pop("environ", {}),  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )
    use_secret_store(store)
    try:
        yield store
    finally:
        use_secret_store(None)
        REDACTOR.forget_all()


def screen_text(app: OnDutyApp) -> str:
    """Every character on the screen as the terminal would show it."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def notifications(app: OnDutyApp) -> list[str]:
    """The text of every notification raised so far."""
    return [str(n.message) for n in app._notifications]
