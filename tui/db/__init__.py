"""The PostgreSQL engine: one safe read-only session, catalog-aware statements, activity.

``cluster`` (throwaway local clusters), ``session``, ``statements``, ``activity`` and
``monitor`` are imported directly, never through this package, so that a widget importing
a result type does not load asyncpg. No Textual here.
"""
