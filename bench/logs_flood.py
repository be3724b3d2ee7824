"""A 10k lines/s flood: bytes written to the terminal per second, and how fast keys are
answered meanwhile; onduty next to toolong and plain `tail -f` (the raw stream) from the
same run, each on a 120x40 pty fed by the same child process.

Targets (issue 6): at most 64 KB/s to the terminal during the flood (a 512 kbit/s SSH
link); keys answered within 100 ms. Key latency is measured from the key's bytes reaching
the pty to the change it causes appearing in the output (onduty: `t` changes the
title's time zone; toolong: `/` opens its find bar).

Usage: python bench/logs_flood.py [--rate 10000] [--seconds 12] [--skip-toolong]
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from logs_pty import PtyProgram, onduty_argv, ratio, sample_lines, toolong, write_generator

WARMUP = 2.0


def flood(tool: str, directory: Path, rate: int, seconds: float) -> tuple[float, list[float]]:
    """(bytes/s written to the terminal after warm-up, key latencies in ms)."""
    data = directory / "flood.log"
    if not data.exists():
        data.write_bytes(b"".join(sample_lines(int(rate * (seconds + 30)))))
    go = directory / f"{tool}.go"
    go.unlink(missing_ok=True)
    generator = [sys.executable, str(write_generator(directory)), str(data), str(go), "0",
                 str(rate)]
    gen = shlex.join(generator)
    argv = {
        "onduty": onduty_argv("--once", "--", *generator),
        "toolong": ["sh", "-c", f"{gen} | {shlex.quote(str(toolong()))}"],
        "tail -f": ["sh", "-c", f"{gen} | cat"],
    }[tool]
    program = PtyProgram(argv, env={"HOME": str(directory)})
    try:
        ready = {"onduty": "following", "toolong": "TAIL"}.get(tool)
        if ready:
            program.expect(ready)
            program.wait(ready, 60)
        time.sleep(0.5)
        go.write_text("go")
        time.sleep(WARMUP)
        window = (seconds - WARMUP) / 2
        before, start = program.total, time.monotonic()
        time.sleep(window)
        rate_out = (program.total - before) / (time.monotonic() - start)
        latencies = _keys(program, tool, time.monotonic() + window)
        return rate_out, latencies
    finally:
        program.close()


def _keys(program: PtyProgram, tool: str, until: float) -> list[float]:
    """Press a key every ~0.5 s until ``until``; the latency of each visible answer."""
    out: list[float] = []
    if tool == "tail -f":
        return out
    presses = {
        "onduty": [("t", "times UTC"), ("tt", "times local")],
        "toolong": [("/", "Case sensitive"), ("\x1b", "TAIL")],
    }[tool]
    index = 0
    while time.monotonic() < until - 1.0:
        keys, answer = presses[index % len(presses)]
        program.expect(answer)
        sent = time.monotonic()
        program.send(keys)
        seen = program.wait(answer, 10)
        if index % len(presses) == 0:
            out.append((seen - sent) * 1000)
        index += 1
        time.sleep(0.4)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=14.0)
    parser.add_argument("--skip-toolong", action="store_true")
    args = parser.parse_args()
    tools = ["onduty", "tail -f"] + ([] if args.skip_toolong else ["toolong"])
    print(f"flood of {args.rate:,} lines/s for {args.seconds:g} s ({WARMUP:g} s warm-up, "
          "then bytes, then keys), 120x40 pty, following the end, no filter")
    results = {}
    with tempfile.TemporaryDirectory(prefix="onduty-bench-") as tmp:
        for tool in tools:
            per_s, keys = flood(tool, Path(tmp), args.rate, args.seconds)
            results[tool] = per_s
            key_text = (f"keys p50 {statistics.median(keys):5.0f} ms · max {max(keys):5.0f} ms "
                        f"({len(keys)} presses)") if keys else "keys n/a"
            print(f"  {tool:<8} {per_s / 1024:8.1f} KB/s to the terminal   {key_text}",
                  flush=True)
    line = f"  onduty/tail -f bytes {ratio(results['onduty'], results['tail -f'])}"
    if "toolong" in results:
        line += f" · onduty/toolong bytes {ratio(results['onduty'], results['toolong'])}"
    print(line + " · target <= 64 KB/s, keys <= 100 ms")


if __name__ == "__main__":
    main()
