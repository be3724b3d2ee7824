"""``onduty check``: every probe once, no TUI, a table or JSON and a Nagios exit code.

For cron and scripts, and the ``curl -f https://.../health`` of every runbook: given URLs
it needs no config at all and uses the default thresholds. The worst verdict decides the
exit code (critical before warning before unknown before ok).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, TextIO
from urllib.parse import urlsplit

from tui.config import Config, HealthEndpoint, Thresholds
from tui.errors import OnDutyError
from tui.health.client import ProxyRoutes, make_client
from tui.health.model import ProbeResult, Verdict, worst
from tui.health.monitor import TokenResolver, probe_endpoint
from tui.redact import redact
from tui.sanitize import sanitize

EXIT_CODES = {Verdict.HEALTHY: 0, Verdict.DEGRADED: 1, Verdict.DOWN: 2, Verdict.UNKNOWN: 3}
EXIT_NAMES = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}
_CONTEXT_CHECKS = ("http", "connection")

Target = tuple[str, HealthEndpoint, Thresholds]


def targets_for(config: Config, env: str | None, urls: list[str]) -> list[Target]:
    """What to probe: the given URLs (default thresholds) or the config's endpoints."""
    if urls:
        found = []
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise OnDutyError(f"{url!r} is not an http:// or https:// URL")
            found.append(("url", HealthEndpoint(name=url, url=url), Thresholds()))
        return found
    environments = [config.environment(env)] if env else list(config.environments)
    found = [(e.name, h, e.thresholds) for e in environments for h in e.health]
    if not found:
        where = f"environment {env!r}" if env else "the config"
        raise OnDutyError(
            f"no health endpoints in {where}: give URLs (onduty check https://.../health) "
            "or add [[environments.NAME.health]] entries to the config"
        )
    return found


async def run_check(
    config: Config,
    *,
    env: str | None,
    urls: list[str],
    as_json: bool,
    out: TextIO,
    resolve_token: TokenResolver | None = None,
    routes: ProxyRoutes | None = None,
) -> int:
    """Probe once, write the report to ``out``, return the Nagios exit code (0-3)."""
    targets = targets_for(config, env, urls)
    routing = routes or ProxyRoutes.from_environ()
    async with make_client(routes=routing, max_connections=max(10, len(targets))) as client:
        results = await asyncio.gather(*(
            probe_endpoint(client, endpoint, thresholds, resolve_token=resolve_token,
                           routes=routing)
            for _env, endpoint, thresholds in targets
        ))
    overall = worst([r.verdict for r in results])
    code = EXIT_CODES[overall]
    envs = [t[0] for t in targets]
    if as_json:
        report = {
            "status": EXIT_NAMES[code],
            "exit_code": code,
            "results": [_as_dict(e, r) for e, r in zip(envs, results, strict=True)],
        }
        text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    else:
        text = _table(envs, results, code)
    out.write(redact(text))  # output leaves onduty: no credential shape or known secret
    return code


def _as_dict(env: str, result: ProbeResult) -> dict[str, Any]:
    return {
        "env": env,
        "endpoint": sanitize(result.endpoint),
        "url": sanitize(result.url),
        "final_url": result.final_url,
        "verdict": result.verdict.value,
        "status": result.status,
        "latency_ms": result.latency_ms,
        "error": result.error.value if result.error else None,
        "reason": result.reason,
        "route": result.route,
        "cert_days": result.cert_days,
        "hops": [{"url": h.url, "status": h.status, "location": h.location, "note": h.note}
                 for h in result.hops],
        "checks": [{"name": c.name, "verdict": c.verdict.value, "detail": c.detail}
                   for c in result.checks],
        "metrics": dict(result.metrics),
    }


def _table(envs: list[str], results: list[ProbeResult], code: int) -> str:
    rows = [("VERDICT", "ENDPOINT", "STATUS", "LATENCY", "REASON")]
    details: list[list[str]] = [[]]
    for env, result in zip(envs, results, strict=True):
        name = sanitize(result.endpoint if env == "url" else f"{env}/{result.endpoint}")
        latency = f"{result.latency_ms:.0f} ms" if result.latency_ms is not None else "-"
        rows.append((result.verdict.value.upper(), name,
                     str(result.status) if result.status is not None else "-", latency,
                     result.reason))
        details.append([
            f"  - {c.name}: {c.verdict.value}" + (f" ({c.detail})" if c.detail else "")
            for c in result.failing_checks if c.name not in _CONTEXT_CHECKS
        ])
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for row, extra in zip(rows, details, strict=True):
        cells = [row[i].ljust(widths[i]) for i in range(4)]
        lines.append("  ".join([*cells, row[4]]).rstrip())
        lines.extend(extra)
    counts: dict[str, int] = {}
    for result in results:
        counts[result.verdict.value] = counts.get(result.verdict.value, 0) + 1
    summary = ", ".join(f"{n} {v}" for v, n in counts.items())
    total = len(results)
    lines.append(f"{total} endpoint{'s' if total != 1 else ''}: {summary} -> "
                 f"{EXIT_NAMES[code]} (exit {code})")
    return "\n".join(lines) + "\n"
