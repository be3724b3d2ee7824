"""Incidents: an append-only, durable timeline and the state folded from it.

``model`` (snapshots, entries, the fold), ``store`` (SQLite, WAL, synchronous=FULL),
``timers`` (clock, phase budgets, escalations, status updates), ``templates``
(communication texts), ``export`` (post-mortem Markdown), ``commands`` (safe step
commands) and ``cli`` (`onduty incident ...`). No module here imports Textual.
"""
