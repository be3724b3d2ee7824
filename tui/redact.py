"""Redaction of credentials in any text that leaves onduty or reaches the screen.

Two passes, each one precompiled regex: first the exact values of every secret loaded or
set this session (a single alternation, longest first, rebuilt when a value is
registered), then the shapes credentials take in logs, errors and command output: URL
userinfo, ``password=``-style key-values, Authorization headers and bearer tokens, and the
well-known token formats (AWS, GitHub, GitLab, Slack, Stripe, JWT, PEM private keys).

The shapes are matched on an ASCII-lower-cased copy of the text (same length, so spans
map back to the original): literal lower-case prefixes let the regex engine skip ahead,
which keeps redaction cheap enough for every log line.
"""

from __future__ import annotations

import re
import string
import threading
import traceback
from urllib.parse import unquote, urlsplit

from rich.text import Text

from tui.sanitize import safe_text

MASK = "«redacted»"
MIN_SECRET_LENGTH = 4

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)

_KEYWORDS = (
    r"passw(?:or)?d|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key"
    r"|private[_-]?key|credential"
)

# One alternative per shape. The LAST group of each alternative is the value to mask;
# whatever the match holds before it (a field name, a URL's scheme and user) is kept so
# the reader still sees what was there.
_ALTERNATIVES = (
    # PEM private key blocks (to the END line, or to the end of a cut-off text).
    r"(?P<pem>-----begin (?:[a-z0-9]+ )*private key(?: block)?-----"
    r"(?s:.*?)(?:-----end (?:[a-z0-9]+ )*private key(?: block)?-----|\Z))",
    # Slack incoming webhooks: the path is the credential.
    r"https?://hooks\.slack\.com/(?:services|workflows|triggers)/(?P<hook>[a-z0-9_/-]+)",
    # scheme://user:password@host - the password may itself contain '@' (greedy to the
    # last '@' before the path), ':' or anything but whitespace and / ? #.
    r"://[^\s:/?#@]*:(?P<userinfo>[^\s/?#]*)(?=@[^\s@/?#]+)",
    # Authorization: Bearer|Basic|Token ... (HTTP headers, curl -H, logged requests).
    r"(?:proxy-)?authorization[\"']?[ \t]*[:=][ \t]*[\"']?"
    r"(?:(?:bearer|basic|token|digest|negotiate)[ \t]+)?(?P<auth>[^\s\"',;]+)",
    r"bearer[ \t]+(?P<bearer>[a-z0-9._~+/-]{8,}=*)",
    # An AWS secret access key next to an AWS-ish name.
    r"aws[\w.-]{0,20}(?:secret|sk)[\w.-]{0,20}[\"']?[ \t]*[:=][ \t]*[\"']?"
    r"(?P<aws>[a-z0-9/+]{40})(?![a-z0-9/+])",
    # key=value, key: value, "key": "value" (DSNs, query strings, env dumps, JSON).
    rf"(?:{_KEYWORDS})[\w-]{{0,30}}[\"']?[ \t]*[:=][ \t]*"
    r"(?P<kv>\"[^\"\n]*\"|'[^'\n]*'|[^\s&;,\"'<>]+)",
    # Token shapes that are secrets wherever they appear.
    r"(?P<token>"
    r"(?:akia|asia|agpa|aida|aroa|aipa|anpa|anva|abia|acca)[a-z0-9]{16}\b"
    r"|gh[pousr]_[a-z0-9]{30,}"
    r"|github_pat_[a-z0-9_]{22,}"
    r"|glpat-[a-z0-9_-]{20,}"
    r"|xox[baprs]-[a-z0-9-]{10,}"
    r"|[sr]k_(?:live|test)_[a-z0-9]{10,}"
    r"|eyj[a-z0-9_-]{5,}\.eyj[a-z0-9_-]{5,}\.[a-z0-9_-]*"
    r")",
)
# Every alternative starts with one of these literals. Most lines contain none of them,
# and a literal-only search rejects such a line in about a microsecond.
_TRIGGERS = (
    "-----begin",
    "https://hooks",
    "http://hooks",
    "://",
    "authorization",
    "bearer",
    "aws",
    "passw",
    "pwd",
    "secret",
    "token",
    "api_k",
    "api-k",
    "apik",
    "accessk",
    "access_k",
    "access-k",
    "privatek",
    "private_k",
    "private-k",
    "credential",
    "akia",
    "asia",
    "agpa",
    "aida",
    "aroa",
    "aipa",
    "anpa",
    "anva",
    "abia",
    "acca",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xox",
    "sk_",
    "rk_",
    "eyj",
)
_GATE = re.compile("|".join(re.escape(t) for t in _TRIGGERS))
_FIRST = "".join(sorted({re.escape(t[0]) for t in _TRIGGERS}))
_SHAPES = re.compile(f"(?=[{_FIRST}])(?:{'|'.join(_ALTERNATIVES)})")


class Redactor:
    """Masks credentials in text; knows the exact values of this session's secrets."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._exact: re.Pattern[str] | None = None
        self._generation = 0

    @property
    def generation(self) -> int:
        """Changes whenever the set of values changes: render caches keyed on it stay honest."""
        return self._generation

    def register(self, value: str) -> None:
        """Mask ``value`` (and the password inside it, if it is a URL) from now on."""
        candidates = {value, *_url_password_forms(value)}
        with self._lock:
            fresh = {c for c in candidates if len(c) >= MIN_SECRET_LENGTH} - self._values
            if not fresh:
                return
            self._values |= fresh
            ordered = sorted(self._values, key=len, reverse=True)
            self._exact = re.compile("|".join(re.escape(v) for v in ordered))
            self._generation += 1

    def forget_all(self) -> None:
        """Drop every registered value (for a new session or a test)."""
        with self._lock:
            self._values.clear()
            self._exact = None
            self._generation += 1

    def redact(self, text: str) -> str:
        """``text`` with every registered value and every credential shape masked."""
        exact = self._exact
        if exact is not None:
            text = exact.sub(MASK, text)
        folded = text.lower() if text.isascii() else text.translate(_ASCII_LOWER)
        if not _GATE.search(folded):
            return text
        pieces: list[str] = []
        done = 0
        for match in _SHAPES.finditer(folded):
            group = match.lastgroup or ""
            start = match.start(group)
            value = text[start : match.end(group)]
            pieces.append(text[done:start])
            if len(value) >= 2 and value[0] in "\"'" and value[-1] == value[0]:
                pieces.append(f"{value[0]}{MASK}{value[0]}")
            else:
                pieces.append(MASK)
            done = match.end()
        if not pieces:
            return text
        pieces.append(text[done:])
        return "".join(pieces)


def _url_password_forms(value: str) -> set[str]:
    """The password in a URL-shaped secret, raw and percent-decoded, so either is masked."""
    if "://" not in value:
        return set()
    try:
        password = urlsplit(value.strip()).password
    except ValueError:
        return set()
    if not password:
        return set()
    return {password, unquote(password)}


REDACTOR = Redactor()


def redact(text: str) -> str:
    """Redact ``text`` with the process-wide redactor."""
    return REDACTOR.redact(text)


def redacted_text(text: str, style: str = "", *, multiline: bool = False) -> Text:
    """``safe_text`` of redacted ``text``: what every widget should show for untrusted text."""
    return safe_text(redact(text), style, multiline=multiline)


def crash_report(error: BaseException) -> str:
    """A traceback for ``error`` fit to print: no local variables (a frame may hold a DSN
    or a token), and every known secret and credential shape masked."""
    return redact("".join(traceback.format_exception(error)))
