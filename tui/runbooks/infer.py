"""What the importer infers from plain words: budgets, variables, danger, titles, mojibake.

These rules apply to text that markdown-it has already split into headings, items and
code, never to raw Markdown lines. They are kept together so that the vocabulary the
importer understands ("Immediate Actions (0-5 minutes)", "Symptoms:", ``[app-name]``,
``--force``) is in one place and can grow without touching the token walk.
"""

from __future__ import annotations

import re

import ftfy

# -- mojibake --------------------------------------------------------------------------

_FTFY = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,  # the sanitiser shows them; nothing is dropped silently
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,  # line numbers must keep pointing at the file
    remove_control_chars=False,
    normalization=None,
    explain=False,
)
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{2,}")


def _undo_mac_roman(match: re.Match[str]) -> str:
    run = match.group(0)
    try:
        return run.encode("mac_roman").decode("utf-8")
    except UnicodeError:
        return run


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 that was read as cp1252/latin-1 (ftfy) or as Mac Roman.

    ftfy misses the Mac Roman case when the emoji's lead byte became U+F8FF (the Apple
    logo, "\uf8ffüìö" for 📚), so runs of non-ASCII that decode cleanly as UTF-8 once
    re-encoded as Mac Roman are repaired too. Line breaks are never changed.
    """
    try:
        fixed = ftfy.fix_text(text, _FTFY)
    except Exception:  # a third-party fixer must never stop an import
        fixed = text
    return _NON_ASCII_RUN.sub(_undo_mac_roman, fixed)


# -- durations and budgets -------------------------------------------------------------

_UNIT = r"(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)\b"
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_NUMBER = r"(\d{1,6})"


def _seconds(amount: str, unit: str) -> int:
    return int(amount) * _UNIT_SECONDS[unit[0].lower()]


_RANGE = re.compile(rf"{_NUMBER}\s*(?:-|–|—|to)\s*{_NUMBER}\s*{_UNIT}", re.I)
_UPPER = re.compile(
    rf"(?:<=?|≤|\bunder|\bwithin|\bless than|\bup to|\bmax(?:imum)?)\s*{_NUMBER}\s*{_UNIT}",
    re.I,
)
_PAREN = re.compile(rf"\(\s*{_NUMBER}\s*{_UNIT}\s*\)", re.I)
_FOR = re.compile(rf"\bfor\s+{_NUMBER}\s*{_UNIT}", re.I)
_PLAIN = re.compile(rf"^\s*{_NUMBER}\s*{_UNIT}", re.I)
_LEADING = re.compile(rf"^\s*(?:after\s+)?{_NUMBER}\+?\s*{_UNIT}", re.I)


def phase_budget(title: str) -> int | None:
    """A phase's time box from its label: "(0-5 minutes)" -> 300, "Within 1 Hour" -> 3600.

    A range counts by its upper bound; "30+ minutes" states a start, not a budget.
    """
    if match := _RANGE.search(title):
        return _seconds(match.group(2), match.group(3))
    if match := _UPPER.search(title):
        return _seconds(match.group(1), match.group(2))
    if match := _PAREN.search(title):
        return _seconds(match.group(1), match.group(2))
    return None


def step_budget(text: str) -> int | None:
    """A step's time box: as for phases, plus "Monitor for 30 minutes"."""
    budget = phase_budget(text)
    if budget is None and (match := _FOR.search(text)):
        budget = _seconds(match.group(1), match.group(2))
    return budget


def parse_duration(text: str) -> int | None:
    """Seconds in "15 min", "1 hour", "24 hours"; 0 for "Initial"/"Immediately"; else None."""
    cleaned = text.strip().lower()
    if cleaned in {"initial", "immediate", "immediately", "now", "start", "t+0", "0"}:
        return 0
    if match := _RANGE.search(cleaned):
        return _seconds(match.group(1), match.group(3))
    if match := _LEADING.match(cleaned):
        return _seconds(match.group(1), match.group(2))
    return None


def response_time(text: str) -> int | None:
    """A severity level's response time: "15 min response", "(1 hour response)", "4 hours"."""
    if match := re.search(rf"{_NUMBER}\s*{_UNIT}", text, re.I):
        return _seconds(match.group(1), match.group(2))
    return None


_ANY_DURATION = re.compile(
    rf"\(?\s*(?:after\s+)?{_NUMBER}(?:\s*(?:-|–|to)\s*\d{{1,6}})?\+?\s*{_UNIT}\s*\)?", re.I
)
_TIER = re.compile(r"^(?:l|level|tier)\s*\d+$", re.I)


def escalation_entry(text: str) -> tuple[int | None, str, str]:
    """(after seconds, who, note) from "Engineering Lead: 15 minutes", "CTO (60+ min)",
    "CEO: 2 hours (P0 only)" or "**L1**: On-call engineer" (no time: None).

    A range ("0-15 min") counts from its lower bound: that is when this person is called.
    """
    text = " ".join(text.split())
    head, sep, tail = text.partition(":")
    if sep and _TIER.match(head.strip()):
        text = tail.strip()
    match = _ANY_DURATION.search(text)
    if match is None:
        return None, text.strip(" -–:"), ""
    after = _seconds(match.group(1), match.group(2))
    who = text[:match.start()].strip(" -–:,")
    note = text[match.end():].strip(" -–:,")
    if note.startswith("(") and note.endswith(")"):
        note = note[1:-1].strip()
    if not who:
        who, note = note, ""
    return after, who, note


# -- variables -------------------------------------------------------------------------

_BRACKET_VAR = re.compile(r"(?<![\]\\!\w])\[([A-Za-z][A-Za-z0-9_.-]*)\](?![(\[:])")
_DOLLAR_VAR = re.compile(
    r"(?<![\w$\\])\$(?:\{([A-Za-z_][A-Za-z0-9_]*)[^}\n]*\}|([A-Z_][A-Z0-9_]*)\b)"
)
_NOT_VARIABLES = frozenset({"x", "X"})


def _single_quoted(line: str, position: int) -> bool:
    return line.count("'", 0, position) % 2 == 1


def find_variables(text: str, *, shell: bool = False) -> list[str]:
    """Names of the variables in ``text`` in order of first use, each once.

    ``[app-name]``, ``[DEPLOYMENT_ID]``, ``$DATABASE_URL`` and ``${VAR}`` are variables;
    checkboxes ``[x]`` and links are not. With ``shell`` a ``$VAR`` inside single quotes
    (``awk '$NF > 1000'``) is not one either.
    """
    found: dict[tuple[int, int], str] = {}
    for line_no, line in enumerate(text.split("\n")):
        for match in _BRACKET_VAR.finditer(line):
            if match.group(1) not in _NOT_VARIABLES:
                found[(line_no, match.start())] = match.group(1)
        for match in _DOLLAR_VAR.finditer(line):
            if shell and _single_quoted(line, match.start()):
                continue
            found[(line_no, match.start())] = match.group(1) or match.group(2)
    return list(dict.fromkeys(found[key] for key in sorted(found)))


def find_prose_variables(text: str) -> list[str]:
    """Variables in a step's text: inside `code` spans shell quoting rules apply."""
    names: list[str] = []
    for index, part in enumerate(re.split(r"(`[^`\n]*`)", text)):
        names.extend(find_variables(part, shell=index % 2 == 1))
    return list(dict.fromkeys(names))


def find_placeholders(text: str) -> list[str]:
    """A template's ``[placeholders]``, in order, each once (``[Brief description]`` too)."""
    names = re.findall(r"\[([^\[\]\n]+)\](?!\()", text)
    return list(dict.fromkeys(n for n in names if n.strip() and n not in _NOT_VARIABLES))


# -- destructive actions ---------------------------------------------------------------

_DESTRUCTIVE: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(pattern, re.I))
    for reason, pattern in (
        ("rm -rf", r"\brm\s+-(?:[a-z]*r[a-z]*f|[a-z]*f[a-z]*r)[a-z]*\b"),
        ("DROP", r"\bdrop\s+(?:table|database|schema|index|view|user|role|column|"
                 r"extension|function|trigger|owned|materialized)\b"),
        ("TRUNCATE", r"\btruncate\b"),
        ("DELETE", r"\bdelete\b"),
        ("VACUUM FULL", r"\bvacuum\s+(?:\(\s*)?full\b"),
        ("REINDEX", r"\breindex\b"),
        ("destroy", r"\b(?:destroy|railway\s+down)\b"),
        ("--force", r"(?<![\w-])--force\b"),
        ("terminate", r"\b(?:terminate|pg_terminate_backend)\b"),
        ("kill", r"\b(?:kill|pkill|killall)\b"),
        ("rollback", r"\b(?:rollback|roll\s+back)\b"),
        ("revert", r"\brevert\b"),
        ("restore", r"\brestore\b"),
        ("restart", r"\b(?:restart|reboot)\b"),
        ("redeploy", r"\bredeploy\b"),
        ("scale", r"\bscale\b"),
        ("failover", r"\bfail\s?over\b"),
    )
)
_DESTRUCTIVE_COMMANDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("remove", re.compile(r"\b(?:remove|rm|unset)\b")),
)


def destructive_reason(text: str, *, command: bool = False) -> str:
    """The word that makes ``text`` dangerous ("rollback", "DROP", "--force"), or "".

    The most dangerous match wins. A command is also dangerous when it removes
    something (``railway variables remove``, ``fly certs remove``).
    """
    patterns = _DESTRUCTIVE + _DESTRUCTIVE_COMMANDS if command else _DESTRUCTIVE
    for reason, pattern in patterns:
        if pattern.search(text):
            return reason
    return ""


# -- titles and vocabulary -------------------------------------------------------------

_LEADING_SYMBOLS = re.compile(r"^[\W_]+(?=\w)|^[\W_]+$", re.UNICODE)
_NUMBERING = re.compile(r"^(?:\d{1,3}[.)]|[A-Za-z][.)](?=\s))\s+")
_ISSUE_PREFIX = re.compile(r"^(?:issue|problem|scenario|alert)\s*\d*\s*[:\-–]\s*", re.I)


def _without_symbols(title: str) -> str:
    text = " ".join(title.split())
    return text if text[:1].isalnum() else _LEADING_SYMBOLS.sub("", text)


def clean_title(title: str) -> str:
    """A heading as a title: leading emoji and numbering removed ("🚨 1. X" -> "X")."""
    return _NUMBERING.sub("", _without_symbols(title)).rstrip(":").strip()


def procedure_title(title: str) -> str:
    """A procedure's title: also without an "Issue 3:" prefix."""
    return _ISSUE_PREFIX.sub("", clean_title(title)) or clean_title(title)


def is_numbered(title: str) -> bool:
    """True for "1. Initial Response" and "Step 2: Database Recovery"."""
    return bool(re.match(r"^(?:\d{1,3}[.)]\s|(?:step|phase|stage)\s*\d)",
                         _without_symbols(title), re.I))


_PHASE_WORDS = re.compile(
    r"^(?:immediate|investigat|diagnos|quick diagnos|resol|remediat|mitigat|contain|"
    r"communicat|recover|verif|detect|respon|post-|post |follow|escalat|prevent|triage|"
    r"assess|notif|clean|roll\s?back|prepar|pre-|during|after|before|if |when |how to|"
    r"within|first|next|then|finally|actions?\b|steps?\b|tasks?\b|checklist|solutions?|"
    r"common (?:causes|solutions)|eradicat|lessons|validat|confirm|check)",
    re.I,
)


def is_phase_title(title: str) -> bool:
    """True when a heading or bold label reads like a phase of a procedure."""
    cleaned = clean_title(title)
    return (
        is_numbered(title)
        or phase_budget(cleaned) is not None
        or bool(_PHASE_WORDS.match(cleaned))
    )


_TRIGGER_WORDS = re.compile(
    r"^(?:symptoms?|triggers?|signs?|indicators?|when to (?:use|run|rollback|roll back|act)|"
    r"watch for|alerts?|you will see|what you see|detection criteria)\b",
    re.I,
)


def is_trigger_label(label: str) -> bool:
    """True for "Symptoms", "Triggers", "When to Rollback": the items are triggers."""
    return bool(_TRIGGER_WORDS.match(clean_title(label)))


_INFO_WORDS = re.compile(
    r"\b(?:overview|architecture|components|table of contents|contents|contacts?|"
    r"contact information|support|appendix|(?:additional )?resources|references?|glossary|"
    r"key (?:urls|services|endpoints|metrics(?: to monitor)?)|environments|dashboard access|"
    r"on-call rotation|technical team|service ids|health check urls|document (?:version|"
    r"history)|introduction|alert thresholds|changelog|revision history)\b",
    re.I,
)


def is_info_title(title: str) -> bool:
    """True for reference sections (Overview, Architecture, Contacts): not procedures."""
    return bool(_INFO_WORDS.search(clean_title(title)))


def is_severity_title(title: str) -> bool:
    """True for "Severity Levels", "Incident Severity Classification", "Priorities"."""
    return bool(re.search(r"\b(?:severity|severities|priorit(?:y|ies)|classification)\b",
                          title, re.I))


def is_escalation_title(title: str) -> bool:
    """True for "Escalation Path", "Alert Escalation Matrix", "Internal Escalation"."""
    return bool(re.search(r"\bescalat", title, re.I))


def is_template_title(title: str) -> bool:
    """True for "Communication Templates" and the like."""
    return bool(re.search(r"\btemplates?\b", title, re.I))


TEMPLATE_NAMES = re.compile(
    r"^(?:initial (?:alert|notification|message)|status update|update|resolution|resolved|"
    r"incident (?:alert|update|resolved)|all clear|post-?mortem|customer notice)\b",
    re.I,
)

_LEVEL = re.compile(r"^\s*((?:P|SEV|S)\s?-?\d)\b\s*[-–—:|]?\s*(.*)$", re.I)


def severity_level(text: str) -> tuple[str, str] | None:
    """("P1", "Critical (15 min response)") from "P1 - Critical (15 min response)"."""
    match = _LEVEL.match(clean_title(text))
    if match is None:
        return None
    level = re.sub(r"[\s-]", "", match.group(1)).upper()
    return level, match.group(2).strip()


_PROGRAMS = frozenset({
    "curl", "wget", "http", "railway", "fly", "flyctl", "vercel", "replit", "supabase",
    "neonctl", "heroku", "render", "psql", "pg_dump", "pg_restore", "pg_dumpall", "pg_isready",
    "pgbench", "npm", "npx", "node", "yarn", "pnpm", "bun", "git", "docker", "kubectl", "helm",
    "aws", "gcloud", "az", "openssl", "dig", "nslookup", "host", "nc", "ssh", "scp", "systemctl",
    "journalctl", "service", "grep", "egrep", "rg", "tail", "head", "cat", "less", "jq", "ps",
    "top", "htop", "kill", "pkill", "killall", "df", "du", "free", "netstat", "ss", "lsof",
    "make", "python", "python3", "pip", "redis-cli", "sudo", "rm", "mv", "cp", "ls", "tar",
    "gzip", "sleep", "echo", "watch", "time", "uptime", "vmstat", "iostat", "ping", "traceroute",
    "mtr", "crontab", "sentry-cli", "gh",
})
_SQL_START = re.compile(
    r"^(?:select|explain|analyze|vacuum|reindex|create|drop|alter|delete|update|insert|"
    r"truncate|show|set|begin|commit|with|grant|revoke|refresh)\b",
    re.I,
)


def command_language(code: str) -> str:
    """"shell" or "sql" when an inline span or an unlabelled block reads as a command."""
    first = code.strip().split("\n", 1)[0].strip()
    if not first:
        return ""
    if _SQL_START.match(first):
        return "sql"
    word = first.split()[0]
    if word in _PROGRAMS or word.startswith(("./", ".\\", "~/", "$ ")):
        return "shell"
    return ""
