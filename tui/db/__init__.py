"""The PostgreSQL engine: one safe read-only session, catalog-aware statements, activity.

No Textual here: results are frozen dataclasses handed to the app by ``DbMonitor``.
"""

from tui.db.activity import ActivitySummary, BackendInfo, BlockingPair, read_activity
from tui.db.monitor import DbMonitor, DbSnapshot
from tui.db.session import DbError, DbErrorKind, DbSession
from tui.db.statements import (
    SortKey,
    StatementsReader,
    StatementsState,
    StatementsStatus,
    StatementStats,
)

__all__ = [
    "ActivitySummary",
    "BackendInfo",
    "BlockingPair",
    "DbError",
    "DbErrorKind",
    "DbMonitor",
    "DbSession",
    "DbSnapshot",
    "SortKey",
    "StatementStats",
    "StatementsReader",
    "StatementsState",
    "StatementsStatus",
    "read_activity",
]
