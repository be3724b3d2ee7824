"""onduty's TOML config -> a typed, validated model.

The file describes environments (base URL, health endpoints, thresholds, the name of the
database secret, log sources), runbook folders and the incident store. Secrets are only
ever referenced by name. Every error names the file, the line and the key, and says what
was expected; unknown keys are rejected with a suggestion, because a typo in an on-call
config must not silently disable a check.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from tui.errors import OnDutyError
from tui.paths import data_dir

SECRET_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


class ConfigError(OnDutyError):
    """The config file is unreadable or invalid; the message says where and why."""


@dataclass(frozen=True)
class Thresholds:
    """When a health reading turns degraded or down. Defaults are the seed runbooks' own."""

    latency_warn_ms: float = 1000
    latency_critical_ms: float = 2000
    p95_warn_ms: float = 2000
    p95_critical_ms: float = 5000
    error_rate_warn_pct: float = 1.0
    error_rate_critical_pct: float = 5.0
    memory_warn_pct: float = 75
    memory_critical_pct: float = 90
    failures_before_down: int = 3
    successes_before_up: int = 2
    cert_warn_days: int = 14


@dataclass(frozen=True)
class HealthEndpoint:
    """One URL probed on its own interval."""

    name: str
    url: str
    interval: float = 30.0
    timeout: float = 10.0
    auth_secret: str | None = None
    conditions: tuple[str, ...] = ()
    expect_status: tuple[int, ...] = ()


@dataclass(frozen=True)
class LogSource:
    """One labelled log source: a command, a followed file, or standard input."""

    name: str
    command: tuple[str, ...] = ()
    shell: bool = False
    file: str | None = None
    stdin: bool = False

    @property
    def kind(self) -> str:
        if self.command:
            return "command"
        if self.file:
            return "file"
        return "stdin"


@dataclass(frozen=True)
class Environment:
    """A deployment the engineer is on call for (production, staging...)."""

    name: str
    base_url: str | None = None
    health: tuple[HealthEndpoint, ...] = ()
    logs: tuple[LogSource, ...] = ()
    database_secret: str | None = None
    db_poll_interval: float = 2.0
    read_only: bool = True
    thresholds: Thresholds = field(default_factory=Thresholds)


@dataclass(frozen=True)
class Config:
    """The whole validated config. ``path`` is None for a built-in (demo) config."""

    environments: tuple[Environment, ...] = ()
    runbook_paths: tuple[Path, ...] = ()
    incident_store: Path = field(default_factory=lambda: data_dir() / "incidents.sqlite3")
    bell: bool = True
    path: Path | None = None
    keys: tuple[tuple[str, str], ...] = ()
    incident_webhook: str | None = None

    def environment(self, name: str) -> Environment:
        for env in self.environments:
            if env.name == name:
                return env
        known = ", ".join(e.name for e in self.environments) or "none configured"
        raise ConfigError(f"no environment named {name!r} (known: {known})")


# --------------------------------------------------------------------------- loading


def load_config(path: Path) -> Config:
    """Read and validate ``path``. A missing file is an empty config, not an error."""
    if not path.exists():
        return Config(path=path)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None
    return parse_config(source, path)


def parse_config(source: str, path: Path) -> Config:
    """Validate TOML ``source`` that came from ``path`` (used in messages)."""
    try:
        raw = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return _Validator(source, path).config(raw)


def parse_duration(value: Any) -> float | None:
    """Seconds from ``30``, ``"30s"``, ``"500ms"``, ``"2m"``; None if not a duration."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return float(match.group(1)) * _UNITS[match.group(2)]
    return None


class _Validator:
    """Walks the parsed TOML; every complaint carries file, line and dotted key."""

    def __init__(self, source: str, path: Path) -> None:
        self.lines = source.splitlines()
        self.path = path

    # -- error reporting

    def fail(self, key: str, message: str) -> ConfigError:
        line = self._line_of(key)
        where = f"{self.path}:{line}" if line else str(self.path)
        return ConfigError(f"{where}: {key}: {message}")

    def _line_of(self, dotted: str) -> int | None:
        """Best-effort line number of ``dotted`` (e.g. ``environments.prod.health[1].url``)."""
        parts = re.findall(r"[^.\[\]]+|\[\d+\]", dotted)
        names = [p for p in parts if not p.startswith("[")]
        if not names:
            return None
        leaf = names[-1]
        table = names[:-1]
        index = next((int(p[1:-1]) for p in reversed(parts) if p.startswith("[")), None)
        header = None
        seen = -1
        key_re = re.compile(rf"^\s*[\"']?{re.escape(leaf)}[\"']?\s*=")
        best = None
        for number, text in enumerate(self.lines, start=1):
            stripped = text.strip()
            head = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?", stripped)
            if head:
                header = [h.strip().strip("\"'") for h in head.group(1).split(".")]
                if header == table and stripped.startswith("[["):
                    seen += 1
                if header == names:
                    best = best or number
                continue
            if key_re.match(text) and header is not None:
                prefix_ok = header == table or table[: len(header)] == header
                if prefix_ok and (index is None or seen == index or header != table):
                    return number
            elif key_re.match(text) and header is None and not table:
                return number
        return best

    def check_keys(self, data: Mapping[str, Any], allowed: set[str], where: str) -> None:
        for key in data:
            if key not in allowed:
                hint = difflib.get_close_matches(key, sorted(allowed), n=1)
                tip = f" (did you mean {hint[0]!r}?)" if hint else ""
                known = ", ".join(sorted(allowed))
                dotted = f"{where}.{key}" if where else key
                raise self.fail(dotted, f"unknown key{tip}; expected one of: {known}")

    def table(self, value: Any, key: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a table, got {_kind(value)}")
        return value

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"expected a non-empty string, got {_kind(value)}")
        return value

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {_kind(value)}")
        return value

    def number(self, value: Any, key: str, *, minimum: float = 0) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise self.fail(key, f"expected a number >= {minimum:g}, got {_kind(value)}")
        return float(value)

    def duration(self, value: Any, key: str, *, minimum: float) -> float:
        seconds = parse_duration(value)
        if seconds is None:
            raise self.fail(key, f'expected a duration such as "30s" or "500ms", got {value!r}')
        if seconds < minimum:
            raise self.fail(key, f"must be at least {minimum:g}s, got {value!r}")
        return seconds

    def secret(self, value: Any, key: str) -> str:
        name = self.string(value, key)
        if not SECRET_NAME.match(name):
            raise self.fail(
                key,
                "expected the NAME of a secret such as 'production/database_url' "
                "(store the value with `onduty secret set`); never the value itself",
            )
        return name

    def url(self, value: Any, key: str) -> str:
        text = self.string(value, key)
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise self.fail(key, f"expected an http:// or https:// URL, got {text!r}")
        if parts.password or "@" in parts.netloc:
            raise self.fail(key, "credentials do not belong in a URL here; use a secret name")
        return text

    # -- the model

    def config(self, raw: Mapping[str, Any]) -> Config:
        self.check_keys(raw, {"environments", "runbooks", "incidents", "bell", "keys"}, "")
        envs_raw = self.table(raw.get("environments", {}), "environments")
        environments = tuple(
            self.environment(name, self.table(body, f"environments.{name}"))
            for name, body in envs_raw.items()
        )
        runbooks = self.table(raw.get("runbooks", {}), "runbooks")
        self.check_keys(runbooks, {"paths"}, "runbooks")
        paths = runbooks.get("paths", [])
        if not isinstance(paths, list):
            raise self.fail("runbooks.paths", f"expected a list of folders, got {_kind(paths)}")
        runbook_paths = tuple(
            Path(self.string(p, f"runbooks.paths[{i}]")).expanduser() for i, p in enumerate(paths)
        )
        incidents = self.table(raw.get("incidents", {}), "incidents")
        self.check_keys(incidents, {"store", "webhook"}, "incidents")
        store = (
            Path(self.string(incidents["store"], "incidents.store")).expanduser()
            if "store" in incidents
            else data_dir() / "incidents.sqlite3"
        )
        webhook = (self.secret(incidents["webhook"], "incidents.webhook")
                   if "webhook" in incidents else None)
        bell = self.boolean(raw.get("bell", True), "bell")
        keys = tuple(
            (binding_id, self.string(key, f"keys.{binding_id}"))
            for binding_id, key in self.table(raw.get("keys", {}), "keys").items()
        )
        return Config(environments, runbook_paths, store, bell, self.path, keys, webhook)

    def environment(self, name: str, body: Mapping[str, Any]) -> Environment:
        where = f"environments.{name}"
        if not re.match(r"^[A-Za-z0-9_-]+$", name):
            raise self.fail(where, "environment names use letters, digits, '-' and '_' only")
        self.check_keys(
            body,
            {"base_url", "health", "logs", "database", "db_poll_interval", "read_only",
             "thresholds"},
            where,
        )
        base_url = self.url(body["base_url"], f"{where}.base_url") if "base_url" in body else None
        health_raw = body.get("health", [])
        if not isinstance(health_raw, list):
            raise self.fail(f"{where}.health", "expected [[...health]] entries (array of tables)")
        health = tuple(
            self.endpoint(self.table(h, f"{where}.health[{i}]"), f"{where}.health[{i}]", base_url)
            for i, h in enumerate(health_raw)
        )
        names = [h.name for h in health]
        for dup in {n for n in names if names.count(n) > 1}:
            raise self.fail(f"{where}.health", f"two endpoints named {dup!r}; names must differ")
        logs_raw = body.get("logs", [])
        if not isinstance(logs_raw, list):
            raise self.fail(f"{where}.logs", "expected [[...logs]] entries (an array of tables)")
        logs = tuple(
            self.log_source(self.table(s, f"{where}.logs[{i}]"), f"{where}.logs[{i}]")
            for i, s in enumerate(logs_raw)
        )
        database = (
            self.secret(body["database"], f"{where}.database") if "database" in body else None
        )
        poll = self.duration(body.get("db_poll_interval", 2), f"{where}.db_poll_interval",
                             minimum=0.5)
        read_only = self.boolean(body.get("read_only", True), f"{where}.read_only")
        thresholds = self.thresholds(
            self.table(body.get("thresholds", {}), f"{where}.thresholds"), f"{where}.thresholds"
        )
        return Environment(name, base_url, health, logs, database, poll, read_only, thresholds)

    def endpoint(self, body: Mapping[str, Any], where: str, base_url: str | None) -> HealthEndpoint:
        self.check_keys(
            body, {"name", "path", "url", "interval", "timeout", "auth", "conditions",
                   "expect_status"}, where
        )
        if ("path" in body) == ("url" in body):
            raise self.fail(where, "give exactly one of 'path' (joined to base_url) or 'url'")
        if "url" in body:
            url = self.url(body["url"], f"{where}.url")
        else:
            path = self.string(body["path"], f"{where}.path")
            if base_url is None:
                raise self.fail(f"{where}.path", "a path needs the environment's base_url")
            url = urljoin(base_url.rstrip("/") + "/", path.lstrip("/"))
        name = (
            self.string(body["name"], f"{where}.name")
            if "name" in body
            else (urlsplit(url).path or "/")
        )
        interval = self.duration(body.get("interval", 30), f"{where}.interval", minimum=1)
        timeout = self.duration(body.get("timeout", 10), f"{where}.timeout", minimum=0.1)
        auth = self.secret(body["auth"], f"{where}.auth") if "auth" in body else None
        conditions = body.get("conditions", [])
        if not isinstance(conditions, list):
            raise self.fail(f"{where}.conditions", "expected a list of strings")
        conds = tuple(self.string(c, f"{where}.conditions[{i}]") for i, c in enumerate(conditions))
        statuses = body.get("expect_status", [])
        if not isinstance(statuses, list) or not all(
            isinstance(s, int) and 100 <= s <= 599 for s in statuses
        ):
            raise self.fail(f"{where}.expect_status", "expected a list of HTTP status codes")
        return HealthEndpoint(name, url, interval, timeout, auth, conds, tuple(statuses))

    def log_source(self, body: Mapping[str, Any], where: str) -> LogSource:
        self.check_keys(body, {"name", "command", "shell", "file", "stdin"}, where)
        given = [k for k in ("command", "file", "stdin") if k in body]
        if len(given) != 1:
            raise self.fail(where, "give exactly one of 'command', 'file' or 'stdin = true'")
        shell = self.boolean(body.get("shell", False), f"{where}.shell")
        command: tuple[str, ...] = ()
        if "command" in body:
            value = body["command"]
            if isinstance(value, str):
                if not shell:
                    raise self.fail(
                        f"{where}.command",
                        'expected a list such as ["railway", "logs", "--follow"]; '
                        "a string is run by a shell only with shell = true",
                    )
                command = (value,)
            elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
                command = tuple(value)
            else:
                raise self.fail(f"{where}.command", "expected a non-empty list of strings")
        file = self.string(body["file"], f"{where}.file") if "file" in body else None
        stdin = self.boolean(body.get("stdin", False), f"{where}.stdin")
        default_name = Path(command[0]).name if command else (Path(file).name if file else "stdin")
        name = self.string(body.get("name", default_name), f"{where}.name")
        return LogSource(name, command, shell, file, stdin)

    def thresholds(self, body: Mapping[str, Any], where: str) -> Thresholds:
        fields: dict[str, Callable[[Any, str], Any]] = {
            name: (lambda v, k: int(self.number(v, k, minimum=1)))
            if name in ("failures_before_down", "successes_before_up", "cert_warn_days")
            else (lambda v, k: self.number(v, k))
            for name in Thresholds.__dataclass_fields__
        }
        self.check_keys(body, set(fields), where)
        values = {name: fields[name](value, f"{where}.{name}") for name, value in body.items()}
        return Thresholds(**values)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"string {value!r}"
    return f"{type(value).__name__} {value!r}"
