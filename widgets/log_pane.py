"""The log pane: the live tail of the current environment's sources.

It owns what the user asked for (filter, pause, display options) and feeds the view.
Engine batches arrive every 0.1 s; while lines keep coming the pane applies them at most
``REFRESH_PER_S`` times a second (the last one always lands), so a flood costs two redraws
a second and under 64 KB/s over SSH, while keys are answered at once
(bench/logs_flood.py). A batch after a quiet spell is applied at once.
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import datetime
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.timer import Timer
from textual.widgets import Input, Static

from tui.hub import LogViewData
from tui.logs.filters import PRESETS, LogFilter, error_shapes
from tui.logs.parse import Level, LogLine
from tui.redact import redact
from tui.sanitize import safe_text, sanitize
from widgets.log_dialogs import ErrorShapesScreen, SaveLogDialog
from widgets.log_panels import LogDetail, LogStats, human_bytes
from widgets.log_view import LogView, TimeMode, local_zone_name
from widgets.pane import Pane

REFRESH_PER_S = 2
LEVELS: tuple[Level | None, ...] = (None, Level.DEBUG, Level.INFO, Level.WARN, Level.ERROR)
PRESET_CYCLE: tuple[str | None, ...] = (None, *PRESETS)
CONTEXTS = (0, 1, 2, 3, 5, 10)
_SLOW_INPUT = re.compile(r"^\s*>\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$", re.IGNORECASE)
_TIME_CYCLE = {TimeMode.LOCAL: TimeMode.UTC, TimeMode.UTC: TimeMode.OFF,
               TimeMode.OFF: TimeMode.LOCAL}
_STATS_MIN_HEIGHT = 16
_SOURCE_LABEL_MAX = 12


def plain_lines(lines: list[LogLine], *, with_source: bool) -> str:
    """Lines as text for a file, the clipboard or the timeline: sanitised and redacted."""
    out = []
    for line in lines:
        if line.is_marker:
            out.append(f"-- {line.source}: {line.text} --")
        elif with_source:
            out.append(f"{line.source} | {line.text}")
        else:
            out.append(line.text)
    return redact(sanitize("\n".join(out), multiline=True)) + ("\n" if out else "")


def parse_filter_input(text: str, current: LogFilter) -> LogFilter:
    """What the filter box means: ``>500ms`` is a slow-request threshold, anything else a
    regex (an invalid one is matched as plain text; the filter says so)."""
    slow = _SLOW_INPUT.match(text)
    if slow is not None:
        factor = 1000.0 if (slow.group(2) or "").lower() == "s" else 1.0
        return current.replace(pattern="", slow_ms=float(slow.group(1)) * factor)
    return current.replace(pattern=text, slow_ms=None)


class LogPane(Pane):
    """Source states and the filter in the title, the lines below, counters underneath."""

    BINDINGS = [
        Binding("slash", "open_filter", "Filter", id="logs.filter"),
        Binding("escape", "clear", "Clear", id="logs.clear"),
        Binding("l", "cycle_level", "Level", id="logs.level"),
        Binding("f", "cycle_preset", "Filter preset", id="logs.preset"),
        Binding("h", "toggle_highlight", "Highlight only", id="logs.highlight"),
        Binding("plus", "context(1)", "More context", id="logs.context_more"),
        Binding("minus", "context(-1)", "Less context", id="logs.context_less"),
        Binding("n", "match(1)", "Next match", id="logs.next"),
        Binding("N", "match(-1)", "Previous match", id="logs.previous"),
        Binding("space", "toggle_pause", "Pause", id="logs.pause"),
        Binding("G", "follow", "Follow", id="logs.follow"),
        Binding("g", "start", "Start", id="logs.start"),
        Binding("t", "timestamps", "Timestamps", id="logs.timestamps"),
        Binding("w", "toggle_wrap", "Wrap", id="logs.wrap"),
        Binding("c", "toggle_colour", "Colour", id="logs.colour"),
        Binding("enter", "detail", "Fields", id="logs.detail"),
        Binding("y", "copy", "Copy", id="logs.copy"),
        Binding("s", "save", "Save", id="logs.save"),
        Binding("x", "attach", "Attach", id="logs.attach"),
        Binding("number_sign", "error_shapes", "Errors by type", id="logs.error_shapes"),
    ]
    DEFAULT_CSS = """
    LogPane > #log-filter { height: 3; display: none; }
    LogPane > #log-filter-error { height: auto; display: none; color: $error; }
    LogPane > #log-stats { display: none; }
    LogPane > #log-detail { display: none; }
    """

    class AttachLines(Message):
        """The user asked to attach these lines to the open incident's timeline (``x``).

        ``lines`` are the engine's (sanitised) lines; ``text`` is their redacted text.
        """

        def __init__(self, lines: tuple[LogLine, ...], text: str) -> None:
            super().__init__()
            self.lines = lines
            self.text = text

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.log_filter = LogFilter()
        self._view: LogViewData | None = None
        self._applied_at = 0.0
        self._applied_total = 0
        self._flowing = False
        self._timer: Timer | None = None
        self._initial_taken = False
        self._source_count = 0

    def compose(self) -> ComposeResult:
        yield Static(safe_text("no log sources configured for this environment"),
                     classes="pane-message", id="log-message")
        yield LogStats(id="log-stats")
        yield Input(placeholder="filter: regex or text (invalid regex = text) · >500ms for "
                    "slow requests · enter keeps · escape clears", id="log-filter")
        yield Static(id="log-filter-error")
        yield LogView(id="log-view")
        yield LogDetail(id="log-detail")

    def on_mount(self) -> None:
        self.title = "logs"

    @property
    def log_view(self) -> LogView:
        return self.query_one(LogView)

    # ------------------------------------------------------------------ data in

    def show_view(self, view: LogViewData | None) -> None:
        """Take the latest engine view: applied now, or at the next refresh slot while
        lines keep coming (the last apply brought new lines less than a slot ago)."""
        self._view = view
        wait = self._applied_at + 1.0 / REFRESH_PER_S - time.monotonic()
        if view is None or not self._flowing or wait <= 0:
            self._apply()
        elif self._timer is None:
            self._timer = self.set_timer(wait, self._apply)

    def _apply(self) -> None:
        self._timer = None
        self._applied_at = time.monotonic()
        view = self._view
        total = view.total if view is not None else 0
        self._flowing, self._applied_total = total != self._applied_total, total
        message = self.query_one("#log-message", Static)
        log_view = self.log_view
        if view is None or not view.sources:
            message.display = True
            log_view.display = False
            self.title = "logs"
            self.subtitle = ""
            return
        message.display = False
        log_view.display = True
        if not self._initial_taken:
            self._initial_taken = True
            if view.initial_filter is not None and not self.log_filter.active:
                self.log_filter = view.initial_filter
                log_view.rows.filter = view.initial_filter
        if len(view.sources) != self._source_count:
            self._source_count = len(view.sources)
            width = min(_SOURCE_LABEL_MAX, max(len(name) for name, _s, _m in view.sources))
            log_view.set_display(source_width=width)
        log_view.show(view.lines)
        stats = self.query_one(LogStats)
        stats.display = self.size.height >= _STATS_MIN_HEIGHT
        if stats.display:
            stats.show_reports(view.reports, view.error_history)
        self.problem = "; ".join(view.failing())
        self._update_title()

    def _update_title(self) -> None:
        view = self._view
        if view is None or not view.sources:
            return
        log_view = self.log_view
        parts = ["logs"]
        if self.log_filter.active:
            parts.append(f"filter: {self.log_filter.describe()}")
        if log_view.paused:
            parts.append(f"PAUSED · {log_view.waiting:,} new lines waiting")
        elif log_view.cursor is not None:
            parts.append("line selected")
        elif not log_view.follow:
            parts.append("scrolled (G follows)")
        else:
            parts.append("following")
        parts.extend(f"{name}: {state_message}" for name, _state, state_message in view.sources)
        if log_view.time_mode is TimeMode.UTC:
            parts.append("times UTC")
        elif log_view.time_mode is TimeMode.LOCAL:
            parts.append(f"times local ({local_zone_name()})")
        self.title = " · ".join(parts)
        flags = [flag for flag, on_ in (("wrap", log_view.wrap), ("colour", log_view.colour))
                 if on_]
        self.subtitle = " · ".join([
            f"{len(log_view.rows):,} shown",
            f"{len(view.lines):,}/{view.cap:,} held",
            human_bytes(view.memory_bytes),
            f"{view.dropped:,} dropped",
            *flags,
        ])

    # ------------------------------------------------------------------ filter

    def set_filter(self, log_filter: LogFilter) -> None:
        """Show the lines through ``log_filter``; the title says what it is."""
        self.log_filter = log_filter
        self.log_view.set_filter(log_filter)
        error = self.query_one("#log-filter-error", Static)
        error.display = log_filter.error is not None
        error.update(safe_text(log_filter.error or ""))
        self._update_title()

    def action_open_filter(self) -> None:
        box = self.query_one("#log-filter", Input)
        box.display = True
        box.value = self.log_filter.pattern
        box.focus()

    @on(Input.Changed, "#log-filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        event.stop()
        wanted = parse_filter_input(event.value, self.log_filter)
        if wanted != self.log_filter or wanted.error != self.log_filter.error:
            self.set_filter(wanted)

    @on(Input.Submitted, "#log-filter")
    def _filter_kept(self, event: Input.Submitted) -> None:
        event.stop()
        event.input.display = False
        self.log_view.focus()

    def action_clear(self) -> None:
        """Escape: close the filter box (clearing it), else drop the selection, else the
        fields, else the whole filter."""
        box = self.query_one("#log-filter", Input)
        detail = self.query_one(LogDetail)
        if box.display:
            box.display = False
            self.log_view.focus()
            self.set_filter(self.log_filter.replace(pattern="", slow_ms=None))
        elif self.log_view.clear_selection():
            pass
        elif detail.display:
            detail.display = False
        elif self.log_filter.active or self.log_filter.highlight_only or self.log_filter.context:
            self.set_filter(LogFilter())
        self._update_title()

    def action_cycle_level(self) -> None:
        current = self.log_filter.min_level
        following = LEVELS[(LEVELS.index(current) + 1) % len(LEVELS)]
        self.set_filter(self.log_filter.replace(min_level=following))

    def action_cycle_preset(self) -> None:
        current = self.log_filter.preset_name
        index = PRESET_CYCLE.index(current) if current in PRESET_CYCLE else 0
        self.apply_preset(PRESET_CYCLE[(index + 1) % len(PRESET_CYCLE)])

    def apply_preset(self, name: str | None, slow_ms: float | None = None) -> None:
        """Filter with a seed preset (``errors``, ``auth``, ``database``, ``slow``) or none."""
        if name is None:
            self.set_filter(self.log_filter.replace(pattern="", slow_ms=None))
            return
        changes = {"min_level": self.log_filter.min_level,
                   "highlight_only": self.log_filter.highlight_only,
                   "context": self.log_filter.context}
        if slow_ms is not None:
            changes["slow_ms"] = slow_ms
        self.set_filter(LogFilter.preset(name, **changes))

    def action_toggle_highlight(self) -> None:
        self.set_filter(self.log_filter.replace(
            highlight_only=not self.log_filter.highlight_only,
            preset_name=self.log_filter.preset_name))

    def action_context(self, step: int) -> None:
        current = self.log_filter.context
        index = min(range(len(CONTEXTS)), key=lambda i: abs(CONTEXTS[i] - current))
        wanted = CONTEXTS[max(0, min(len(CONTEXTS) - 1, index + step))]
        self.set_filter(self.log_filter.replace(context=wanted,
                                                preset_name=self.log_filter.preset_name))

    def action_match(self, step: int) -> None:
        if not self.log_filter.active:
            self._say("No filter to search for: press / and type a pattern.", timeout=3)
        elif not self.log_view.jump_to_match(step):
            where = "after" if step > 0 else "before"
            self._say(f"No match {where} this line.", timeout=2)

    # ------------------------------------------------------------------ follow, pause

    def action_toggle_pause(self) -> None:
        self.log_view.set_paused(not self.log_view.paused)
        self._update_title()

    def action_follow(self) -> None:
        self.log_view.action_end()
        self._update_title()

    def action_start(self) -> None:
        self.log_view.action_start()
        self._update_title()

    def action_timestamps(self) -> None:
        self.log_view.set_display(time_mode=_TIME_CYCLE[self.log_view.time_mode])
        self._update_title()

    def action_toggle_wrap(self) -> None:
        self.log_view.set_display(wrap=not self.log_view.wrap)
        self._update_title()

    def action_toggle_colour(self) -> None:
        self.log_view.set_display(colour=not self.log_view.colour)
        self._update_title()

    def on_log_view_follow_changed(self, event: LogView.FollowChanged) -> None:
        event.stop()
        self._update_title()

    def on_log_view_cursor_moved(self, event: LogView.CursorMoved) -> None:
        event.stop()
        detail = self.query_one(LogDetail)
        if detail.display:
            detail.show_line(event.line, self.log_view.time_mode)
        self._update_title()

    # ------------------------------------------------------------------ selection out

    def action_detail(self) -> None:
        detail = self.query_one(LogDetail)
        line = self.log_view.cursor_line
        if line is None and not detail.display:
            self._say("Select a line first: ↑/↓ moves the cursor.", timeout=3)
            return
        detail.display = not detail.display
        if detail.display:
            detail.show_line(line, self.log_view.time_mode)

    def _selection(self, verb: str) -> list[LogLine]:
        lines = self.log_view.selected_lines()
        if not lines:
            self._say(f"Select lines to {verb} first: ↑/↓ moves the cursor, "
                        "shift+↑/↓ extends the selection.", timeout=4)
        return lines

    def _several_sources(self) -> bool:
        return self._source_count > 1

    def action_copy(self) -> None:
        lines = self._selection("copy")
        if lines:
            self.app.copy_to_clipboard(plain_lines(lines, with_source=self._several_sources()))
            self._say(f"Copied {len(lines):,} line{'s' * (len(lines) != 1)} "
                        "(redacted) to the clipboard.", timeout=3)

    def action_attach(self) -> None:
        lines = self._selection("attach")
        if lines:
            text = plain_lines(lines, with_source=True)
            self.post_message(self.AttachLines(tuple(lines), text))

    def action_save(self) -> None:
        lines = list(self.log_view.rows.lines)
        if not lines:
            self._say("Nothing to save: the view is empty.", timeout=3)
            return
        env = sanitize(getattr(self.app, "environment_name", "") or "logs")
        default = str(Path.cwd() / f"onduty-{env}-{datetime.now():%Y%m%d-%H%M%S}.log")

        def chosen(path: str | None) -> None:
            if path:
                self.run_worker(self._save(Path(path).expanduser(), lines), group="log-save",
                                exit_on_error=False)

        self.app.push_screen(SaveLogDialog(default, len(lines)), chosen)

    async def _save(self, path: Path, lines: list[LogLine]) -> None:
        from tui.errors import OnDutyError
        from tui.incidents.export import write_export

        if path.exists():
            self._say(f"{path} exists; choose another name (it is never replaced).",
                        severity="error", timeout=6)
            return
        text = await asyncio.to_thread(plain_lines, lines, with_source=self._several_sources())
        try:
            await asyncio.to_thread(write_export, path, text)
        except OnDutyError as exc:
            self._say(str(exc), severity="error", timeout=8)
            return
        self._say(f"Saved {len(lines):,} lines to {path} (mode 0600, redacted).", timeout=5)

    async def action_error_shapes(self) -> None:
        lines = list(self.log_view.rows.lines)
        shapes = await asyncio.to_thread(error_shapes, lines, limit=200)
        self.app.push_screen(ErrorShapesScreen(shapes, len(lines)))

    def _say(self, message: str, *, severity: SeverityLevel = "information",
             timeout: float = 3) -> None:
        """A notification; never parsed as markup (paths and errors carry user data)."""
        self.notify(sanitize(message), severity=severity, timeout=timeout, markup=False)
