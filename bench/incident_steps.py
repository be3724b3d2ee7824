"""Marking a checklist step done: durable and folded, at the 99th percentile.

Prints, from one run on this machine, over 1,000 steps of one incident:
- "store": IncidentStore.append alone (BEGIN IMMEDIATE, INSERT, COMMIT with WAL and
  synchronous=FULL: the entry is on disk when it returns);
- "shown": what the checklist waits for before it shows the step as done, on an event loop:
  LiveIncident.append (worker thread append, read back, fold, rebuild the incident).
Target: p99 of "shown" <= 50 ms. The store lives in a temp dir on the same disk as /tmp
unless --dir says otherwise (use the disk that holds the real data dir to be honest).

Usage: python bench/incident_steps.py [--steps 1000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tui.incidents.model import (  # noqa: E402
    EntryKind,
    PhaseSnapshot,
    ProcedureSnapshot,
    SeverityLevel,
    SeverityPolicy,
    StepSnapshot,
)
from tui.incidents.store import AsyncIncidentStore, IncidentStore, LiveIncident  # noqa: E402

TARGET_P99_MS = 50.0
STEPS_PER_PHASE = 50


def procedure(steps: int) -> ProcedureSnapshot:
    """A procedure of ``steps`` steps in phases of 50."""
    phases = []
    for p in range(0, steps, STEPS_PER_PHASE):
        count = min(STEPS_PER_PHASE, steps - p)
        phases.append(PhaseSnapshot(
            title=f"Phase {p // STEPS_PER_PHASE + 1}",
            budget_s=300.0,
            steps=tuple(
                StepSnapshot(id=f"{p // STEPS_PER_PHASE + 1}.{i + 1}",
                             text=f"Check thing {p + i}", commands=("curl http://x/health",))
                for i in range(count)
            ),
        ))
    return ProcedureSnapshot(title="bench", source="bench", phases=tuple(phases))


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0-100) of ``samples``, nearest rank."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def report(name: str, samples_s: list[float]) -> float:
    """Print one line of figures in ms; return p99."""
    ms = [s * 1000 for s in samples_s]
    p99 = percentile(ms, 99)
    print(f"{name:6} n={len(ms):5}  p50={statistics.median(ms):6.2f} ms  "
          f"p99={p99:6.2f} ms  max={max(ms):6.2f} ms")
    return p99


def bench_store(path: Path, steps: int) -> list[float]:
    """Time IncidentStore.append for every step of a fresh incident."""
    policy = SeverityPolicy(SeverityLevel("P0", "Critical", 900.0))
    snapshot = procedure(steps)
    samples = []
    with IncidentStore(path) as store:
        incident = store.open_incident("bench store", policy).incident_id
        store.attach_procedure(incident, snapshot)
        for phase in snapshot.phases:
            for step in phase.steps:
                start = time.perf_counter()
                store.append(incident, EntryKind.STEP_DONE, {"procedure": 0, "step": step.id})
                samples.append(time.perf_counter() - start)
    return samples


async def bench_shown(path: Path, steps: int) -> list[float]:
    """Time LiveIncident.append (durable + folded) for every step of a fresh incident."""
    policy = SeverityPolicy(SeverityLevel("P0", "Critical", 900.0))
    snapshot = procedure(steps)
    store = await AsyncIncidentStore.open(path)
    samples = []
    try:
        opened = await store.open_incident("bench shown", policy)
        await store.attach_procedure(opened.incident_id, snapshot)
        live = await LiveIncident.load(store, opened.incident_id)
        for phase in snapshot.phases:
            for step in phase.steps:
                start = time.perf_counter()
                await live.append(EntryKind.STEP_DONE, {"procedure": 0, "step": step.id})
                samples.append(time.perf_counter() - start)
        assert live.incident.procedures[0].complete
    finally:
        await store.close()
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="onduty-bench-") as tmp:
        path = Path(tmp) / "incidents.sqlite3"
        print(f"marking {args.steps} steps done, store {path}")
        report("store", bench_store(path, args.steps))
        p99 = report("shown", asyncio.run(bench_shown(path, args.steps)))
    verdict = "ok" if p99 <= TARGET_P99_MS else "OVER TARGET"
    print(f"target p99 <= {TARGET_P99_MS:.0f} ms for 'shown': {verdict}")
    return 0 if p99 <= TARGET_P99_MS else 1


if __name__ == "__main__":
    sys.exit(main())
