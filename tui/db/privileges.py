"""What this database user may see and do, and the GRANT that would restore the rest.

Managed databases often hand out a plain role. Without ``pg_read_all_stats`` other
users' statements and queries are hidden (``<insufficient privilege>``, NULL queryid);
without ``pg_signal_backend`` cancelling or terminating their backends fails with 42501.
The report names each degraded view and the exact GRANT an administrator would run.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.db.session import DbSession
from tui.db.statements import quote_ident

PRIVILEGES_QUERY = """
SELECT current_user::text AS username, r.rolsuper AS superuser,
       pg_catalog.pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS read_all_stats,
       pg_catalog.pg_has_role(current_user, 'pg_signal_backend', 'USAGE') AS signal_backend
FROM pg_catalog.pg_roles AS r
WHERE r.rolname = current_user
""".strip()


@dataclass(frozen=True)
class Degraded:
    """A view or action that is limited, why, and the statement that lifts the limit."""

    view: str
    why: str
    grant: str


@dataclass(frozen=True)
class PrivilegesReport:
    """The user's relevant privileges and what they cost the console."""

    user: str
    superuser: bool
    read_all_stats: bool
    signal_backend: bool

    @property
    def degraded(self) -> tuple[Degraded, ...]:
        if self.superuser:
            return ()
        who = quote_ident(self.user)
        items: list[Degraded] = []
        if not self.read_all_stats:
            grant = f"GRANT pg_read_all_stats TO {who};"
            items += [
                Degraded("statements", "other users' statements are hidden (NULL queryid)",
                         grant),
                Degraded("activity", "other users' queries, states and waits read "
                         "<insufficient privilege>", grant),
                Degraded("health", "replication lag of standbys is not visible", grant),
            ]
        if not self.signal_backend:
            items.append(
                Degraded("cancel/terminate", "only this user's own backends can be "
                         "cancelled or terminated (42501 otherwise)",
                         f"GRANT pg_signal_backend TO {who};")
            )
        return tuple(items)

    @property
    def limited(self) -> bool:
        return bool(self.degraded)

    @property
    def grants(self) -> tuple[str, ...]:
        """The distinct GRANT statements that would restore every degraded view."""
        return tuple(dict.fromkeys(d.grant for d in self.degraded))


async def read_privileges(session: DbSession) -> PrivilegesReport:
    """Ask the server which of the relevant roles the session's user has."""
    rows = await session.fetch(PRIVILEGES_QUERY)
    row = rows[0]
    return PrivilegesReport(
        user=str(row["username"]),
        superuser=bool(row["superuser"]),
        read_all_stats=bool(row["read_all_stats"]),
        signal_backend=bool(row["signal_backend"]),
    )
