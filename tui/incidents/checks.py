"""Live checks for runbook steps that name none, inferred from what the step says and runs.

Teams' runbooks rarely say ``check: health: production``; they say "Check if service is
responding (`/api/health/live`)", "Review error logs" or run ``curl -f .../health``.
When an incident attaches a procedure, each step without an explicit check gets the
check its words and commands point at, for the environment the incident was opened in,
so the evidence from the other panes appears beside it. Explicit checks always win; a
step that points at nothing onduty can see (a status page, a rollback) gets none.
"""

from __future__ import annotations

import re
import shlex
from urllib.parse import urlsplit

from tui.config import Environment
from tui.runbooks.model import Step, parse_check

ERROR_PATTERN = "error|exception|fail"
LOG_WINDOW = "15m"

_TLS = re.compile(r"\b(?:certificate|ssl|tls|openssl)\b", re.I)
_SLOW = re.compile(r"slow quer|database performance|pg_stat_statements|mean_exec_time|"
                   r"\bexplain\b", re.I)
_LOCKS = re.compile(r"\block(?:s|ed|ing)?\b|pg_locks", re.I)
_CONNECTIONS = re.compile(
    r"connection pool|pool exhaust|\bconnections?\b|\bconnectivity\b|"
    r"database (?:is )?(?:accessible|reachable|"
    r"up|responding)|/db/ping|pg_stat_activity|pg_isready", re.I)
_LOGS = re.compile(r"\blogs?\b|error rates?\b|\bgrep\b", re.I)
_HEALTH_TEXT = re.compile(
    r"\bhealth(?:y|check)?\b|\bresponding\b|\bservice is (?:up|down)\b|\bsmoke tests?\b", re.I)
_HEALTH_COMMAND = re.compile(
    r"^(?:curl|wget|http)\b.*(?:health|ping|ready|live)|^(?:railway|fly|flyctl) status\b", re.I)


def _grep_pattern(commands: list[str]) -> str | None:
    """The pattern of the first ``grep`` in the step's commands, if one is readable."""
    for command in commands:
        try:
            words = shlex.split(command)
        except ValueError:
            continue
        for index, word in enumerate(words):
            if word not in ("grep", "egrep", "rg"):
                continue
            for arg in words[index + 1:]:
                if arg == "|":
                    break
                if not arg.startswith("-"):
                    return arg.replace("\\|", "|")
    return None


def _logs_check(env: str, commands: list[str]) -> str:
    check = f"logs: {env} /{_grep_pattern(commands) or ERROR_PATTERN}/i since {LOG_WINDOW}"
    try:
        parse_check(check)
    except ValueError:
        return f"logs: {env} /{ERROR_PATTERN}/i since {LOG_WINDOW}"
    return check


def infer_check(step: Step, environment: Environment | None,
                commands: list[str] | None = None) -> str | None:
    """The live check ``step`` points at in ``environment``, or None.

    ``commands`` are the step's command lines (as the incident keeps them); the step's
    own text is read too. Without an environment nothing is inferred: a check names one.
    """
    if environment is None:
        return None
    env = environment.name
    lines = list(commands or ())
    said = " ".join([step.text, *lines])
    base = environment.base_url or ""
    if _TLS.search(said):
        host = urlsplit(base).hostname
        return f"tls: {host}" if host and base.startswith("https://") else None
    if environment.database_secret and _SLOW.search(said):
        return "db: slow-queries"
    if environment.database_secret and _LOCKS.search(said):
        return "db: locks"
    if environment.database_secret and _CONNECTIONS.search(said):
        return "db: connections"
    if environment.logs and _LOGS.search(said):
        return _logs_check(env, lines)
    if environment.health and (_HEALTH_TEXT.search(step.text)
                               or any(_HEALTH_COMMAND.search(c) for c in lines)):
        return f"health: {env}"
    return None
