"""``onduty init --from-runbook FILE``: draft a config from the team's own runbook.

A runbook already names what on-call watches: the health URLs it curls, the log
commands it runs (``railway logs``, ``fly logs -a APP``, ``kubectl logs``...), the
environments in its URLs and flags, and its alert threshold tables. The draft collects
them into a config that loads as it is, and marks every value ``# REVIEW:`` with the
runbook line it came from, because a runbook is prose written for people and a guess
must never pass unseen into an on-call console. What has no config field (CPU, disk,
uptime targets) is listed in the header, and the runbook itself goes under
``[runbooks]`` so its procedures, checklists and SQL are there in the incident screen.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from tui.config import Thresholds, parse_config
from tui.errors import OnDutyError
from tui.runbooks.markdown import ListBlock, Quote, Table, parse_blocks
from tui.sanitize import decode, sanitize

MAX_RUNBOOK_BYTES = 1024 * 1024
DEFAULT_ENV = "production"
_ENV_ORDER = ("production", "staging", "testing", "development")
_ENV_WORDS = {
    "production": "production", "prod": "production", "live": "production",
    "staging": "staging", "stage": "staging", "stg": "staging",
    "testing": "testing", "test": "testing", "uat": "testing", "qa": "testing",
    "development": "development", "dev": "development",
}
_THIRD_PARTY = (
    "datadoghq.com", "sentry.io", "slack.com", "github.com", "githubstatus.com",
    "clerk.dev", "clerk.com", "supabase.com", "supabase.io", "neon.tech", "fly.io",
    "vercel.com", "pagerduty.com", "railway.app", "replit.com", "statuspage.io",
    "amazonaws.com", "stripe.com",
)
_APP_SUFFIXES = (".up.railway.app", ".fly.dev", ".vercel.app", ".repl.co", ".onrender.com",
                 ".herokuapp.com")
_HEALTH_LAST = frozenset({"health", "healthz", "livez", "readyz", "ping", "metrics",
                          "healthcheck", "_health"})
_HEALTH_UNDER = frozenset({"quick", "detailed", "live", "ready", "liveness", "readiness",
                           "status", "deep", "db", "database"})
_URL = re.compile(r"https?://[^\s`'\"<>|)]+")
_PLACEHOLDER = re.compile(r"\[([A-Za-z][A-Za-z0-9_ -]*)\]|<([A-Za-z][A-Za-z0-9_-]*)>"
                          r"|\{([A-Za-z][A-Za-z0-9_-]*)\}")
_INLINE_CODE = re.compile(r"`([^`]+)`")
_FENCE = re.compile(r"^\s*(```|~~~)")
_SERVICE_ID = re.compile(
    r"^\s*[-*]?\s*\**([A-Za-z]+)\**\s*:\s*`?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
    r"[0-9a-f]{12})`?\s*$", re.I)
_EVERY = re.compile(r"`(/[^`\s]*)`[^`]*?\bevery\s+(\d+)\s*(seconds?|secs?|s|minutes?|mins?|m)\b",
                    re.I)
_CONSECUTIVE = re.compile(r"\b(\d+)\s+consecutive\s+failures?\b", re.I)
_YAML_LIMIT = re.compile(
    r"^\s*([A-Za-z][A-Za-z /()]*?)\s*:\s*[<>]=?\s*([\d.]+)\s*(ms|s|%)?\s*"
    r"\(\s*alert\s+(?:at|if)\s*[<>]?\s*([\d.]+)\s*(ms|s|%)?\s*\)", re.I)
_NUMBER = re.compile(r"([\d.]+)\s*(ms|s|%|min|minutes?|seconds?)?", re.I)
_DATABASE_HINT = re.compile(
    r"DATABASE_URL|\bpsql\b|\bpg_dump\b|\bpostgres(?:ql)?\b|\bsupabase\b|\bneon\b|"
    r"\bpg_stat_\w+|\bpg_is_in_recovery\b", re.I)
_LOG_PROGRAMS = ("railway", "fly", "flyctl", "kubectl", "docker", "journalctl", "heroku")
_DROP_WITH_VALUE = frozenset({"--since", "--tail", "--limit", "--lines", "--filter",
                              "--deployment", "--until"})
_LINE_COUNT = frozenset({"journalctl", "docker", "heroku"})  # where -n N is a line count
_FOLLOW = frozenset({"--follow", "-f"})
_FILTER_PROGRAMS = frozenset({"grep", "egrep", "rg", "awk", "jq"})


@dataclass(frozen=True)
class Origin:
    """The runbook line a drafted value came from."""

    line: int
    text: str

    def comment(self) -> str:
        text = sanitize(" ".join(self.text.split()))
        if len(text) > 100:
            text = text[:99] + "…"
        return f"# REVIEW: line {self.line}: {text}"


@dataclass
class DraftHealth:
    """One health endpoint found in the runbook."""

    url: str
    origin: Origin
    interval: int = 30
    note: str = ""


@dataclass
class DraftLogs:
    """One log command found in the runbook, with the filters it was piped through."""

    argv: tuple[str, ...]
    origin: Origin
    filters: list[str] = field(default_factory=list)


@dataclass
class DraftEnv:
    """One environment of the draft."""

    name: str
    base_url: str | None = None
    base_origin: Origin | None = None
    health: list[DraftHealth] = field(default_factory=list)
    logs: list[DraftLogs] = field(default_factory=list)
    database: Origin | None = None

    @property
    def empty(self) -> bool:
        return self.base_url is None and not self.health and not self.logs


@dataclass
class Draft:
    """Everything drafted from one runbook; ``render()`` makes the TOML."""

    source: Path
    environments: dict[str, DraftEnv] = field(default_factory=dict)
    thresholds: dict[str, tuple[float, Origin]] = field(default_factory=dict)
    unsupported: list[Origin] = field(default_factory=list)
    skipped: list[Origin] = field(default_factory=list)
    placeholders: set[str] = field(default_factory=set)

    def env(self, name: str) -> DraftEnv:
        if name not in self.environments:
            self.environments[name] = DraftEnv(name)
        return self.environments[name]

    @property
    def secrets(self) -> list[str]:
        return [f"{e.name}/database_url" for e in self.ordered() if e.database is not None]

    def ordered(self) -> list[DraftEnv]:
        """Non-empty environments, production first."""
        def rank(env: DraftEnv) -> tuple[int, str]:
            order = _ENV_ORDER.index(env.name) if env.name in _ENV_ORDER else len(_ENV_ORDER)
            return order, env.name
        return sorted((e for e in self.environments.values() if not e.empty), key=rank)

    def render(self) -> str:
        """The draft as a commented TOML config."""
        return _render(self)

    def summary(self) -> str:
        envs = self.ordered()
        health = sum(len(e.health) for e in envs)
        logs = sum(len(e.logs) for e in envs)
        return (f"{len(envs)} environment{'s' * (len(envs) != 1)}, {health} health "
                f"endpoint{'s' * (health != 1)}, {logs} log source{'s' * (logs != 1)}, "
                f"{len(self.thresholds)} threshold{'s' * (len(self.thresholds) != 1)}")


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class _Snippet:
    """A piece of the runbook to read: a logical line of code, or a line of prose."""

    line: int
    text: str
    code: bool


def _snippets(text: str) -> Iterator[_Snippet]:
    """Fenced code as logical lines (``\\`` continuations joined, comments dropped),
    inline code spans, and prose lines."""
    lines = text.split("\n")
    in_fence = False
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(lines, start=1):
        if _FENCE.match(raw):
            in_fence = not in_fence
            pending = None
            continue
        if in_fence:
            stripped = raw.strip()
            if pending is None and (not stripped or stripped.startswith(("#", "--", "//"))):
                continue
            start, sofar = pending if pending is not None else (number, "")
            if stripped.endswith("\\"):
                pending = (start, sofar + stripped[:-1] + " ")
                continue
            pending = None
            yield _Snippet(start, sofar + stripped, True)
            continue
        for span in _INLINE_CODE.findall(raw):
            yield _Snippet(number, span, True)
        yield _Snippet(number, raw, False)


def _pipeline(text: str) -> list[list[str]]:
    """The words of each command of a shell pipeline (``a | grep "x\\|y"``), quotes kept
    together; plain whitespace splitting when the quoting is unbalanced."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars="|;&")
    lexer.whitespace_split = True
    segments: list[list[str]] = [[]]
    try:
        for token in lexer:
            if set(token) <= set("|;&"):
                segments.append([])
            else:
                segments[-1].append(token)
    except ValueError:
        return [text.split()]
    return [segment for segment in segments if segment]


def _env_of(text: str) -> str | None:
    """The environment a host, URL or label names ("staging.example.com" -> staging);
    a platform's own domain (``.fly.dev``) names none."""
    text = text.lower()
    for suffix in _APP_SUFFIXES:
        text = text.replace(suffix, " ")
    for token in re.split(r"[^a-z0-9]+", text):
        if token in _ENV_WORDS:
            return _ENV_WORDS[token]
    return None


def _third_party(host: str) -> bool:
    if host.endswith(_APP_SUFFIXES):
        return False
    return any(host == d or host.endswith("." + d) for d in _THIRD_PARTY) or host.startswith(
        "status.")


def _health_path(path: str) -> bool:
    parts = [p for p in path.lower().split("/") if p]
    if not parts:
        return False
    if parts[-1] in _HEALTH_LAST:
        return True
    return parts[-1] in _HEALTH_UNDER and any(p in ("health", "healthz") for p in parts[:-1])


class _Reader:
    """Walks one runbook and fills a :class:`Draft`."""

    def __init__(self, text: str, source: Path) -> None:
        self.text = text
        self.draft = Draft(source)
        self.service_ids: dict[str, str] = {}
        self.placeholder_urls: list[tuple[str, str, Origin]] = []

    def placeholder(self, text: str) -> str:
        """``[app-name]`` -> ``APP-NAME``, remembered for the header."""
        def upper(match: re.Match[str]) -> str:
            word = next(g for g in match.groups() if g)
            token = re.sub(r"[^A-Za-z0-9]+", "-", word).strip("-").upper()
            self.draft.placeholders.add(token)
            return token
        return _PLACEHOLDER.sub(upper, text)

    def run(self) -> Draft:
        snippets = list(_snippets(self.text))
        for snip in snippets:
            match = _SERVICE_ID.match(snip.text)
            if match and _env_of(match.group(1)):
                self.service_ids[_env_of(match.group(1)) or ""] = match.group(2)
        self.tables()
        for snip in snippets:
            if snip.code:
                self.command(snip)
            else:
                self.prose(snip)
        self.settle_placeholders()
        self.intervals_and_streaks()
        self.database()
        return self.draft

    # -- URLs

    def add_url(self, url: str, origin: Origin, *, health_only: bool) -> None:
        url = self.placeholder(url.rstrip(".,;:"))
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if not host or _third_party(host):
            return
        env = _env_of(host) or DEFAULT_ENV
        base = f"{parts.scheme}://{parts.netloc}"
        if _health_path(parts.path):
            if any(token in url for token in self.draft.placeholders):
                self.placeholder_urls.append((env, url, origin))
                return
            self.add_health(env, url, origin)
        elif not health_only and parts.path in ("", "/"):
            self.set_base(env, base, origin)

    def set_base(self, env: str, base: str, origin: Origin) -> None:
        target = self.draft.env(env)
        if target.base_url is None:
            target.base_url, target.base_origin = base, origin

    def add_health(self, env: str, url: str, origin: Origin) -> None:
        target = self.draft.env(env)
        if any(h.url == url for h in target.health):
            return
        parts = urlsplit(url)
        self.set_base(env, f"{parts.scheme}://{parts.netloc}", origin)
        target.health.append(DraftHealth(url, origin))

    def settle_placeholders(self) -> None:
        """URLs on a placeholder host count only where the runbook gave no real one."""
        for env, url, origin in self.placeholder_urls:
            target = self.draft.env(env)
            if any(h.url == url for h in target.health):
                continue
            real = [h for h in target.health if urlsplit(h.url).path == urlsplit(url).path]
            if real:
                self.draft.skipped.append(origin)
            else:
                self.add_health(env, url, origin)

    # -- tables

    def tables(self) -> None:
        blocks = list(parse_blocks(self.text))
        while blocks:
            block = blocks.pop(0)
            if isinstance(block, Table):
                self.table(block)
            elif isinstance(block, Quote):
                blocks[:0] = block.blocks
            elif isinstance(block, ListBlock):
                blocks[:0] = [b for item in block.items for b in item.blocks]

    def table(self, table: Table) -> None:
        header = [h.lower() for h in table.header]
        lines = table.row_lines or [table.line] * len(table.rows)
        has_levels = any("warn" in h for h in header) and any("critical" in h for h in header)
        for row, line in zip(table.rows, lines, strict=False):
            origin = Origin(line, "| " + " | ".join(row) + " |")
            if has_levels and row:
                warn = header.index(next(h for h in header if "warn" in h))
                crit = header.index(next(h for h in header if "critical" in h))
                if max(warn, crit) < len(row):
                    self.threshold(row[0], row[warn], row[crit], origin)
                continue
            label = _env_of(row[0]) if row else None
            for cell in row[1:]:
                for url in _URL.findall(cell):
                    url = self.placeholder(url)
                    parts = urlsplit(url)
                    if label and parts.path in ("", "/") and not _third_party(
                            (parts.hostname or "").lower()):
                        self.set_base(label, f"{parts.scheme}://{parts.netloc}", origin)
            paths = [p for cell in row for p in _INLINE_CODE.findall(cell)
                     if p.startswith("/") and _health_path(p)]
            for path in paths:
                self.endpoint_path(path, origin)

    def endpoint_path(self, path: str, origin: Origin) -> None:
        """A bare ``/api/health/quick`` from an endpoints table, joined to a base later."""
        self.draft.env(DEFAULT_ENV).health.append(DraftHealth(path, origin))

    # -- thresholds

    def threshold(self, metric: str, warn_cell: str, crit_cell: str, origin: Origin) -> None:
        prefix = _metric_field(metric)
        warn = _number(warn_cell)
        crit = _number(crit_cell)
        if prefix is None or warn is None or crit is None:
            self.draft.unsupported.append(origin)
            return
        for suffix, value in (("warn", warn), ("critical", crit)):
            name = f"{prefix}_{suffix}_{'ms' if prefix in ('latency', 'p95') else 'pct'}"
            self.draft.thresholds.setdefault(name, (value, origin))

    # -- commands and prose

    def command(self, snip: _Snippet) -> None:
        origin = Origin(snip.line, snip.text)
        if self.limit_line(snip.text, origin):
            return
        segments = _pipeline(snip.text)
        words = segments[0] if segments else []
        if not words:
            return
        program = Path(words[0]).name
        if program == "curl":
            self.curl(words, origin)
        elif self.is_logs(program, words):
            filters = ["| " + shlex.join(seg) for seg in segments[1:]
                       if seg and Path(seg[0]).name in _FILTER_PROGRAMS]
            self.logs(program, words, filters, origin)
        else:
            if program == "railway":
                env = _option(words, "--environment", "-e")
                if env and _env_of(env):
                    self.draft.env(_env_of(env) or env)
            for url in _URL.findall(snip.text):
                self.add_url(url, origin, health_only=True)

    def curl(self, words: list[str], origin: Origin) -> None:
        method = _option(words, "-X", "--request")
        sends = any(w in ("-d", "--data", "--data-raw", "-F", "-H", "--header") for w in words)
        urls = [w for w in words if w.startswith(("http://", "https://"))]
        if (method and method.upper() != "GET") or sends:
            if any(_health_path(urlsplit(self.placeholder(u)).path) for u in urls):
                self.draft.skipped.append(origin)
            return
        for url in urls:
            self.add_url(url, origin, health_only=True)

    @staticmethod
    def is_logs(program: str, words: list[str]) -> bool:
        if program == "journalctl":
            return True
        return program in _LOG_PROGRAMS and "logs" in words[1:3]

    def logs(self, program: str, words: list[str], filters: list[str], origin: Origin) -> None:
        argv: list[str] = []
        skip = False
        for word in words:
            if skip:
                skip = False
                continue
            flag = word.split("=", 1)[0]
            dropped = flag in _DROP_WITH_VALUE or (flag == "-n" and program in _LINE_COUNT)
            if dropped and not (program == "heroku" and flag == "--tail"):
                skip = "=" not in word
                value = _option(words, flag) if flag == "--filter" else None
                if value:
                    filters = [f"{flag} {shlex.quote(value)}", *filters]
                continue
            argv.append(word)
        if program in ("kubectl", "docker", "journalctl") and not _FOLLOW & set(argv):
            argv.append("-f")
        if program == "heroku" and "--tail" not in argv:
            argv.append("--tail")
        env_flag = _option(argv, "--environment", "-e") if program == "railway" else None
        if env_flag and _PLACEHOLDER.fullmatch(env_flag):
            targets = [e.name for e in self.draft.environments.values()] or [DEFAULT_ENV]
        elif env_flag:
            targets = [_env_of(env_flag) or env_flag]
        else:
            named = _env_of(" ".join(argv[2:]))
            targets = [named or DEFAULT_ENV]
        for env in targets:
            concrete = [self.fill(word, env) for word in argv]
            self.add_logs(env, tuple(concrete), filters, origin)

    def fill(self, word: str, env: str) -> str:
        """Placeholders a runbook already answers: the environment and its service id."""
        match = _PLACEHOLDER.fullmatch(word)
        if match:
            name = next(g for g in match.groups() if g).lower()
            if name in ("env", "environment"):
                return env
            if "service" in name and env in self.service_ids:
                return self.service_ids[env]
        return self.placeholder(word)

    def add_logs(self, env: str, argv: tuple[str, ...], filters: list[str],
                 origin: Origin) -> None:
        target = self.draft.env(env)
        core = set(argv) - _FOLLOW
        for existing in list(target.logs):
            other = set(existing.argv) - _FOLLOW
            if core <= other and (not _FOLLOW & set(argv) or _FOLLOW & set(existing.argv)):
                _add_filters(existing, filters)
                return
            if other <= core:
                target.logs.remove(existing)
                filters = [*existing.filters, *filters]
                origin = origin if _FOLLOW & set(argv) else existing.origin
        entry = DraftLogs(argv, origin)
        _add_filters(entry, filters)
        target.logs.append(entry)

    def prose(self, snip: _Snippet) -> None:
        for url in _URL.findall(snip.text):
            self.add_url(url, Origin(snip.line, snip.text.strip()), health_only=False)
        self.limit_line(snip.text, Origin(snip.line, snip.text.strip()))

    def limit_line(self, text: str, origin: Origin) -> bool:
        """``Response Time: < 2000ms (Alert at 3000ms)``: the first is the warning level."""
        match = _YAML_LIMIT.match(text)
        if match is None:
            return False
        self.threshold(match.group(1), match.group(2) + (match.group(3) or ""),
                       match.group(4) + (match.group(5) or ""), origin)
        return True

    # -- the rest

    def intervals_and_streaks(self) -> None:
        for number, line in enumerate(self.text.split("\n"), start=1):
            for path, amount, unit in _EVERY.findall(line):
                seconds = int(amount) * (60 if unit.lower().startswith("m") else 1)
                for env in self.draft.environments.values():
                    for health in env.health:
                        if urlsplit(health.url).path == path or health.url == path:
                            health.interval = seconds
                            health.note = Origin(number, line).comment()
            streak = _CONSECUTIVE.search(line)
            if streak and "failures_before_down" not in self.draft.thresholds:
                self.draft.thresholds["failures_before_down"] = (
                    float(streak.group(1)), Origin(number, line.strip()))

    def database(self) -> None:
        for number, line in enumerate(self.text.split("\n"), start=1):
            if _DATABASE_HINT.search(line):
                self.draft.env(DEFAULT_ENV).database = Origin(number, line.strip())
                return


def _add_filters(entry: DraftLogs, filters: list[str]) -> None:
    for text in filters:
        if text and text not in entry.filters:
            entry.filters.append(text)


def _option(words: list[str], *names: str) -> str | None:
    for index, word in enumerate(words):
        for name in names:
            if word == name and index + 1 < len(words):
                return words[index + 1]
            if word.startswith(name + "="):
                return word[len(name) + 1:]
    return None


def _metric_field(metric: str) -> str | None:
    """Which onduty threshold a runbook's metric name is."""
    name = metric.lower()
    if ("response" in name or "latency" in name) and ("p95" in name or "95" in name):
        return "p95"
    if "response" in name or "latency" in name:
        return "latency"
    if "error rate" in name and "database" not in name:
        return "error_rate"
    if "memory" in name:
        return "memory"
    return None


def _number(cell: str) -> float | None:
    """``> 1000ms`` -> 1000, ``> 1%`` -> 1; None for durations in minutes or no number."""
    match = _NUMBER.search(cell)
    if match is None:
        return None
    unit = (match.group(2) or "").lower()
    if unit.startswith("min"):
        return None
    value = float(match.group(1))
    return value * 1000 if unit in ("s", "second", "seconds") else value


# --------------------------------------------------------------------------- writing


def _toml(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; non-ASCII escaped too)."""
    return json.dumps(value, ensure_ascii=True)


def _number_text(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def _values(draft: Draft) -> str:
    """Every drafted value as one text, to see which placeholders it still holds."""
    parts: list[str] = []
    for env in draft.ordered():
        parts.append(env.base_url or "")
        parts += [h.url for h in env.health]
        parts += [w for logs in env.logs for w in logs.argv]
    return "\n".join(parts)


def _render(draft: Draft) -> str:
    envs = draft.ordered()
    values = _values(draft)
    placeholders = sorted(t for t in draft.placeholders if t in values)
    out = [
        f"# onduty config drafted from {sanitize(draft.source.name)} by "
        "`onduty init --from-runbook`.",
        "#",
        "# Every value below was found in the runbook and is marked REVIEW with the line it",
        "# came from: check each one, then delete the REVIEW comments.",
    ]
    if placeholders:
        out.append(f"# Replace the runbook's placeholders: {sanitize(', '.join(placeholders))}.")
    if draft.secrets:
        out += ["#", "# Secrets this config needs (stored in the OS keyring, never in this file):"]
        out += [f"#   onduty secret set {name}" for name in draft.secrets]
    out += ["#", "# Then:  onduty --config THIS_FILE   (or `onduty --config THIS_FILE check`)"]
    if draft.unsupported:
        out += ["#", "# In the runbook but not drafted (no onduty threshold for them):"]
        out += ["#   " + o.comment().removeprefix("# REVIEW: ") for o in draft.unsupported]
    if draft.skipped:
        out += ["#", "# Health URLs left out (they need a request onduty does not send, or a",
                "# placeholder host the runbook also gives for real):"]
        out += ["#   " + o.comment().removeprefix("# REVIEW: ") for o in draft.skipped]
    if not envs:
        out += ["#", "# No health URL, log command or environment was found in the runbook.",
                "# See README.md (Configuration) for the keys, or examples/ for whole configs."]
    elif not any(env.logs for env in envs):
        out += ["#", "# No log command was found in the runbook: add [[environments.NAME.logs]]",
                '# with command = ["..."], file = "..." or stdin = true.']
    for env in envs:
        out += ["", f"[environments.{env.name}]"]
        if env.base_url is not None and env.base_origin is not None:
            out += [env.base_origin.comment(), f"base_url = {_toml(env.base_url)}"]
        if env.database is not None:
            out += [env.database.comment(),
                    f"database = {_toml(env.name + '/database_url')}   # the NAME of a "
                    "keyring secret"]
        if draft.thresholds:
            out += ["", f"[environments.{env.name}.thresholds]"]
            previous: Origin | None = None
            for name in Thresholds.__dataclass_fields__:
                if name not in draft.thresholds:
                    continue
                value, origin = draft.thresholds[name]
                if origin != previous:
                    out.append(origin.comment())
                previous = origin
                out.append(f"{name} = {_number_text(value)}")
        names: set[str] = set()
        for health in env.health:
            out += ["", f"[[environments.{env.name}.health]]", health.origin.comment()]
            if health.url.startswith("/"):
                key, value, name = "path", health.url, health.url
            elif env.base_url and health.url.startswith(env.base_url + "/"):
                key, value = "path", health.url[len(env.base_url):]
                name = value
            else:
                key, value = "url", health.url
                name = urlsplit(health.url).netloc + urlsplit(health.url).path
            if name in names:
                out.append(f"name = {_toml(urlsplit(health.url).netloc + value)}")
            names.add(name)
            out.append(f"{key} = {_toml(value)}")
            if health.note:
                out.append(health.note)
            out.append(f'interval = "{health.interval}s"')
        for logs in env.logs:
            out += ["", f"[[environments.{env.name}.logs]]", logs.origin.comment()]
            if logs.filters:
                out.append("# the runbook filters it with (the log pane's presets and / do this "
                           "live):")
                out += [f"#   {sanitize(text)[:96]}" for text in logs.filters[:6]]
            out.append("command = [" + ", ".join(_toml(w) for w in logs.argv) + "]")
    out += ["", "[runbooks]", "# The runbook itself: its procedures, checklists, severities and "
            "templates.", f"paths = [{_toml(str(draft.source))}]", ""]
    return "\n".join(out)


def draft_config(text: str, source: Path) -> Draft:
    """The draft for runbook ``text`` read from ``source``."""
    reader = _Reader(text, source.resolve())
    draft = reader.run()
    for env in draft.environments.values():
        if any(h.url.startswith("/") for h in env.health) and env.base_url is None:
            env.base_url = "https://YOUR-HOST"
            env.base_origin = Origin(env.health[0].origin.line,
                                     "no host for these paths in the runbook")
            draft.placeholders.add("YOUR-HOST")
        urls = {h.url for h in env.health}
        env.health = [h for h in env.health if not (
            h.url.startswith("/") and env.base_url and env.base_url + h.url in urls)]
    return draft


def read_runbook_text(path: Path) -> str:
    """The runbook's text, decoded as onduty decodes every untrusted file."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_RUNBOOK_BYTES)
    except OSError as exc:
        raise OnDutyError(f"cannot read runbook {path}: {exc.strerror or exc}") from None
    return decode(data)


def write_new_file(path: Path, text: str, *, force: bool) -> None:
    """Write ``text`` to ``path`` atomically; refuse to replace a file unless ``force``."""
    if path.exists() and not force:
        raise OnDutyError(f"{path} already exists; choose another --output or add --force "
                          "to replace it")
    if path.is_dir():
        raise OnDutyError(f"{path} is a directory; give a file name for --output")
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise OnDutyError(f"cannot write {path}: {exc.strerror or exc}") from None


def run_init(runbook: Path, output: Path | None, *, force: bool = False,
             out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Draft a config from ``runbook``; print it (to ``out``, default stdout), or write it
    to ``output`` and say so on ``err`` (default stderr). Returns 0."""
    out = out or sys.stdout
    err = err or sys.stderr
    draft = draft_config(read_runbook_text(runbook), runbook)
    text = draft.render()
    target = output or Path("draft.toml")
    try:
        parse_config(text, target)
    except OnDutyError as exc:
        raise OnDutyError(f"the draft from {runbook} does not load ({exc}); please report "
                          "this with the runbook") from None
    if output is None:
        out.write(text)
        return 0
    write_new_file(output, text, force=force)
    err.write(f"onduty: wrote {output}: {draft.summary()} from {runbook}. Review the lines "
              f"marked REVIEW, then run `onduty --config {output}`.\n")
    return 0
