"""One endpoint in full: its last response, sub-checks, thresholds and history.

Everything from the network is shown as plain ``Text`` (sanitised by the engine, redacted
here at render time), so a body holding ``[/]`` or an escape sequence reads literally.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.highlighter import JSONHighlighter
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.events import Resize
from textual.widgets import Static

from tui.config import HealthEndpoint, Thresholds
from tui.health.model import EndpointState, ProbeResult, Verdict
from tui.redact import redact
from tui.sanitize import sanitize
from widgets.health_pane import GLYPH, ago
from widgets.sparkline import sparkline

_SECTIONS = ("head", "response", "checks", "thresholds", "history", "body")


@dataclass(frozen=True)
class EndpointSettings:
    """What the config says about an endpoint: where, how often, and its thresholds."""

    endpoint: HealthEndpoint
    thresholds: Thresholds


def clock(at: float) -> str:
    """Local wall-clock time ``HH:MM:SS`` of an epoch timestamp."""
    return time.strftime("%H:%M:%S", time.localtime(at))


def _plain(text: str, style: str = "") -> Text:
    """Redacted, sanitised untrusted text (one line)."""
    return Text(sanitize(redact(text)), style=style)


def _field(text: Text, name: str, value: Text | str) -> None:
    text.append(f"\n  {name + ' ':<14}", style="bold")
    text.append(value if isinstance(value, Text) else Text(value))


class HealthDetail(VerticalScroll, can_focus=True):
    """The sections of one endpoint's detail, redrawn from each new ``EndpointState``."""

    COMPONENT_CLASSES = {
        "health-detail--healthy",
        "health-detail--degraded",
        "health-detail--down",
        "health-detail--unknown",
        "health-detail--title",
    }
    DEFAULT_CSS = """
    HealthDetail { height: 1fr; padding: 0 1; border: round $primary; }
    HealthDetail > Static { height: auto; margin-bottom: 1; }
    HealthDetail > .health-detail--healthy { color: $probe-healthy; }
    HealthDetail > .health-detail--degraded { color: $probe-degraded; text-style: bold; }
    HealthDetail > .health-detail--down { color: $probe-down; text-style: bold; }
    HealthDetail > .health-detail--unknown { color: $probe-unknown; }
    HealthDetail > .health-detail--title { text-style: bold; color: $accent; }
    """

    def __init__(self, settings: EndpointSettings | None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.settings = settings
        self.state: EndpointState | None = None

    def compose(self) -> ComposeResult:
        for section in _SECTIONS:
            yield Static(id=f"detail-{section}")

    def on_resize(self, _event: Resize) -> None:
        if self.state is not None:
            self.call_after_refresh(self.show, self.state)

    def _style(self, verdict: Verdict) -> str:
        return str(self.get_component_rich_style(f"health-detail--{verdict.value}"))

    def _title(self, words: str) -> Text:
        return Text(words, style=str(self.get_component_rich_style("health-detail--title")))

    def show(self, state: EndpointState) -> None:
        """Redraw every section from ``state``."""
        self.state = state
        now = time.time()
        sections = {
            "head": self._head(state, now),
            "response": self._response(state.last),
            "checks": self._checks(state.last),
            "thresholds": self._thresholds(),
            "history": self._history(state),
            "body": self._body(state.last),
        }
        for name, text in sections.items():
            self.query_one(f"#detail-{name}", Static).update(text)

    # ------------------------------------------------------------------ sections

    def _head(self, state: EndpointState, now: float) -> Text:
        style = self._style(state.verdict)
        text = Text()
        text.append(f"{GLYPH[state.verdict]} {state.verdict.value}", style=style)
        text.append(f"  {sanitize(state.env)} {sanitize(state.endpoint)}", style="bold")
        text.append(f"   since {clock(state.since)} ({ago(now - state.since)} ago)", style="dim")
        if state.uptime_pct is not None:
            text.append(f"   uptime {state.uptime_pct:.1f}%", style="dim")
        if state.consecutive_failures:
            text.append(f"   {state.consecutive_failures} failure(s) in a row", style=style)
        text.append("\n")
        reason = state.last.reason if state.last is not None else "not probed yet"
        text.append_text(_plain(reason, style if state.verdict is not Verdict.HEALTHY else ""))
        return text

    def _response(self, last: ProbeResult | None) -> Text:
        text = self._title("Last response")
        if last is None:
            text.append("\n  no probe has finished yet", style="dim")
            return text
        status = "no response" if last.status is None else str(last.status)
        if last.error is not None:
            status += f"  ({last.error.value.replace('_', ' ')})"
        _field(text, "status", status)
        latency = "—" if last.latency_ms is None else f"{last.latency_ms:.0f} ms"
        _field(text, "latency", f"{latency} at {clock(last.started_at)}")
        _field(text, "url", _plain(last.url))
        _field(text, "final url", _plain(last.final_url))
        for hop in last.hops:
            hop_text = _plain(f"{hop.status} {hop.url} → {hop.location}")
            if hop.note:
                hop_text.append_text(_plain(f"  ({hop.note})", "italic"))
            _field(text, "redirect", hop_text)
        _field(text, "route", _plain(last.route))
        if last.cert_days is not None:
            _field(text, "TLS", f"certificate expires in {last.cert_days} day(s)")
        elif last.final_url.startswith("https"):
            _field(text, "TLS", "certificate not read (no verified connection)")
        else:
            _field(text, "TLS", "none (plain http)")
        for name, value in last.headers:
            _field(text, name, _plain(value))
        return text

    def _checks(self, last: ProbeResult | None) -> Text:
        text = self._title("Sub-checks")
        if last is None or not last.checks:
            text.append("\n  none", style="dim")
            return text
        if not last.body_recognised and last.status is not None:
            text.append("\n  body format not recognised: the verdict comes from the status code",
                        style="dim")
        width = max(len(sanitize(c.name)) for c in last.checks)
        for check in sorted(last.checks, key=lambda c: -c.verdict.severity):
            text.append("\n  ")
            text.append(f"{GLYPH[check.verdict]} {check.verdict.value:<9}",
                        style=self._style(check.verdict))
            text.append_text(_plain(f"{sanitize(check.name):<{width}}  ", "bold"))
            text.append_text(_plain(check.detail))
        return text

    def _thresholds(self) -> Text:
        text = self._title("Thresholds")
        if self.settings is None:
            text.append("\n  not in the config (default thresholds)", style="dim")
            limits, endpoint = Thresholds(), None
        else:
            limits, endpoint = self.settings.thresholds, self.settings.endpoint
        if endpoint is not None:
            _field(text, "probe", f"every {endpoint.interval:g} s, deadline {endpoint.timeout:g} s")
            if endpoint.expect_status:
                _field(text, "status", " or ".join(str(s) for s in endpoint.expect_status))
            for condition in endpoint.conditions:
                _field(text, "condition", _plain(condition))
        _field(text, "latency", f"warn > {limits.latency_warn_ms:g} ms, "
                                f"critical > {limits.latency_critical_ms:g} ms")
        _field(text, "p95", f"warn > {limits.p95_warn_ms:g} ms, "
                            f"critical > {limits.p95_critical_ms:g} ms")
        _field(text, "error rate", f"warn > {limits.error_rate_warn_pct:g} %, "
                                   f"critical > {limits.error_rate_critical_pct:g} %")
        _field(text, "memory", f"warn > {limits.memory_warn_pct:g} %, "
                               f"critical > {limits.memory_critical_pct:g} %")
        _field(text, "certificate", f"warn < {limits.cert_warn_days} days")
        _field(text, "down after", f"{limits.failures_before_down} failures in a row, "
                                   f"up after {limits.successes_before_up} successes")
        return text

    def _history(self, state: EndpointState) -> Text:
        text = self._title(f"History (last {len(state.history)} probes)")
        width = max(10, self.scrollable_content_region.width - 4)
        recent = state.history[-width:]
        latencies = [p.latency_ms for p in recent]
        known = [v for v in latencies if v is not None]
        if known:
            text.append(f"\n  latency min {min(known):.0f} ms · "
                        f"avg {sum(known) / len(known):.0f} ms · max {max(known):.0f} ms",
                        style="dim")
        text.append("\n  " + sparkline(latencies, len(recent)))
        text.append("\n  ")
        for point in recent:
            text.append(GLYPH[point.verdict], style=self._style(point.verdict))
        changes = [c for c in state.changes if c.alerting] or list(state.changes)
        if not changes:
            text.append("\n  no verdict changes yet", style="dim")
        for change in reversed(changes[-10:]):
            text.append(f"\n  {clock(change.at)}  ", style="dim")
            text.append(f"{change.previous.value} → {change.verdict.value}",
                        style=self._style(change.verdict))
            text.append("  ")
            text.append_text(_plain(change.reason, "dim"))
        return text

    def _body(self, last: ProbeResult | None) -> Text:
        text = self._title("Body")
        if last is None or not last.body_text:
            text.append("\n  (empty)", style="dim")
            return text
        body = Text(sanitize(redact(last.body_text), multiline=True))
        if last.body_text.lstrip()[:1] in ("{", "["):
            JSONHighlighter().highlight(body)
        text.append("\n")
        text.append_text(body)
        return text
