"""The log engine: sources (file, command, stdin), parsing, buffer, filters and the tail.

No Textual here: the log pane is a view of ``LogBatch``/``LogLine`` data.
"""

from tui.logs.buffer import LogBuffer
from tui.logs.filters import PRESETS, LogFilter, duration_ms, error_shape, error_shapes
from tui.logs.parse import Level, LineKind, LogLine, ansi_spans, parse_lines
from tui.logs.sources import (
    Chunk,
    CommandSource,
    FileSource,
    LineAssembler,
    Marker,
    Source,
    SourceState,
    SourceStatus,
    StdinSource,
    source_from_config,
)
from tui.logs.tail import LogBatch, LogTail, SourceReport

__all__ = [
    "PRESETS",
    "Chunk",
    "CommandSource",
    "FileSource",
    "Level",
    "LineAssembler",
    "LineKind",
    "LogBatch",
    "LogBuffer",
    "LogFilter",
    "LogLine",
    "LogTail",
    "Marker",
    "Source",
    "SourceReport",
    "SourceState",
    "SourceStatus",
    "StdinSource",
    "ansi_spans",
    "duration_ms",
    "error_shape",
    "error_shapes",
    "parse_lines",
    "source_from_config",
]
