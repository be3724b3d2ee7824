"""The demo database's workload: what a small orders API does to its PostgreSQL.

A schema (users, orders, order_items; order_items.order_id deliberately unindexed) with
some thousands of rows, and a few sessions that give the console something to find:
frequent fast queries, slow ones (``pg_sleep`` in a report, a correlated subquery over
the unindexed column), a lock wait that repeats (one session holds a row lock in an open
transaction while another blocks on it) and a session left idle in transaction. It is
paced to stay gentle on a small machine, and every query has a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable, Sequence

import asyncpg

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS users (
    id bigserial PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz
);
CREATE TABLE IF NOT EXISTS orders (
    id bigserial PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id),
    status text NOT NULL,
    total_cents integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS orders_user_id_idx ON orders (user_id);
CREATE TABLE IF NOT EXISTS order_items (
    id bigserial PRIMARY KEY,
    order_id bigint NOT NULL,
    sku text NOT NULL,
    quantity integer NOT NULL,
    price_cents integer NOT NULL
);
"""

USERS = 2000
ORDERS = 8000
ORDER_ITEMS = 24000

_POPULATE_SQL = f"""
INSERT INTO users (email, name, created_at)
SELECT 'user' || i || '@example.com', 'User ' || i, now() - (i % 400) * interval '1 day'
FROM generate_series(1, {USERS}) AS i;
INSERT INTO orders (user_id, status, total_cents, created_at)
SELECT 1 + (i * 7919) % {USERS},
       (ARRAY['pending', 'paid', 'shipped', 'delivered', 'refunded'])[1 + i % 5],
       500 + (i * 104729) % 50000,
       now() - (i % 90) * interval '1 day'
FROM generate_series(1, {ORDERS}) AS i;
INSERT INTO order_items (order_id, sku, quantity, price_cents)
SELECT 1 + (i * 31) % {ORDERS}, 'SKU-' || (i % 300), 1 + i % 4, 199 + (i * 37) % 9000
FROM generate_series(1, {ORDER_ITEMS}) AS i;
ANALYZE users; ANALYZE orders; ANALYZE order_items;
"""

FAST_QUERIES: tuple[str, ...] = (
    "SELECT id, email, name FROM users WHERE id = $1",
    "SELECT id, status, total_cents FROM orders WHERE user_id = $1 "
    "ORDER BY created_at DESC LIMIT 10",
    "SELECT count(*) FROM orders WHERE user_id = $1 AND status = 'pending'",
    "UPDATE users SET last_seen_at = now() WHERE id = $1",
)
REPORT_QUERY = (
    "SELECT o.status, count(*), sum(o.total_cents) FROM orders o, pg_sleep($1) "
    "GROUP BY o.status"
)
UNINDEXED_QUERY = (
    "SELECT o.id, o.total_cents, (SELECT sum(oi.quantity * oi.price_cents) FROM order_items oi "
    "WHERE oi.order_id = o.id) AS items_total FROM orders o WHERE o.user_id BETWEEN $1 AND $1 + 20"
)
LOCKED_ORDER = 42
LOCK_HOLD_SQL = "SELECT id, status FROM orders WHERE id = $1 FOR UPDATE"
LOCK_WAIT_SQL = "UPDATE orders SET status = 'paid' WHERE id = $1"
IDLE_TX_SQL = "SELECT id, email FROM users WHERE id = $1"

_QUERY_TIMEOUT = 10.0
Body = Callable[[Sequence[asyncpg.Connection]], Awaitable[None]]


async def connect(dsn: str, application_name: str, timeout: float = 10.0) -> asyncpg.Connection:
    """One connection to the throwaway cluster (plain TCP on 127.0.0.1, named)."""
    return await asyncpg.connect(
        dsn, ssl=False, timeout=timeout, command_timeout=_QUERY_TIMEOUT,
        server_settings={"application_name": application_name},
    )


async def create_schema(dsn: str, timeout: float = 30.0) -> None:
    """Create and fill the demo tables unless they already hold data."""
    conn = await connect(dsn, "orders-api-migrate", timeout)
    try:
        await conn.execute(SCHEMA_SQL, timeout=timeout)
        if not await conn.fetchval("SELECT count(*) FROM users", timeout=timeout):
            await conn.execute(_POPULATE_SQL, timeout=timeout)
    finally:
        await conn.close(timeout=5)


class Workload:
    """The background sessions; ``start()`` after :func:`create_schema`, ``stop()`` at exit."""

    def __init__(self, dsn: str, *, seed: int | None = None, lock_hold: float = 5.0) -> None:
        self.dsn = dsn
        self._rng = random.Random(seed)
        self._lock_hold = lock_hold
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start every session in the background; each reconnects if its connection drops."""
        roles: tuple[tuple[tuple[str, ...], Body], ...] = (
            (("orders-api",), self._fast),
            (("reports-worker",), self._slow),
            (("orders-api-batch", "orders-api"), self._lock_wait),
            (("admin-console",), self._idle_in_transaction),
        )
        self._tasks = [asyncio.create_task(self._session(names, body)) for names, body in roles]

    async def stop(self, timeout: float = 5.0) -> None:
        """Cancel every session and close its connections; idempotent."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)

    async def _session(self, names: tuple[str, ...], body: Body) -> None:
        """Run ``body`` on fresh connections, reconnecting with backoff after errors."""
        backoff = 0.5
        while True:
            conns: list[asyncpg.Connection] = []
            try:
                for name in names:
                    conns.append(await connect(self.dsn, name))
                backoff = 0.5
                await body(conns)
            except Exception:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                for conn in conns:
                    with contextlib.suppress(Exception):
                        conn.terminate()

    async def _fast(self, conns: Sequence[asyncpg.Connection]) -> None:
        """A few cheap indexed queries a second: the API's everyday traffic."""
        (conn,) = conns
        while True:
            await asyncio.sleep(self._rng.uniform(0.15, 0.45))
            query = self._rng.choice(FAST_QUERIES)
            await conn.execute(query, self._rng.randint(1, USERS))

    async def _slow(self, conns: Sequence[asyncpg.Connection]) -> None:
        """Every few seconds, a report that sleeps or a scan over the unindexed column."""
        (conn,) = conns
        pause = 1.0
        while True:
            await asyncio.sleep(pause)
            await conn.fetch(REPORT_QUERY, self._rng.uniform(0.5, 2.0))
            await asyncio.sleep(self._rng.uniform(1.0, 3.0))
            await conn.fetch(UNINDEXED_QUERY, self._rng.randint(1, USERS - 20))
            pause = self._rng.uniform(1.5, 4.0)

    async def _lock_wait(self, conns: Sequence[asyncpg.Connection]) -> None:
        """Session A holds a row lock in an open transaction while session B waits on it."""
        holder, waiter = conns
        while True:
            blocked: asyncio.Task[str] | None = None
            try:
                async with holder.transaction():
                    await holder.fetch(LOCK_HOLD_SQL, LOCKED_ORDER)
                    blocked = asyncio.create_task(
                        waiter.execute(LOCK_WAIT_SQL, LOCKED_ORDER, timeout=self._lock_hold + 10)
                    )
                    await asyncio.sleep(self._lock_hold)
                await blocked
            finally:
                if blocked is not None and not blocked.done():
                    blocked.cancel()
            await asyncio.sleep(self._rng.uniform(1.0, 2.0))

    async def _idle_in_transaction(self, conns: Sequence[asyncpg.Connection]) -> None:
        """A session that opened a transaction and went to lunch, as on every real database."""
        (conn,) = conns
        while True:
            async with conn.transaction():
                await conn.fetch(IDLE_TX_SQL, self._rng.randint(1, USERS))
                await asyncio.sleep(45.0)
            await asyncio.sleep(0.5)
