"""What the sandbox process and the console agree on: file names, paths, messages.

Kept apart so the console can start a sandbox without importing the server, the
database driver or the workload.
"""

from __future__ import annotations

READY_FILE = "ready.json"
LOG_FILE = "api.log"
STAGING_PREFIX = "/staging"
NO_DB_REASON = "the demo was started without a database (--no-db)"
HEALTH_PATHS: tuple[str, ...] = (
    "/health",
    "/api/health/quick",
    "/api/health/detailed",
    "/api/health/live",
    "/api/health/ready",
    "/api/health/metrics",
    "/api/health/status",
    "/db/ping",
)
