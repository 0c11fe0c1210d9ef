"""Task-creation throughput of the task API, against a baseline handler measured in the same run.

Starts its own redis-server on a free port, serves the real API app (validation, auth middleware, metrics,
the store's one-script create) and N concurrent aiohttp clients in this one process, each creating tasks
with unique request_ids on distinct channels for --duration seconds. Then the same load against a baseline
app whose handler reads the body, does one Redis SET and answers a small JSON object: the floor of any
JSON-over-aiohttp API with one Redis round trip. Prints tasks/s, p50/p99 latency and the ratio.

No sweeper runs (the tasks stay ENQUEUED; a sweeper would time them out after 30 s, which does not touch the
create path). Redis runs without persistence, for both runs alike. The start-up heap is frozen (gc.freeze)
before each run, as a server process should do once it has started.

    .venv/bin/python bench/api_throughput.py [--clients 50] [--duration 20] [--warmup 2]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web
from redis.utils import HIREDIS_AVAILABLE

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rtc_egress.api.app import create_app
from rtc_egress.runtime.config import ApiConfig
from rtc_egress.tasks.store import TaskStore
from tests.support.bodies import upstream_start
from tests.support.redis_server import RedisServer

TARGET_RATE = 1500.0
TARGET_P99_MS = 20.0
TARGET_RATIO = 0.6
HEADERS = {"Content-Type": "application/json"}


class PauseMeter:
    """What stalled this process while measuring: garbage collections (count and longest, per generation) and
    the event loop's worst lag (how late a 5 ms timer fired), so a p99 miss can be told apart from slow work."""

    def __init__(self) -> None:
        self.collections = [0, 0, 0]
        self.longest_ms = [0.0, 0.0, 0.0]
        self.worst_lag_ms = 0.0
        self._started = 0.0
        self._task: asyncio.Task[None] | None = None

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        gen = info["generation"]
        self.collections[gen] += 1
        self.longest_ms[gen] = max(self.longest_ms[gen], (time.perf_counter() - self._started) * 1000)

    async def _watch_loop(self) -> None:
        while True:
            due = time.perf_counter() + 0.005
            await asyncio.sleep(0.005)
            self.worst_lag_ms = max(self.worst_lag_ms, (time.perf_counter() - due) * 1000)

    def start(self) -> None:
        gc.callbacks.append(self._on_gc)
        self._task = asyncio.ensure_future(self._watch_loop())

    def stop(self) -> None:
        gc.callbacks.remove(self._on_gc)
        if self._task:
            self._task.cancel()

    def line(self) -> str:
        gens = ", ".join(
            f"gen{g} {n} (max {ms:.1f} ms)"
            for g, (n, ms) in enumerate(zip(self.collections, self.longest_ms, strict=True))
        )
        return f"stalls: worst loop lag {self.worst_lag_ms:.1f} ms; collections {gens}"


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    cpu_s: float = 0.0  # CPU time of this process (server and clients) while measuring
    pauses: PauseMeter | None = None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def pct(self, p: float) -> float:
        return statistics.quantiles(self.latencies_ms, n=1000)[int(p * 10) - 1]

    def line(self) -> str:
        cpu_us = self.cpu_s / max(self.requests, 1) * 1e6
        return (
            f"{self.name:<10} {self.rate:6.0f} req/s   p50 {self.pct(50):7.2f} ms   p99 {self.pct(99):7.2f} ms"
            f"   cpu {cpu_us:4.0f} us/req   ({self.requests} requests, {self.errors} errors)"
            + (f"\n              {self.pauses.line()}" if self.pauses else "")
        )


def start_body(n: int) -> bytes:
    return json.dumps(upstream_start(f"bench{n}", f"bench-channel-{n}", "007eJxt9VMp-benchmark-token")).encode()


def baseline_app(redis: aioredis.Redis) -> web.Application:
    counter = itertools.count()

    async def create(request: web.Request) -> web.Response:
        body = await request.read()
        n = next(counter)
        await redis.set(f"baseline:{n}", body)
        return web.json_response({"request_id": str(n), "task_id": f"{n:016x}", "status": "enqueued"})

    app = web.Application()
    app.router.add_post("/egress/v1/{app_id}/tasks", create)
    return app


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    # Long-lived start-up objects (modules, pydantic schemas, the OpenAPI document) out of the collector's way:
    # without this, each full collection walks them all and stalls the loop for tens of milliseconds.
    gc.collect()
    gc.freeze()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/egress/v1/benchapp/tasks"


async def saturate(name: str, url: str, clients: int, duration: float, warmup: float) -> Result:
    """Closed loop: every client sends its next request as soon as the previous one is answered."""
    counter = itertools.count()
    latencies: list[float] = []
    errors = 0
    measuring = False
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as session:

        async def client(stop_at: float) -> None:
            nonlocal errors
            while (sent := time.perf_counter()) < stop_at:
                async with session.post(url, data=start_body(next(counter)), headers=HEADERS) as resp:
                    await resp.read()
                    ok = resp.status == 200
                if measuring:
                    latencies.append((time.perf_counter() - sent) * 1000)
                    errors += not ok

        cpu_from = 0.0

        async def switch_on() -> None:
            nonlocal measuring, cpu_from
            await asyncio.sleep(warmup)
            measuring = True
            cpu_from = time.process_time()

        begin = time.perf_counter()
        await asyncio.gather(switch_on(), *(client(begin + warmup + duration) for _ in range(clients)))
        elapsed = time.perf_counter() - begin - warmup
        cpu = time.process_time() - cpu_from
    return Result(name, len(latencies), elapsed, latencies, errors, cpu)


async def paced(name: str, url: str, clients: int, rate: float, duration: float, warmup: float) -> Result:
    """Open loop at ``rate`` requests/s in total, spread evenly over the clients.

    Latency counts from the moment a request was due, not from when it was sent, so a server that falls
    behind shows its queueing (no coordinated omission).
    """
    counter = itertools.count()
    latencies: list[float] = []
    errors = 0
    period = clients / rate
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as session:

        async def client(i: int, begin: float) -> None:
            nonlocal errors
            due = begin + i * period / clients
            measure_from = begin + warmup
            stop_at = measure_from + duration
            while due < stop_at:
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                async with session.post(url, data=start_body(next(counter)), headers=HEADERS) as resp:
                    await resp.read()
                    ok = resp.status == 200
                if due >= measure_from:
                    latencies.append((time.perf_counter() - due) * 1000)
                    errors += not ok
                due += period

        pauses = PauseMeter()

        async def cpu_meter() -> float:
            await asyncio.sleep(warmup)
            pauses.start()
            return time.process_time()

        begin = time.perf_counter()
        try:
            cpu_from, *_ = await asyncio.gather(cpu_meter(), *(client(i, begin) for i in range(clients)))
        finally:
            pauses.stop()
        elapsed = time.perf_counter() - begin - warmup
        cpu = time.process_time() - cpu_from
    return Result(name, len(latencies), elapsed, latencies, errors, cpu, pauses)


async def run(args: argparse.Namespace) -> int:
    workdir = tempfile.TemporaryDirectory(prefix="rtc-egress-bench-")
    server = RedisServer(Path(workdir.name), appendonly=False)
    server.start()
    redis = aioredis.Redis.from_url(server.url, decode_responses=True)
    apps: list[tuple[str, Callable[[], web.Application]]] = [
        ("rtc-egress", lambda: create_app(store=TaskStore(redis), api=ApiConfig(), region="global")),
        ("baseline", lambda: baseline_app(redis)),
    ]

    async def measure(make: Callable[[], web.Application], how: Callable[[str], Awaitable[Result]]) -> Result:
        await redis.flushall()
        runner, url = await serve(make())
        try:
            return await how(url)
        finally:
            await runner.cleanup()

    try:
        parser = "hiredis" if HIREDIS_AVAILABLE else "pure Python (pip install hiredis: about twice the throughput)"
        print(f"event loop: {type(asyncio.get_running_loop()).__module__}; redis reply parser: {parser}")
        print(f"1. throughput: {args.clients} closed-loop clients, {args.duration:g} s each", flush=True)
        peak: list[Result] = []
        for name, make in apps:
            peak.append(await measure(make, lambda u, n=name: saturate(n, u, args.clients, args.duration, args.warmup)))
            print("   " + peak[-1].line(), flush=True)
        ratio = peak[0].rate / peak[1].rate
        print(f"   ratio {ratio:.2f} (rtc-egress / baseline)")

        print(f"2. latency: {args.rate:g} requests/s offered by {args.clients} clients, {args.duration:g} s each")
        at_rate: list[Result] = []
        for name, make in apps:
            at_rate.append(
                await measure(make, lambda u, n=name: paced(n, u, args.clients, args.rate, args.duration, args.warmup))
            )
            print("   " + at_rate[-1].line(), flush=True)

        ours_peak, ours_paced = peak[0], at_rate[0]
        checks = [
            (f"creations/s >= {TARGET_RATE:.0f} (closed loop)", ours_peak.rate >= TARGET_RATE),
            (f"p99 < {TARGET_P99_MS:.0f} ms at {args.rate:g}/s", ours_paced.pct(99) < TARGET_P99_MS),
            (f"throughput ratio >= {TARGET_RATIO}", ratio >= TARGET_RATIO),
            ("no failed requests", ours_peak.errors == 0 and ours_paced.errors == 0),
        ]
        for label, ok in checks:
            print(f"{'ok  ' if ok else 'MISS'} {label}")
        return 0 if all(ok for _, ok in checks) else 1
    finally:
        await redis.aclose()
        server.stop()
        workdir.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each run")
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="offered load of the latency runs (req/s)")
    args = parser.parse_args()
    runner: Callable[[Awaitable[int]], int] = asyncio.run
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        pass
    sys.exit(runner(run(args)))


if __name__ == "__main__":
    main()
