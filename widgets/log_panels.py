"""Small views beside the log list: per-source rates as sparklines, and the fields of the
selected line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from rich.text import Text
from textual.widgets import Static

from tui.logs.parse import LogLine
from tui.logs.tail import SourceReport
from tui.redact import redact
from tui.sanitize import sanitize
from widgets.log_view import TimeMode, local_zone_name
from widgets.sparkline import sparkline

SPARK_WIDTH = 20
NARROW = 110  # below this many columns the sparklines are half as long


def human_bytes(size: int) -> str:
    """``3355443`` -> ``3.2 MB``."""
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


class LogStats(Static):
    """One line per source: lines/s and errors/s over the last minute as sparklines."""

    COMPONENT_CLASSES = {"log-stats--error", "log-stats--meta"}
    DEFAULT_CSS = """
    LogStats { height: auto; max-height: 5; text-wrap: nowrap; text-overflow: ellipsis; }
    LogStats > .log-stats--error { color: $error; }
    LogStats > .log-stats--meta { color: $text-muted; }
    """

    _shown: Text | None = None

    def show_reports(self, reports: Sequence[SourceReport],
                     error_history: Mapping[str, Sequence[int]]) -> None:
        style = self.get_component_rich_style
        meta, error = style("log-stats--meta"), style("log-stats--error")
        width = max((len(r.name) for r in reports), default=0)
        width = min(width, 16)
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        spark = SPARK_WIDTH if self.size.width >= NARROW else SPARK_WIDTH // 2
        for number, report in enumerate(reports):
            if number:
                text.append("\n")
            text.append(sanitize(report.name)[:width].ljust(width) + " ", meta)
            text.append(sparkline(report.history, spark) + " ")
            text.append(f"{report.lines_per_s:>7,.0f} lines/s  ")
            errors = [float(v) for v in error_history.get(report.name, ())]
            text.append(sparkline(errors, spark), error if report.errors_per_s else meta)
            text.append(f" {report.errors_per_s:>5,.0f} errors/s", error
                        if report.errors_per_s else meta)
            text.append(f"  {report.total_lines:,} lines · {report.total_errors:,} errors",
                        meta)
        if text == self._shown:
            return  # an unchanged heartbeat: no repaint
        # Only a change in the number of rows needs a layout pass (height is auto).
        relayout = self._shown is None or text.plain.count("\n") != self._shown.plain.count("\n")
        self._shown = text
        self.update(text, layout=relayout)


class LogDetail(Static):
    """Every field of the selected line, one per row (``enter`` shows and hides it)."""

    DEFAULT_CSS = """
    LogDetail {
        height: auto;
        max-height: 12;
        border-top: solid $panel-lighten-2;
        overflow-y: auto;
    }
    """

    def show_line(self, line: LogLine | None, time_mode: TimeMode) -> None:
        if line is None:
            self.update(Text("No line selected: ↑/↓ selects one.", style="italic"))
            return
        text = Text(end="")
        zone = "UTC" if time_mode is TimeMode.UTC else local_zone_name()
        when = line.ts if line.ts is not None else line.received
        stamp = datetime.fromtimestamp(when, UTC)
        if time_mode is not TimeMode.UTC:
            stamp = stamp.astimezone()
        text.append(f"#{line.seq} · {sanitize(line.source)} · {line.level.name} · "
                    f"{stamp:%Y-%m-%d %H:%M:%S.%f}"[:-3] + f" {zone}", style="bold")
        if line.ts is None:
            text.append("  (time received)", style="dim")
        text.append("\nmessage  ", style="dim")
        text.append(redact(line.message))
        fields = line.fields()
        width = min(24, max((len(k) for k in fields), default=0))
        for key, value in fields.items():
            text.append(f"\n{key[:width].ljust(width)}  ", style="dim")
            text.append(redact(value))
        if not fields and not line.is_marker:
            text.append("\n(no structured fields)", style="dim")
        self.update(text)
