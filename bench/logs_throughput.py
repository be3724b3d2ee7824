"""Lines per second ingested + filtered + displayed, onduty vs `grep --line-buffered` vs
toolong, on the same input, each driven through a 120x40 pty the same way.

Two scenarios, each timed from the moment the input starts flowing to the moment the
last line (a unique sentinel) is on the terminal:
- file: the tool follows an empty file; the bench appends N lines to it at once
  (onduty logs FILE, `tail -F FILE | grep`, tl FILE);
- subprocess: a child writes N lines to a pipe (onduty logs -- CMD, `CMD | grep`,
  `CMD | tl`).
onduty and grep filter with the seeds' errors preset (error|exception|failed, any case);
toolong has no filter, so it only tails (its find highlights the screen only).

Targets (issue 6): onduty >= 2x toolong and >= 1/3 of grep.

The default is 2,000,000 lines so that the rates are those of a sustained flood: with
500,000, grep is done in 0.1-0.3 s and onduty's end-of-burst display slot (the pane
redraws at most twice a second while lines pour in, so the last line can wait up to
0.5 s) and `tail -F`'s poll are a large share of each time measured.

Usage: python bench/logs_throughput.py [--lines 2000000] [--skip-toolong]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from logs_pty import (
    ERRORS_RE,
    PtyProgram,
    grep_path,
    onduty_argv,
    ratio,
    sample_lines,
    toolong,
    write_generator,
)

TIMEOUT = 600.0


def sentinel_line(tag: str) -> tuple[bytes, str]:
    # Early in the line: a notification toast may cover the right half of the screen.
    token = f"zz{tag[:2]}{int(time.time() * 1000) % 100000}"
    return f"{token} ERROR last line\n".encode(), token


def run_file(tool: str, directory: Path, lines: list[bytes]) -> float:
    """Seconds from the append starting to the sentinel on screen (file followed)."""
    target = directory / f"{tool}.log"
    target.write_bytes(b"")
    last, token = sentinel_line(tool)
    argv = {
        "onduty": lambda: onduty_argv("--preset", "errors", "--lines", "100000", str(target)),
        "grep": lambda: ["sh", "-c", f"tail -n +1 -F {shlex.quote(str(target))} 2>/dev/null | "
                         f"{grep_path()} --line-buffered -iE '{ERRORS_RE}'"],
        "toolong": lambda: [str(toolong()), str(target)],
    }[tool]()
    program = PtyProgram(argv, env={"HOME": str(directory)})
    try:
        _ready(program, tool)
        program.expect(token)
        start = time.monotonic()
        with target.open("ab") as handle:
            handle.write(b"".join(lines))
            handle.write(last)
        return program.wait(token, TIMEOUT) - start
    finally:
        program.close()


def run_subprocess(tool: str, directory: Path, lines: list[bytes]) -> float:
    """Seconds from the child starting to write to the sentinel on screen (a pipe)."""
    data = directory / f"{tool}-input.log"
    last, token = sentinel_line(tool + "p")
    data.write_bytes(b"".join(lines) + last)
    go = directory / f"{tool}.go"
    go.unlink(missing_ok=True)
    generator = [sys.executable, str(write_generator(directory)), str(data), str(go),
                 str(len(lines) + 1), "0"]
    gen = shlex.join(generator)
    argv = {
        "onduty": lambda: onduty_argv("--preset", "errors", "--once", "--", *generator),
        "grep": lambda: ["sh", "-c",
                         f"{gen} | {grep_path()} --line-buffered -iE '{ERRORS_RE}'"],
        "toolong": lambda: ["sh", "-c", f"{gen} | {shlex.quote(str(toolong()))}"],
    }[tool]()
    program = PtyProgram(argv, env={"HOME": str(directory)})
    try:
        _ready(program, tool)
        program.expect(token)
        start = time.monotonic()
        go.write_text("go")
        return program.wait(token, TIMEOUT) - start
    finally:
        program.close()


def _ready(program: PtyProgram, tool: str) -> None:
    """Wait until the tool is up (its first screen), so startup is not timed."""
    if tool == "grep":
        time.sleep(0.5)
        return
    marker = {"onduty": "following", "toolong": "TAIL"}[tool]
    program.expect(marker)
    program.wait(marker, 60)
    time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--skip-toolong", action="store_true")
    args = parser.parse_args()
    tools = ["onduty", "grep"] + ([] if args.skip_toolong else ["toolong"])
    lines = sample_lines(args.lines)
    size_mb = sum(map(len, lines)) / 1e6
    print(f"{args.lines:,} lines ({size_mb:.0f} MB), 120x40 pty, errors preset "
          f"/{ERRORS_RE}/i (onduty, grep); toolong tails unfiltered")
    with tempfile.TemporaryDirectory(prefix="onduty-bench-") as tmp:
        directory = Path(tmp)
        for scenario, runner in (("file", run_file), ("subprocess", run_subprocess)):
            rates = {}
            for tool in tools:
                seconds = runner(tool, directory, lines)
                rates[tool] = args.lines / seconds
                print(f"  {scenario:<10} {tool:<8} {seconds:7.2f} s  {rates[tool]:>12,.0f} lines/s",
                      flush=True)
            summary = [f"onduty/grep {ratio(rates['onduty'], rates['grep'])} (target >= 0.33x)"]
            if "toolong" in rates:
                summary.append(f"onduty/toolong {ratio(rates['onduty'], rates['toolong'])} "
                               "(target >= 2x)")
            print(f"  {scenario:<10} " + " · ".join(summary), flush=True)


if __name__ == "__main__":
    main()
