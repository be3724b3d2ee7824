"""Turn a health response (status, body, latency) into a verdict with named sub-checks.

Understood bodies: the seed runbooks' own (``{"status":"ok"}``, ``{"healthy":true}``,
``{"alive":true}``, detailed ``checks`` with database/schema/system/memory, metrics with
response-time percentiles, error rates and memory), Spring Boot Actuator, the IETF
health+json draft, ASP.NET health checks, Elasticsearch cluster health and Kubernetes
``/healthz`` and ``/readyz?verbose``. Anything else falls back to the status code, and the
result says so. Thresholds (latency, p95, error rate, memory, certificate days) add their
own sub-checks; the worst sub-check decides.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tui.config import Thresholds
from tui.health.model import SubCheck, Verdict, worst
from tui.sanitize import sanitize

NOT_RECOGNISED = "body format not recognised; verdict from HTTP status"

_WORDS: dict[str, Verdict] = {}
for _word, _verdict in (
    ("ok ok! okay healthy up pass passed passing green alive running connected available "
     "ready live true success good online serving", Verdict.HEALTHY),
    ("degraded warn warning warned yellow partial partially_available slow", Verdict.DEGRADED),
    ("down fail failed failing failure error errored unhealthy red critical disconnected "
     "unavailable out_of_service not_ready notready dead false offline bad", Verdict.DOWN),
    ("unknown", Verdict.UNKNOWN),
):
    for _w in _word.split():
        _WORDS[_w] = _verdict

_STATUS_KEYS = ("status", "state", "health", "result")
_BOOL_KEYS = ("healthy", "alive", "ok", "ready", "up", "live", "connected", "success")
_K8S_LINE = re.compile(r"^\[([+-])\]([^\s]+)\s*(.*)$")


@dataclass(frozen=True)
class Classification:
    """A verdict, its sub-checks, the metrics read from the body, and the reason's parts."""

    verdict: Verdict
    checks: tuple[SubCheck, ...]
    metrics: tuple[tuple[str, float], ...]
    recognised: bool
    body_format: str
    problems: tuple[str, ...] = ()


@dataclass
class _Reading:
    """What a body says, before thresholds: its own verdict, checks and metrics."""

    body_format: str
    verdict: Verdict | None = None
    checks: list[SubCheck] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)


def word_verdict(value: Any) -> Verdict | None:
    """Map a status word or boolean (``"UP"``, ``"pass"``, ``"Degraded"``, ``true``)."""
    if isinstance(value, bool):
        return Verdict.HEALTHY if value else Verdict.DOWN
    if isinstance(value, str):
        return _WORDS.get(value.strip().lower().replace("-", "_").replace(" ", "_"))
    return None


def parse_json(text: str) -> tuple[Any, str | None]:
    """Parse ``text`` as JSON: (value, None), or (None, a plain error message)."""
    try:
        return json.loads(text), None
    except (json.JSONDecodeError, RecursionError) as exc:
        message = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        where = f" at line {exc.lineno} column {exc.colno}" if isinstance(
            exc, json.JSONDecodeError) else ""
        return None, f"invalid JSON body: {message}{where}"


def classify(
    *,
    status: int,
    body: Any,
    body_is_json: bool,
    latency_ms: float,
    thresholds: Thresholds,
    expect_status: tuple[int, ...] = (),
    cert_days: int | None = None,
) -> Classification:
    """Verdict for one final response. ``body`` is parsed JSON when ``body_is_json``,
    else the body text (or None when it could not be read)."""
    http = _http_check(status, expect_status)
    reading = _read_body(body, body_is_json)
    body_checks = reading.checks if reading else []
    metrics = reading.metrics if reading else {}
    limits = _threshold_checks(latency_ms, metrics, cert_days, thresholds)
    checks = [http, *body_checks, *limits]

    body_verdict = None
    if reading is not None:
        named = [c.verdict for c in body_checks]
        body_verdict = reading.verdict or (worst(named) if named else None)
    verdicts = [http.verdict, *(c.verdict for c in limits)]
    if body_verdict is not None:
        verdicts.append(body_verdict)
    verdict = worst(verdicts)

    problems = [_problem(c, limits) for c in checks if c.verdict is not Verdict.HEALTHY]
    if body_verdict not in (None, Verdict.HEALTHY) and all(
        c.verdict is Verdict.HEALTHY for c in body_checks
    ):
        problems.append(f"body says {body_verdict.value}")
    return Classification(
        verdict=verdict,
        checks=tuple(checks),
        metrics=tuple(sorted(metrics.items())),
        recognised=reading is not None,
        body_format=reading.body_format if reading else "unrecognised",
        problems=tuple(p for p in problems if p),
    )


def _problem(check: SubCheck, limits: list[SubCheck]) -> str:
    if check.name == "http":
        return ""
    if check in limits:
        return check.detail
    if check.verdict is Verdict.DOWN:
        return f"{check.name} check failed" + (f" ({check.detail})" if check.detail else "")
    return f"{check.name} {check.verdict.value}" + (f" ({check.detail})" if check.detail else "")


def _http_check(status: int, expect_status: tuple[int, ...]) -> SubCheck:
    if expect_status:
        ok = status in expect_status
        expected = ", ".join(str(s) for s in expect_status)
        return SubCheck("http", Verdict.HEALTHY if ok else Verdict.DOWN,
                        f"{status}" + ("" if ok else f" (expected {expected})"))
    if 200 <= status < 300:
        return SubCheck("http", Verdict.HEALTHY, str(status))
    if 300 <= status < 400 or status < 200:
        return SubCheck("http", Verdict.UNKNOWN, f"{status} (not a final answer)")
    return SubCheck("http", Verdict.DOWN, str(status))


# --------------------------------------------------------------------------- thresholds

def _level(value: float, warn: float, critical: float) -> Verdict:
    if value > critical:
        return Verdict.DOWN
    if value > warn:
        return Verdict.DEGRADED
    return Verdict.HEALTHY


def _threshold_checks(
    latency_ms: float, metrics: Mapping[str, float], cert_days: int | None, t: Thresholds
) -> list[SubCheck]:
    out = []

    def add(name: str, value: float, warn: float, critical: float, unit: str) -> None:
        verdict = _level(value, warn, critical)
        limit = critical if verdict is Verdict.DOWN else warn
        shown = f"{value:.0f}" if unit == " ms" else f"{value:g}"
        detail = f"{name} {shown}{unit}"
        if verdict is not Verdict.HEALTHY:
            detail += f" (> {limit:g}{unit})"
        out.append(SubCheck(name, verdict, detail))

    add("latency", latency_ms, t.latency_warn_ms, t.latency_critical_ms, " ms")
    if "p95_ms" in metrics:
        add("p95", metrics["p95_ms"], t.p95_warn_ms, t.p95_critical_ms, " ms")
    if "error_rate_pct" in metrics:
        add("error rate", metrics["error_rate_pct"], t.error_rate_warn_pct,
            t.error_rate_critical_pct, " %")
    if "memory_pct" in metrics:
        add("memory", metrics["memory_pct"], t.memory_warn_pct, t.memory_critical_pct, " %")
    if cert_days is not None:
        days = "day" if abs(cert_days) == 1 else "days"
        if cert_days < 1:
            out.append(SubCheck("certificate", Verdict.DOWN, "TLS certificate expires today"))
        elif cert_days < t.cert_warn_days:
            out.append(SubCheck("certificate", Verdict.DEGRADED,
                                f"TLS certificate expires in {cert_days} {days}"))
        else:
            out.append(SubCheck("certificate", Verdict.HEALTHY,
                                f"TLS certificate valid for {cert_days} {days}"))
    return out


# --------------------------------------------------------------------------- bodies


def _read_body(body: Any, body_is_json: bool) -> _Reading | None:
    if body is None:
        return None
    if body_is_json:
        if isinstance(body, dict):
            for reader in (_elasticsearch, _aspnet, _spring, _ietf, _generic):
                reading = reader(body)
                if reading is not None:
                    return reading
            return None
        verdict = word_verdict(body)
        return _Reading("json value", verdict) if verdict is not None else None
    return _text(str(body))


def _text(text: str) -> _Reading | None:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return None
    checks = []
    for line in lines:
        match = _K8S_LINE.match(line)
        if match:
            ok = match.group(1) == "+"
            detail = _clean(match.group(3))
            checks.append(SubCheck(_clean(match.group(2)),
                                   Verdict.HEALTHY if ok else Verdict.DOWN, detail))
    if checks:
        return _Reading("kubernetes", None, checks)
    if len(lines) == 1:
        verdict = word_verdict(lines[0])
        if verdict is not None:
            return _Reading("text", verdict)
    return None


def _elasticsearch(data: Mapping[str, Any]) -> _Reading | None:
    colour = data.get("status")
    if "cluster_name" not in data or colour not in ("green", "yellow", "red"):
        return None
    verdict = word_verdict(colour)
    reading = _Reading("elasticsearch", verdict)
    reading.checks.append(SubCheck("cluster", verdict or Verdict.UNKNOWN, colour))
    unassigned = data.get("unassigned_shards")
    if isinstance(unassigned, int) and not isinstance(unassigned, bool):
        reading.checks.append(SubCheck(
            "shards", Verdict.HEALTHY if unassigned == 0 else verdict or Verdict.DEGRADED,
            f"{unassigned} unassigned"))
    return reading


def _aspnet(data: Mapping[str, Any]) -> _Reading | None:
    status = data.get("status")
    if not (status in ("Healthy", "Degraded", "Unhealthy") or isinstance(
            data.get("entries"), dict)):
        return None
    reading = _Reading("aspnet", word_verdict(status))
    for name, entry in (data.get("entries") or {}).items():
        if isinstance(entry, dict):
            detail = entry.get("description") or entry.get("exception") or ""
            reading.checks.append(SubCheck(
                _clean(name), word_verdict(entry.get("status")) or Verdict.UNKNOWN,
                _clean(str(detail))))
    return reading


def _spring(data: Mapping[str, Any]) -> _Reading | None:
    status = data.get("status")
    if status not in ("UP", "DOWN", "OUT_OF_SERVICE", "UNKNOWN") and not isinstance(
            data.get("components"), dict):
        return None
    reading = _Reading("spring-boot", word_verdict(status))
    _spring_components(data.get("components") or {}, "", reading.checks)
    return reading


def _spring_components(components: Mapping[str, Any], prefix: str, out: list[SubCheck]) -> None:
    for name, part in components.items():
        if not isinstance(part, dict):
            continue
        full = f"{prefix}{name}"
        details = part.get("details")
        detail = details.get("error", "") if isinstance(details, dict) else ""
        out.append(SubCheck(_clean(full), word_verdict(part.get("status")) or Verdict.UNKNOWN,
                            _clean(str(detail))))
        if isinstance(part.get("components"), dict):
            _spring_components(part["components"], f"{full}/", out)


def _ietf(data: Mapping[str, Any]) -> _Reading | None:
    checks = data.get("checks")
    is_ietf_checks = isinstance(checks, dict) and any(isinstance(v, list) for v in checks.values())
    if data.get("status") not in ("pass", "warn", "fail") and not is_ietf_checks:
        return None
    reading = _Reading("health+json", word_verdict(data.get("status")))
    if isinstance(checks, dict):
        for name, entries in checks.items():
            for entry in entries if isinstance(entries, list) else [entries]:
                if not isinstance(entry, dict):
                    continue
                label = name
                if isinstance(entries, list) and len(entries) > 1 and entry.get("componentId"):
                    label = f"{name} {entry['componentId']}"
                detail = entry.get("output") or _observed(entry)
                reading.checks.append(SubCheck(
                    _clean(label), word_verdict(entry.get("status")) or Verdict.UNKNOWN,
                    _clean(str(detail))))
    return reading


def _observed(entry: Mapping[str, Any]) -> str:
    if "observedValue" not in entry:
        return ""
    return f"{entry['observedValue']} {entry.get('observedUnit', '')}".strip()


def _generic(data: Mapping[str, Any]) -> _Reading | None:
    """The seeds' bodies and the many hand-written ones like them."""
    reading = _Reading("json")
    top = None
    for key in _STATUS_KEYS:
        if key in data:
            top = word_verdict(data[key])
            if top is not None:
                break
    bools = [word_verdict(data[k]) for k in _BOOL_KEYS if isinstance(data.get(k), bool)]
    candidates = [v for v in (top, *bools) if v is not None]
    reading.verdict = worst(candidates) if candidates else None

    checks = data.get("checks") or data.get("components") or data.get("services")
    if isinstance(checks, dict):
        for name, value in checks.items():
            check = _named_check(str(name), value)
            if check is not None:
                reading.checks.append(check)
            if isinstance(value, dict):
                _read_metrics(value, reading.metrics)
    for name in ("database", "db", "redis", "cache"):
        value = data.get(name)
        if isinstance(value, str | bool) and word_verdict(value) is not None:
            reading.checks.append(_named_check(name, value) or SubCheck(name, Verdict.UNKNOWN))
    _read_metrics(data, reading.metrics)
    if reading.checks:
        # Hand-written endpoints often hard-code a top-level "ok": the checks decide too.
        reading.verdict = worst([*candidates, *(c.verdict for c in reading.checks)])
    if reading.verdict is None and not reading.checks and not reading.metrics:
        return None
    if reading.metrics and reading.verdict is None and not reading.checks:
        reading.body_format = "metrics"
    return reading


def _named_check(name: str, value: Any) -> SubCheck | None:
    if isinstance(value, list):
        verdicts = [word_verdict(v.get("status")) for v in value if isinstance(v, dict)]
        found = [v for v in verdicts if v is not None]
        return SubCheck(_clean(name), worst(found), "") if found else None
    if not isinstance(value, dict):
        verdict = word_verdict(value)
        return SubCheck(_clean(name), verdict, _clean(str(value))) if verdict else None
    verdict = None
    for key in (*_STATUS_KEYS, *_BOOL_KEYS):
        if key in value:
            verdict = word_verdict(value[key])
            if verdict is not None:
                break
    if verdict is None:
        return None
    detail_parts = []
    for key in ("error", "message", "output", "reason", "missingTables", "missing"):
        if value.get(key):
            text = value[key]
            detail_parts.append(", ".join(map(str, text)) if isinstance(text, list) else str(text))
    for key in ("responseTime", "response_time", "latency", "latencyMs"):
        if isinstance(value.get(key), int | float) and not isinstance(value.get(key), bool):
            detail_parts.append(f"{value[key]:g} ms")
    return SubCheck(_clean(name), verdict, _clean("; ".join(detail_parts)))


def _norm(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*(%|ms)?\s*", value)
        if match:
            return float(match.group(1))
    return None


def _read_metrics(data: Mapping[str, Any], out: dict[str, float]) -> None:
    """Percentiles, error rate and memory from the usual places of a metrics body."""
    for key, value in data.items():
        name = _norm(str(key))
        if name in ("responsetime", "responsetimes", "latency", "responsetimems", "timing"):
            if isinstance(value, dict):
                for sub, number in value.items():
                    label = {"p50": "p50_ms", "p95": "p95_ms", "p99": "p99_ms", "avg": "avg_ms",
                             "average": "avg_ms", "mean": "avg_ms", "median": "p50_ms"}.get(
                        _norm(str(sub)).removesuffix("ms"))
                    parsed = _number(number)
                    if label and parsed is not None:
                        out.setdefault(label, parsed)
        elif name in ("errorrate", "errorratepercent", "errorratepct", "errorpercentage"):
            rate = _error_rate(name, value)
            if rate is not None:
                out.setdefault("error_rate_pct", rate)
        elif name == "errors" and isinstance(value, dict):
            for sub, number in value.items():
                sub_name = _norm(str(sub))
                # A bare "rate" there is errors per second in the seeds, not a share.
                if sub_name in ("percentage", "percent", "ratepercent", "errorrate"):
                    rate = _error_rate(sub_name, number)
                    if rate is not None:
                        out.setdefault("error_rate_pct", rate)
        elif name == "requests" and isinstance(value, dict):
            total = _number(value.get("total"))
            failed = _number(value.get("errors", value.get("failed")))
            if total and failed is not None:
                out.setdefault("error_rate_pct", round(failed / total * 100, 3))
        elif name == "memory":
            memory = _memory_pct(value)
            if memory is not None:
                out.setdefault("memory_pct", memory)
        elif name in ("system", "metrics") and isinstance(value, dict):
            _read_metrics(value, out)


def _error_rate(name: str, value: Any) -> float | None:
    """Percent. ``"2.5%"`` and keys saying percent are percent; a bare number <= 1 is a
    fraction (0.02 = 2 %), above 1 a percentage."""
    number = _number(value)
    if number is None:
        return None
    if (isinstance(value, str) and "%" in value) or "percent" in name or "pct" in name:
        return number
    return round(number * 100, 3) if number <= 1 else number


def _memory_pct(value: Any) -> float | None:
    if isinstance(value, str):
        return _number(value) if "%" in value else None
    if not isinstance(value, dict):
        return None
    for key, number in value.items():
        if _norm(str(key)) in ("percentage", "percent", "usedpercent", "usagepercent", "pct",
                               "usedpct", "percentused", "usage"):
            parsed = _number(number)
            if parsed is not None:
                return parsed * 100 if parsed <= 1 and not isinstance(number, str) and _norm(
                    str(key)) == "usage" else parsed
    used = _number(value.get("heapUsed", value.get("used")))
    total = _number(value.get("heapTotal", value.get("total")))
    if used is not None and total:
        return round(used / total * 100, 1)
    return None


def _clean(text: str) -> str:
    """Body-derived text for a sub-check: sanitised, one line, bounded."""
    text = sanitize(text)
    return text if len(text) <= 200 else text[:199] + "…"
