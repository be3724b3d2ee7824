"""What the hub needs from its owner, and secret lookup shared by every area."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from tui.config import Config, Environment

if TYPE_CHECKING:
    from tui.secrets import SecretStore


class Publisher(Protocol):
    def publish(self, data: Any) -> None: ...


class Sink(Protocol):
    """The app, or a test double: where results go."""

    config: Config
    health_changed: Publisher
    logs_changed: Publisher
    db_changed: Publisher

    @property
    def environment(self) -> Environment | None: ...

    def set_problem(self, pane: str, text: str | None) -> None: ...


_STORE: SecretStore | None = None


def secret_store() -> SecretStore:
    """The one SecretStore of this process: hubs and the secrets screen share its session."""
    global _STORE
    if _STORE is None:
        from tui.secrets import SecretStore

        _STORE = SecretStore()
    return _STORE


def use_secret_store(store: SecretStore | None) -> None:
    """Make ``store`` the shared one (tests, a custom index); None: a default one on next use."""
    global _STORE
    _STORE = store


async def resolve_secret(name: str) -> str:
    """A secret's value by name: environment fallback, session cache, then the OS keyring."""
    return (await secret_store().get(name)).value
