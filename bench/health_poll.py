"""Health polling at scale, and the cost of one probe next to `curl`.

Against a local uvicorn server (its own process, so its CPU is not ours), prints:
- CPU of the probing process while a headless console (the real app, health screen
  shown, 200 endpoints at a 5 s interval) polls for a window: target under 20 % of one
  core;
- key-answer latency during that window: a key posted to the app until the table's
  cursor has moved, and the event loop's lag sampled every 20 ms: target within 100 ms;
  the garbage collector's pauses in the window are shown beside them, since a key that
  lands in a full collection waits for it;
- per-probe wall time of onduty's probe (one client, kept-alive connection, the full
  probe: resolve, deadline, capped body, classification) next to `curl -s URL` on the
  same endpoint in the same run, as a fresh process per request (the runbooks' way) and
  as curl's own `time_total`: target at most curl's per-request time.

Usage: python bench/health_poll.py [--endpoints 200] [--interval 5] [--window 30]
       [--probes 300]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SERVER = """
import sys, uvicorn
BODY = b'{"status":"ok","database":"connected"}'
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]})
    await send({"type": "http.response.body", "body": BODY})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
            access_log=False, timeout_keep_alive=75, lifespan="off")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def local_server() -> Iterator[str]:
    """A uvicorn health endpoint in a child process; yields its base URL."""
    port = free_port()
    child = subprocess.Popen([sys.executable, "-c", SERVER, str(port)])
    try:
        deadline = time.monotonic() + 15
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if time.monotonic() > deadline or child.poll() is not None:
                raise SystemExit("the local uvicorn server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        child.terminate()
        child.wait(5)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class GcPauses:
    """Durations of the garbage collector's pauses while ``running`` (gc.callbacks)."""

    def __init__(self) -> None:
        self.full: list[float] = []
        self.young: list[float] = []
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            pause = time.perf_counter() - self._started
            (self.full if info["generation"] == 2 else self.young).append(pause)

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        gc.callbacks.append(self._callback)
        try:
            yield
        finally:
            gc.callbacks.remove(self._callback)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --------------------------------------------------------------------------- polling


async def poll_at_scale(base: str, endpoints: int, interval: float, window: float) -> None:
    from textual import events

    from tui.app import create_app
    from tui.config import Config, Environment, HealthEndpoint
    from tui.health.model import Verdict
    from widgets.health_table import HealthTable

    health = tuple(HealthEndpoint(name=f"/health?n={i}", url=f"{base}/health?n={i}",
                                  interval=interval, timeout=5) for i in range(endpoints))
    config = Config(environments=(Environment(name="bench", health=health),))
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(config, state_file=Path(folder) / "state.json", initial_mode="health")
        async with app.run_test(size=(160, 50)):
            deadline = time.monotonic() + 30
            while sum(s.verdict is Verdict.HEALTHY for s in app.health_states()) < endpoints:
                if time.monotonic() > deadline:
                    raise SystemExit("not every endpoint came up healthy within 30 s")
                await asyncio.sleep(0.05)
            await asyncio.sleep(interval)  # one full round at the steady state
            lags: list[float] = []
            keys: list[float] = []
            stop = asyncio.Event()

            async def sample_lag() -> None:
                while not stop.is_set():
                    started = time.perf_counter()
                    await asyncio.sleep(0.02)
                    lags.append(time.perf_counter() - started - 0.02)

            sampler = asyncio.create_task(sample_lag())
            cpu0, wall0 = cpu_seconds(), time.perf_counter()
            probes0 = sum(len(s.history) for s in app.health_states())
            table = app.screen.query_one(HealthTable)
            pauses = GcPauses()
            with pauses.running():
                while time.perf_counter() - wall0 < window:
                    before = table.cursor_row
                    app.post_message(events.Key("down" if len(keys) % 20 < 10 else "up", None))
                    started = time.perf_counter()
                    while table.cursor_row == before and time.perf_counter() - started < 5:
                        await asyncio.sleep(0.001)
                    keys.append(time.perf_counter() - started)
                    await asyncio.sleep(0.2)
            cpu, wall = cpu_seconds() - cpu0, time.perf_counter() - wall0
            probes = sum(len(s.history) for s in app.health_states()) - probes0
            stop.set()
            await sampler
            bad = [s for s in app.health_states() if s.verdict is not Verdict.HEALTHY]
    print(f"polling: {endpoints} endpoints every {interval:g} s, headless console on the "
          f"health screen, {wall:.0f} s window")
    print(f"  probes completed        {probes} ({probes / wall:.1f}/s; expected "
          f"{endpoints / interval:.1f}/s)")
    print(f"  CPU of this process     {100 * cpu / wall:5.1f} % of one core  (target < 20 %)")
    print(f"  key answered            p50 {1000 * pct(keys, 0.5):5.1f} ms  p95 "
          f"{1000 * pct(keys, 0.95):5.1f} ms  max {1000 * max(keys):5.1f} ms  "
          f"({len(keys)} keys; target < 100 ms)")
    print(f"  event-loop lag          p50 {1000 * pct(lags, 0.5):5.1f} ms  p95 "
          f"{1000 * pct(lags, 0.95):5.1f} ms  max {1000 * max(lags):5.1f} ms")
    print(f"  GC pauses               {len(pauses.full)} full, longest "
          f"{1000 * max(pauses.full, default=0):5.1f} ms; {len(pauses.young)} young, longest "
          f"{1000 * max(pauses.young, default=0):5.1f} ms")
    print(f"  endpoints not healthy   {len(bad)}")


# --------------------------------------------------------------------------- per probe


async def our_probes(url: str, count: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) per probe, sequential, one kept-alive client."""
    from tui.config import HealthEndpoint
    from tui.health.client import ProxyRoutes, make_client
    from tui.health.model import Verdict
    from tui.health.probe import probe

    routes = ProxyRoutes()
    endpoint = HealthEndpoint("bench", url, timeout=5)
    async with make_client(routes=routes) as client:
        await probe(client, endpoint, routes=routes)  # connect once, as polling does
        cpu0, wall0 = cpu_seconds(), time.perf_counter()
        for _ in range(count):
            result = await probe(client, endpoint, routes=routes)
            if result.verdict is not Verdict.HEALTHY:
                raise SystemExit(f"probe failed: {result.reason}")
        return ((time.perf_counter() - wall0) / count, (cpu_seconds() - cpu0) / count)


def curl_requests(url: str, count: int) -> tuple[float, float]:
    """(wall seconds per `curl` process, curl's own mean time_total) over ``count`` runs."""
    curl = shutil.which("curl")
    if curl is None:
        raise SystemExit("curl is not installed: the peer figure needs it")
    totals: list[float] = []
    started = time.perf_counter()
    for _ in range(count):
        out = subprocess.run([curl, "-s", "-o", "/dev/null", "-w", "%{time_total}", url],
                             capture_output=True, text=True, check=True).stdout
        totals.append(float(out))
    return (time.perf_counter() - started) / count, statistics.fmean(totals)


def per_probe(base: str, count: int) -> None:
    url = f"{base}/health"
    ours_wall, ours_cpu = asyncio.run(our_probes(url, count))
    curl_wall, curl_total = curl_requests(url, count)
    print(f"per probe: {count} sequential requests to {url}")
    print(f"  onduty probe (kept-alive)   {1000 * ours_wall:6.2f} ms wall   "
          f"{1000 * ours_cpu:5.2f} ms CPU")
    print(f"  curl -s URL (a process)     {1000 * curl_wall:6.2f} ms wall   "
          f"-> onduty/curl {ours_wall / curl_wall:.2f}x  (target <= 1x)")
    print(f"  curl's own time_total       {1000 * curl_total:6.2f} ms        "
          f"-> onduty/curl {ours_wall / curl_total:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=200)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--window", type=float, default=30.0)
    parser.add_argument("--probes", type=int, default=300)
    args = parser.parse_args()
    with local_server() as base:
        per_probe(base, args.probes)
        asyncio.run(poll_at_scale(base, args.endpoints, args.interval, args.window))


if __name__ == "__main__":
    main()
