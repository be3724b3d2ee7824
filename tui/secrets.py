"""Credentials in the OS keyring, with honest fallbacks for headless bastion hosts.

Every secret lives under one keyring service, ``onduty``, with the user name ``ENV/NAME``,
so ``keyring get onduty production/database_url`` reads the same entry. Each keyring call
runs in its own daemon thread with a deadline: a keyring waiting on an unlock prompt that
can never appear (SSH, no display) turns into ``SecretUnavailable`` instead of a hang.

Failures are told apart, because "no credential" and "keyring locked" call for different
fixes: ``SecretNotFound`` only when the keyring answered that there is no such entry.
When no real keyring exists (``fail.Keyring``, ``null.Keyring``) onduty says so, offers
three fixes (a D-Bus session with gnome-keyring, onduty's encrypted file, environment
variables) and keeps credentials typed in for this session in memory only.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
import secrets as _random
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import keyring
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.errors import (
    InitError,
    KeyringError,
    KeyringLocked,
    NoKeyringError,
    PasswordDeleteError,
)

from tui import paths
from tui.childenv import SECRET_PREFIX
from tui.config import SECRET_NAME, Config, Environment, HealthEndpoint
from tui.errors import OnDutyError
from tui.redact import REDACTOR, redact

SERVICE = "onduty"
DEFAULT_TIMEOUT = 5.0
ENV_PREFIX = SECRET_PREFIX
BACKEND_ENV = "ONDUTY_KEYRING_BACKEND"
ENCRYPTED_FILE_CHOICE = "encrypted-file"

Source = Literal["environment", "session", "keyring"]
State = Literal["keyring", "environment", "session", "missing", "locked", "unavailable"]
STATE_LABELS: dict[str, str] = {
    "keyring": "set in keyring",
    "environment": "from environment",
    "session": "session only",
    "missing": "missing",
    "locked": "keyring locked",
    "unavailable": "keyring unavailable",
}
_T = TypeVar("_T")


class SecretError(OnDutyError):
    """A secret could not be read, stored or deleted; the message says why and what to do."""


class SecretNotFound(SecretError):
    """The keyring answered: there is no entry with this name."""


class SecretUnavailable(SecretError):
    """No usable keyring: no backend, a D-Bus error, a timeout, or a write that was dropped."""


class SecretLocked(SecretError):
    """The keyring (or onduty's encrypted file) is locked and must be unlocked first."""


@dataclass(frozen=True)
class SecretValue:
    """A resolved secret. ``value`` is left out of repr so it never lands in a traceback."""

    name: str
    value: str = field(repr=False)
    source: Source


@dataclass(frozen=True)
class StoreResult:
    """What ``SecretStore.set`` achieved: stored, and whether only in plaintext."""

    name: str
    secure: bool
    warning: str | None = None


@dataclass(frozen=True)
class BackendInfo:
    """The active keyring backend, described for people.

    ``kind`` is ``secure``, ``plaintext``, ``null``, ``fail`` or ``chainer-of:<kinds>``.
    ``locked`` is true while onduty's encrypted file waits for its passphrase, and
    ``new_file`` when that file does not exist yet (the passphrase is being chosen).
    """

    name: str
    priority: float | None
    kind: str
    description: str
    locked: bool = False
    new_file: bool = False

    @property
    def headless(self) -> bool:
        """True when nothing can be stored: the fail or null backend (or a chain of them)."""
        return headless_kind(self.kind)

    @property
    def secure(self) -> bool:
        """True when a stored value is protected (encrypted or held by a keyring daemon)."""
        if self.kind.startswith("chainer-of:"):
            parts = self.kind.removeprefix("chainer-of:").split(",")
            return bool(parts) and parts[0] == "secure"
        return self.kind == "secure"


@dataclass(frozen=True)
class SecretStatus:
    """Whether a secret can be used now, and from where; never its value.

    ``state`` tells "missing" (the keyring answered: no entry) apart from "locked" and
    "unavailable" (the keyring could not answer), because they need different fixes.
    ``detail`` is the redacted reason when the secret cannot be used.
    """

    name: str
    state: State
    detail: str = ""

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def usable(self) -> bool:
        return self.state in ("keyring", "environment", "session")


@dataclass(frozen=True)
class SecretUse:
    """Where the config refers to a secret: an environment's database or an endpoint's auth."""

    environment: str
    kind: Literal["database", "bearer"]
    endpoint: HealthEndpoint | None = None

    @property
    def label(self) -> str:
        if self.endpoint is None:
            return f"{self.environment} database"
        return f"{self.environment} {self.endpoint.name} auth"


def secret_uses(config: Config) -> dict[str, tuple[SecretUse, ...]]:
    """Every secret name the config refers to, with where it is used, in config order."""
    uses: dict[str, list[SecretUse]] = {}
    for env in config.environments:
        if env.database_secret:
            uses.setdefault(env.database_secret, []).append(SecretUse(env.name, "database"))
        for endpoint in env.health:
            if endpoint.auth_secret:
                uses.setdefault(endpoint.auth_secret, []).append(
                    SecretUse(env.name, "bearer", endpoint)
                )
    return {name: tuple(found) for name, found in uses.items()}


def bearer_endpoints(
    config: Config, name: str
) -> tuple[tuple[Environment, HealthEndpoint], ...]:
    """The health endpoints that send secret ``name`` as their bearer token."""
    return tuple(
        (env, endpoint)
        for env in config.environments
        for endpoint in env.health
        if endpoint.auth_secret == name
    )


def headless_kind(kind: str) -> bool:
    """True for a backend kind (see ``classify``) that can store nothing."""
    if kind.startswith("chainer-of:"):
        parts = [p for p in kind.removeprefix("chainer-of:").split(",") if p]
        return all(p in ("fail", "null") for p in parts)
    return kind in ("fail", "null")


def validate_name(name: str) -> str:
    """Return ``name`` if it is ``ENV/NAME``; raise ``SecretError`` otherwise."""
    if not SECRET_NAME.match(name):
        raise SecretError(
            f"{redact(name)!r} is not a secret name: expected ENV/NAME such as "
            "production/database_url (letters, digits, '.', '_', '-')"
        )
    return name


def env_var_name(name: str) -> str:
    """The environment variable consulted first for ``name``: ONDUTY_SECRET_<ENV>_<NAME>."""
    return ENV_PREFIX + re.sub(r"[^A-Z0-9]", "_", name.upper())


def default_index_path() -> Path:
    """Where the list of secret names (never values) is kept."""
    return paths.state_path().parent / "secret-names.json"


def default_encrypted_path() -> Path:
    """Where onduty's encrypted secrets file lives when that backend is chosen."""
    return paths.data_dir() / "secrets.enc.json"


def headless_fixes(info: BackendInfo) -> str:
    """The plain explanation and the three fixes shown when no keyring can store secrets."""
    return "\n".join(
        (
            f"No usable keyring: the active backend is {info.name} ({info.description}).",
            "onduty will ask for credentials each session and keep them in memory only.",
            "To store them, pick one:",
            "  1. Run onduty inside a D-Bus session with an unlocked gnome-keyring:",
            '       dbus-run-session -- sh -c \'stty -echo; printf "keyring password: "; '
            'read -r pw; stty echo; echo; printf %s "$pw" | gnome-keyring-daemon --unlock '
            "--components=secrets >/dev/null; unset pw; exec onduty'",
            "     (Debian/Ubuntu: apt-get install gnome-keyring dbus-x11)",
            "  2. Use onduty's encrypted file, unlocked by a passphrase once per session:",
            f"       export {BACKEND_ENV}={ENCRYPTED_FILE_CHOICE}",
            f"     (the file is {default_encrypted_path()}; once it exists it is used "
            "automatically when no keyring is available)",
            "  3. For automation, set environment variables, which onduty reads first:",
            f"       {env_var_name('production/database_url')} for production/database_url",
        )
    )


def headless_summary(info: BackendInfo) -> str:
    """The headless explanation short enough for a notification: the three fixes in brief."""
    return "\n".join(
        (
            f"No usable keyring ({info.name}): onduty asks for credentials each session "
            "and keeps them in memory only.",
            "To store them: 1. run onduty inside dbus-run-session with an unlocked "
            "gnome-keyring; "
            f"2. export {BACKEND_ENV}={ENCRYPTED_FILE_CHOICE} (a passphrase-protected file); "
            f"3. set {ENV_PREFIX}<ENV>_<NAME> variables.",
            "ctrl+k: type them in for this session, and the full instructions.",
        )
    )


class EncryptedFileKeyring(KeyringBackend):
    """A keyring backend in one file: scrypt-derived key, AES-256-GCM over all entries.

    Chosen by onduty only (``ONDUTY_KEYRING_BACKEND=encrypted-file``, or automatically when
    the file exists and no keyring is available); keyring's own detection never picks it,
    because it needs a path. It is locked until ``unlock(passphrase)``; while locked every
    call raises ``KeyringLocked``. Writes go to a temporary file that replaces the old one,
    with mode 0600. Needs the ``cryptography`` package.
    """

    priority = 0.2
    FORMAT = "onduty-encrypted-secrets"

    def __init__(self, path: Path, *, scrypt_n: int = 2**15) -> None:
        super().__init__()
        self.path = Path(path)
        self.scrypt_n = scrypt_n
        self._key: bytes | None = None
        self._salt: bytes | None = None
        self._n = scrypt_n
        self._lock = threading.Lock()

    @property
    def locked(self) -> bool:
        return self._key is None

    def unlock(self, passphrase: str) -> None:
        """Derive the key from ``passphrase``; create the file if it does not exist yet."""
        if not passphrase:
            raise KeyringLocked("an empty passphrase cannot unlock the encrypted secrets file")
        with self._lock:
            if not self.path.exists():
                salt = _random.token_bytes(16)
                key = self._derive(passphrase, salt, self.scrypt_n)
                self._key, self._salt, self._n = key, salt, self.scrypt_n
                self._write({})
                return
            header = self._read_header()
            salt = _b64(header, "salt", self.path)
            n = _int(header, "n", self.path)
            key = self._derive(passphrase, salt, n)
            self._decrypt(header, key, wrong="wrong passphrase for")
            self._key, self._salt, self._n = key, salt, n

    def get_password(self, service: str, username: str) -> str | None:
        with self._lock:
            return self._entries().get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._lock:
            entries = self._entries()
            entries.setdefault(service, {})[username] = password
            self._write(entries)

    def delete_password(self, service: str, username: str) -> None:
        with self._lock:
            entries = self._entries()
            if username not in entries.get(service, {}):
                raise PasswordDeleteError("no such entry in the encrypted secrets file")
            del entries[service][username]
            self._write(entries)

    # -- the file

    @staticmethod
    def _derive(passphrase: str, salt: bytes, n: int) -> bytes:
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        return Scrypt(salt=salt, length=32, n=n, r=8, p=1).derive(passphrase.encode("utf-8"))

    def _read_header(self) -> dict[str, Any]:
        try:
            header = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InitError(f"cannot read {self.path}: {exc}") from None
        if not isinstance(header, dict) or header.get("format") != self.FORMAT:
            raise InitError(f"{self.path} is not an onduty encrypted secrets file")
        return header

    def _decrypt(self, header: dict[str, Any], key: bytes, *, wrong: str) -> dict[str, Any]:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            plain = AESGCM(key).decrypt(
                _b64(header, "nonce", self.path), _b64(header, "data", self.path), _aad(header)
            )
        except InvalidTag:
            raise KeyringLocked(f"{wrong} {self.path}") from None
        entries = json.loads(plain.decode("utf-8"))
        if not isinstance(entries, dict):
            raise InitError(f"{self.path}: unexpected content")
        return entries

    def _entries(self) -> dict[str, Any]:
        if self._key is None:
            raise KeyringLocked(f"the encrypted secrets file {self.path} is locked (passphrase)")
        header = self._read_header()
        if _b64(header, "salt", self.path) != self._salt:
            self._key = self._salt = None
            raise KeyringLocked(f"{self.path} was replaced; enter its passphrase again")
        return self._decrypt(header, self._key, wrong="cannot decrypt")

    def _write(self, entries: dict[str, Any]) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        assert self._key is not None and self._salt is not None
        header: dict[str, Any] = {
            "format": self.FORMAT,
            "version": 1,
            "kdf": "scrypt",
            "n": self._n,
            "r": 8,
            "p": 1,
            "salt": base64.b64encode(self._salt).decode("ascii"),
        }
        nonce = _random.token_bytes(12)
        data = AESGCM(self._key).encrypt(nonce, json.dumps(entries).encode("utf-8"), _aad(header))
        header["nonce"] = base64.b64encode(nonce).decode("ascii")
        header["data"] = base64.b64encode(data).decode("ascii")
        _atomic_write(self.path, json.dumps(header, indent=1) + "\n")


def _aad(header: dict[str, Any]) -> bytes:
    """The header fields bound to the ciphertext, so tampering with them is detected."""
    keys = ("format", "version", "kdf", "n", "r", "p", "salt")
    return json.dumps({k: header.get(k) for k in keys}, sort_keys=True).encode("utf-8")


def _b64(header: dict[str, Any], key: str, path: Path) -> bytes:
    try:
        return base64.b64decode(header[key], validate=True)
    except (KeyError, TypeError, ValueError):
        raise InitError(f"{path}: damaged field {key!r}") from None


def _int(header: dict[str, Any], key: str, path: Path) -> int:
    value = header.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 2:
        raise InitError(f"{path}: damaged field {key!r}")
    return value


def _atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (mode 0600) so a crash leaves the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def classify(backend: KeyringBackend) -> str:
    """The kind of a backend: secure, plaintext, null, fail or chainer-of:<kinds>."""
    if isinstance(backend, fail.Keyring):
        return "fail"
    if isinstance(backend, null.Keyring):
        return "null"
    if isinstance(backend, chainer.ChainerBackend):
        return "chainer-of:" + ",".join(classify(b) for b in backend.backends)
    label = f"{type(backend).__module__}.{type(backend).__name__}".lower()
    if "plaintext" in label:
        return "plaintext"
    return "secure"


def _describe(backend: KeyringBackend) -> BackendInfo:
    """Build a ``BackendInfo``; runs in the keyring thread (priority may talk to D-Bus)."""
    cls = type(backend)
    name = f"{cls.__module__}.{cls.__qualname__}"
    try:
        priority: float | None = float(backend.priority)
    except Exception:
        priority = None
    kind = classify(backend)
    if isinstance(backend, EncryptedFileKeyring):
        return BackendInfo(
            name,
            priority,
            kind,
            f"onduty's encrypted file {backend.path} (scrypt, AES-256-GCM)",
            locked=backend.locked,
            new_file=not backend.path.exists(),
        )
    descriptions = {
        "fail": "no keyring found: no Secret Service, KWallet, macOS or Windows keychain",
        "null": "the null backend stores nothing and returns nothing",
        "plaintext": "values are written unencrypted to a file",
        "secure": "values are held by the system keyring",
    }
    if kind.startswith("chainer-of:"):
        description = f"tries each of: {', '.join(str(b) for b in backend.backends) or 'none'}"
    else:
        description = descriptions[kind]
    return BackendInfo(name, priority, kind, description)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class SecretStore:
    """Reads, stores and deletes onduty's secrets; every call is async and time-bounded.

    ``get`` looks in the environment first (``ONDUTY_SECRET_<ENV>_<NAME>``), then in the
    values remembered for this session, then in the keyring. Every value seen is
    registered with the redactor.
    """

    def __init__(
        self,
        *,
        backend: KeyringBackend | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        index_path: Path | None = None,
        encrypted_path: Path | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.timeout = timeout
        self.index_path = index_path or default_index_path()
        self.encrypted_path = encrypted_path or default_encrypted_path()
        self._environ = os.environ if environ is None else environ
        self._backend: KeyringBackend | None = backend
        self._session: dict[str, str] = {}

    # -- public API

    async def get(self, name: str) -> SecretValue:
        """The value of ``name``: from the environment, this session, or the keyring."""
        validate_name(name)
        from_env = self._environ.get(env_var_name(name))
        if from_env:
            REDACTOR.register(from_env)
            return SecretValue(name, from_env, "environment")
        if name in self._session:
            return SecretValue(name, self._session[name], "session")
        backend = await self.backend()
        kind = classify(backend)
        if kind == "null":
            raise SecretUnavailable(
                f"cannot read {name}: the null keyring backend stores nothing; "
                "run `onduty secret backend` for the fixes"
            )
        if kind != "fail" and headless_kind(kind):
            raise SecretUnavailable(
                f"cannot read {name}: no usable keyring ({kind}); "
                "run `onduty secret backend` for the fixes"
            )
        value = await self._call("read", name, lambda: backend.get_password(SERVICE, name))
        if value is None:
            raise SecretNotFound(
                f"{name} is not set: the keyring has no such entry and "
                f"{env_var_name(name)} is not set; store it with `onduty secret set {name}`"
            )
        REDACTOR.register(value)
        return SecretValue(name, value, "keyring")

    async def set(self, name: str, value: str) -> StoreResult:
        """Store ``value`` under ``name``, read it back, and warn if it is not stored safely."""
        validate_name(name)
        if not value:
            raise SecretError(f"refusing to store an empty value for {name}")
        REDACTOR.register(value)
        backend = await self.backend()
        kind = classify(backend)

        def store_and_read_back() -> str | None:
            backend.set_password(SERVICE, name, value)
            return backend.get_password(SERVICE, name)

        read_back = await self._call("store", name, store_and_read_back)
        if read_back != value:
            got = "nothing" if read_back is None else "a different value"
            why = " (the null backend discards every write)" if kind == "null" else ""
            raise SecretUnavailable(
                f"{name} was NOT stored: the keyring accepted it but reading it back gave "
                f"{got}{why}; run `onduty secret backend` for the fixes"
            )
        self._session.pop(name, None)
        await self._update_index(add=name)
        info = await self.backend_info()
        if info.secure:
            return StoreResult(name, secure=True)
        return StoreResult(
            name,
            secure=False,
            warning=(
                f"{name} was stored WITHOUT encryption by {info.name} ({info.description}); "
                "anyone who can read your files can read it. "
                "Run `onduty secret backend` for safer options."
            ),
        )

    async def delete(self, name: str) -> None:
        """Remove ``name`` from the keyring, this session and the name index."""
        validate_name(name)
        backend = await self.backend()
        if classify(backend) == "null":
            raise SecretUnavailable(
                f"cannot delete {name}: the null keyring backend stores nothing"
            )

        def remove() -> bool:
            try:
                backend.delete_password(SERVICE, name)
            except PasswordDeleteError:
                if backend.get_password(SERVICE, name) is None:
                    return False
                raise
            return True

        in_session = self._session.pop(name, None) is not None
        try:
            found = await self._call("delete", name, remove)
        except SecretUnavailable:
            if not in_session:
                raise
            found = False
        await self._update_index(remove=name)
        if not (found or in_session):
            raise SecretNotFound(f"{name} is not set: the keyring has no such entry")

    async def status(self, name: str) -> SecretStatus:
        """Where ``name`` would come from now, or why it cannot be read (never the value)."""
        try:
            secret = await self.get(name)
        except SecretNotFound as exc:
            return SecretStatus(name, "missing", redact(str(exc)))
        except SecretLocked as exc:
            return SecretStatus(name, "locked", redact(str(exc)))
        except SecretUnavailable as exc:
            return SecretStatus(name, "unavailable", redact(str(exc)))
        return SecretStatus(name, secret.source)

    async def statuses(self, names: Sequence[str]) -> list[SecretStatus]:
        """``status`` of every name, concurrently (each keyring call has its own deadline)."""
        return list(await asyncio.gather(*(self.status(n) for n in names)))

    async def names(self) -> list[str]:
        """Names of the secrets onduty stored or was given this session (never values)."""
        stored = await self._disk(self._read_index)
        return sorted(set(stored) | set(self._session))

    def remember_for_session(self, name: str, value: str) -> None:
        """Keep ``value`` in memory for this process only (when nothing can be stored)."""
        validate_name(name)
        if not value:
            raise SecretError(f"refusing to remember an empty value for {name}")
        REDACTOR.register(value)
        self._session[name] = value

    async def backend_info(self) -> BackendInfo:
        """Which backend is active, its priority and kind, in plain words."""
        backend = await self.backend()
        return await self._call("describe", None, lambda: _describe(backend))

    async def unlock(self, passphrase: str) -> None:
        """Unlock onduty's encrypted file (creating it on first use); no-op for others."""
        backend = await self.backend()
        if isinstance(backend, EncryptedFileKeyring):
            await self._call("unlock", None, lambda: backend.unlock(passphrase))

    async def backend(self) -> KeyringBackend:
        """The backend in use, chosen once: explicit, ONDUTY_KEYRING_BACKEND, or keyring's."""
        if self._backend is None:
            self._backend = await self._call("find a keyring", None, self._choose_backend)
        return self._backend

    # -- internals

    def _choose_backend(self) -> KeyringBackend:
        choice = self._environ.get(BACKEND_ENV, "").strip().lower()
        if choice == ENCRYPTED_FILE_CHOICE:
            return EncryptedFileKeyring(self.encrypted_path)
        if choice not in ("", "system"):
            raise SecretUnavailable(
                f"{BACKEND_ENV}={choice!r} is not understood: "
                f"use 'system' or '{ENCRYPTED_FILE_CHOICE}'"
            )
        system = keyring.get_keyring()
        if choice == "" and classify(system) in ("fail", "null") and self.encrypted_path.exists():
            return EncryptedFileKeyring(self.encrypted_path)
        return system

    async def _call(self, what: str, name: str | None, work: Callable[[], _T]) -> _T:
        """Run ``work`` in a daemon thread; give up after ``timeout`` and translate errors.

        The thread is not joined: if the keyring never answers it stays behind, but it
        cannot keep the process alive or the caller waiting.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[_T] = loop.create_future()

        def run() -> None:
            try:
                result: Any = work()
                error: BaseException | None = None
            except Exception as exc:
                result, error = None, exc
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, result, error)

        threading.Thread(target=run, name=f"onduty-keyring-{what}", daemon=True).start()
        subject = f" {name}" if name else ""
        try:
            return await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            raise SecretUnavailable(
                f"keyring did not answer within {self.timeout:g} s ({what}{subject}); it may be "
                "waiting for an unlock prompt that cannot be shown here. Unlock the keyring, "
                "or run `onduty secret backend` for other options"
            ) from None
        except SecretError:
            raise
        except Exception as exc:
            raise _translate(exc, what, subject) from None

    async def _disk(self, work: Callable[[], _T]) -> _T:
        try:
            return await asyncio.wait_for(asyncio.to_thread(work), self.timeout)
        except TimeoutError:
            raise SecretUnavailable(
                f"the secret name index {self.index_path} did not answer within {self.timeout:g} s"
            ) from None

    def _read_index(self) -> list[str]:
        try:
            data = json.loads(self.index_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        names = data.get("names", []) if isinstance(data, dict) else []
        return [n for n in names if isinstance(n, str) and SECRET_NAME.match(n)]

    async def _update_index(self, *, add: str | None = None, remove: str | None = None) -> None:
        def update() -> None:
            names = set(self._read_index())
            if add:
                names.add(add)
            if remove:
                names.discard(remove)
            _atomic_write(self.index_path, json.dumps({"names": sorted(names)}, indent=1) + "\n")

        try:
            await self._disk(update)
        except OSError as exc:
            raise SecretError(f"cannot update the secret name index: {exc}") from None


def _translate(exc: Exception, what: str, subject: str) -> SecretError:
    """Map a keyring, D-Bus or OS error to the SecretError that tells the truth."""
    detail = redact(str(exc)) or type(exc).__name__
    if isinstance(exc, KeyringLocked) or type(exc).__name__ == "LockedException":
        return SecretLocked(
            f"keyring is locked ({what}{subject}): {detail}. Unlock it and try again"
        )
    if isinstance(exc, NoKeyringError):
        return SecretUnavailable(
            f"no keyring is available ({what}{subject}); run `onduty secret backend` for the fixes"
        )
    if isinstance(exc, KeyringError):
        return SecretUnavailable(f"keyring unavailable ({what}{subject}): {detail}")
    return SecretUnavailable(
        f"keyring unavailable ({what}{subject}): {type(exc).__name__}: {detail}"
    )
