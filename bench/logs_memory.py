"""Peak memory holding 1M lines: onduty (cap raised to 1,000,000 so every line is held)
next to toolong and `tail -F | grep` following the same file, from the same run.

Each tool follows an empty file; the bench appends N lines plus a sentinel, waits for the
sentinel on the 120x40 pty, then reads the peak RSS (VmHWM) of the tool's processes.

Target (issue 6): 1M lines held in at most 300 MB RSS.

Usage: python bench/logs_memory.py [--lines 1000000] [--skip-toolong]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from logs_pty import ERRORS_RE, PtyProgram, grep_path, onduty_argv, sample_lines, toolong

TIMEOUT = 900.0


def peak(tool: str, directory: Path, data: bytes, count: int) -> tuple[int, float]:
    """(peak RSS in KiB, seconds to show the last line)."""
    target = directory / f"{tool}.log"
    target.write_bytes(b"")
    token = f"zz{tool[:2]}{int(time.time() * 1000) % 100000}"
    argv = {
        "onduty": onduty_argv("--lines", str(count + 10), str(target)),
        "grep": ["sh", "-c", f"tail -n +1 -F {shlex.quote(str(target))} 2>/dev/null | "
                 f"{grep_path()} --line-buffered -iE '{ERRORS_RE}|{token}'"],
        "toolong": [str(toolong()), str(target)],
    }[tool]
    program = PtyProgram(argv, env={"HOME": str(directory)})
    try:
        ready = {"onduty": "following", "toolong": "TAIL"}.get(tool)
        if ready:
            program.expect(ready)
            program.wait(ready, 60)
        time.sleep(0.5)
        program.expect(token)
        start = time.monotonic()
        with target.open("ab") as handle:
            handle.write(data)
            handle.write(f"{token} ERROR last line\n".encode())
        seconds = program.wait(token, TIMEOUT) - start
        time.sleep(1.0)
        return program.rss_peak_kb(), seconds
    finally:
        program.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--skip-toolong", action="store_true")
    args = parser.parse_args()
    data = b"".join(sample_lines(args.lines))
    print(f"{args.lines:,} lines ({len(data) / 1e6:.0f} MB) appended to a followed file; "
          "peak RSS of each tool's processes")
    tools = ["onduty", "grep"] + ([] if args.skip_toolong else ["toolong"])
    results = {}
    with tempfile.TemporaryDirectory(prefix="onduty-bench-") as tmp:
        for tool in tools:
            kib, seconds = peak(tool, Path(tmp), data, args.lines)
            results[tool] = kib
            print(f"  {tool:<8} peak RSS {kib / 1024:7.1f} MB   (last line shown after "
                  f"{seconds:.1f} s)", flush=True)
    held = "every line held in memory" if args.lines <= 1_000_000 else ""
    print(f"  onduty: {results['onduty'] / 1024:.0f} MB for {args.lines:,} lines ({held}); "
          "target <= 300 MB" + (f" · toolong {results['toolong'] / 1024:.0f} MB (indexes "
                                "the file, reads lines on demand)" if "toolong" in results
                                else ""))


if __name__ == "__main__":
    main()
