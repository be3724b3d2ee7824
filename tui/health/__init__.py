"""The health engine: probes, body classification, conditions, debounced monitoring.

No Textual here; the health pane imports these result types and renders them.
"""

from tui.health.check import run_check
from tui.health.classify import Classification, classify
from tui.health.client import ProxyRoutes, make_client
from tui.health.conditions import Condition, ConditionError, parse_condition
from tui.health.model import (
    EndpointState,
    ErrorKind,
    HistoryPoint,
    Hop,
    ProbeResult,
    SubCheck,
    Verdict,
    worst,
)
from tui.health.monitor import HealthMonitor, next_verdict, uptime_pct
from tui.health.probe import probe

__all__ = [
    "Classification",
    "Condition",
    "ConditionError",
    "EndpointState",
    "ErrorKind",
    "HealthMonitor",
    "HistoryPoint",
    "Hop",
    "ProbeResult",
    "ProxyRoutes",
    "SubCheck",
    "Verdict",
    "classify",
    "make_client",
    "next_verdict",
    "parse_condition",
    "probe",
    "run_check",
    "uptime_pct",
    "worst",
]
