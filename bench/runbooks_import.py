"""Time to import the five seed runbooks (target: under 1 s in total).

Prints, from one run on this machine, the best and median wall time per seed and for all
five together, over several runs, plus the first-import time (cold caches, regexes and
ftfy's tables loaded) in a fresh interpreter. No peer to compare against: nothing else
reads these runbooks into procedures.

Usage: python bench/runbooks_import.py [--runs 20] [--seeds ../shared/seeds]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tui.runbooks.importer import import_markdown  # noqa: E402

TARGET_SECONDS = 1.0


def _cold_start(files: list[Path]) -> float:
    """Seconds to import the package and all seeds once, in a fresh interpreter."""
    probe = (
        "import sys, time; t = time.perf_counter(); "
        "from tui.runbooks.importer import import_markdown; "
        "[import_markdown(open(p, encoding='utf-8').read(), p) for p in sys.argv[1:]]; "
        "print(time.perf_counter() - t)"
    )
    result = subprocess.run([sys.executable, "-c", probe, *map(str, files)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=True)
    return float(result.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seeds", type=Path, default=ROOT.parent / "shared" / "seeds")
    args = parser.parse_args()
    files = sorted(args.seeds.glob("*.txt"))
    if not files:
        print(f"no seed runbooks in {args.seeds}", file=sys.stderr)
        return 2
    texts = [(f, f.read_text(encoding="utf-8")) for f in files]
    per_file: dict[str, list[float]] = {f.name: [] for f, _ in texts}
    totals: list[float] = []
    for _ in range(args.runs):
        started = time.perf_counter()
        for path, text in texts:
            one = time.perf_counter()
            runbook = import_markdown(text, str(path))
            per_file[path.name].append(time.perf_counter() - one)
        totals.append(time.perf_counter() - started)
    print(f"importing {len(files)} seed runbooks, {args.runs} runs (best / median):")
    for path, text in texts:
        times = per_file[path.name]
        runbook = import_markdown(text, str(path))
        print(f"  {path.name:28} {len(text) / 1024:5.1f} KiB  {min(times) * 1000:6.1f} ms / "
              f"{statistics.median(times) * 1000:6.1f} ms  {len(runbook.procedures):3d} "
              f"procedures, {len(runbook.warnings):2d} warnings")
    cold = _cold_start([f for f, _ in texts])
    median = statistics.median(totals)
    print(f"  all five (warm)              {min(totals) * 1000:6.1f} ms / {median * 1000:6.1f} ms")
    print(f"  all five (cold, with imports) {cold * 1000:6.1f} ms")
    verdict = "ok" if max(median, cold) < TARGET_SECONDS else "OVER TARGET"
    print(f"  target: under {TARGET_SECONDS:g} s in total -> {verdict}")
    return 0 if verdict == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
