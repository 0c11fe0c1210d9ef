"""Dispatch latency of the egress component, against a bare subprocess launch of the recorder in the same run.

Start: from the start request's HTTP response to the recorder's ``started`` event (seen on the event stream).
Stop: from the stop request to the task being STOPPED with its final file closed.
Baseline: the time from spawning ``rtc-egress-recorder`` directly (config on stdin) to its ``started`` line.

It starts its own redis-server and one ``python -m rtc_egress`` (api-server + egress) and records synthetic
two-user 640x360@15 composites, ``--concurrency`` at a time, each for ``--duration`` seconds before the stop.

    .venv/bin/python bench/dispatch_latency.py [--tasks 50] [--duration 60] [--concurrency 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rtc_egress.egress.settings import find_recorder_binary
from rtc_egress.tasks import keys
from tests.support.redis_server import RedisServer, free_port

TARGET_START_P99_MS = 300.0
TARGET_STOP_P99_MS = 2000.0

PAYLOAD: dict[str, Any] = {
    "layout": "grid",
    "source": {"type": "synthetic", "users": 2},
    "video": {"width": 640, "height": 360, "frameRate": 15, "bitrate": 600},
    "audio": {"sampleRate": 48000, "channels": 2, "bitrate": 96},
}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class EventWatch:
    """Follows the event stream and resolves a future when (task_id, predicate) matches."""

    def __init__(self, redis: aioredis.Redis, start_after: str) -> None:
        self.redis = redis
        self.start_after = start_after  # the stream's last id before any task: nothing of ours is missed
        self.waiters: list[tuple[str, Any, asyncio.Future[float]]] = []

    def expect(self, task_id: str, match: Any) -> asyncio.Future[float]:
        fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiters.append((task_id, match, fut))
        return fut

    async def run(self) -> None:
        last = self.start_after
        while True:
            reply = await self.redis.xread({keys.EVENTS: last}, block=1000, count=500)
            now = time.perf_counter()
            for _, entries in reply or []:
                for entry_id, fields in entries:
                    last = entry_id
                    for waiter in list(self.waiters):
                        task_id, match, fut = waiter
                        if fields["task_id"] == task_id and match(fields) and not fut.done():
                            fut.set_result(now)
                            self.waiters.remove(waiter)


async def one_task(client: httpx.AsyncClient, watch: EventWatch, n: int, duration: float) -> tuple[float, float, str]:
    body = {"request_id": f"bench{n}", "cmd": "record", "payload": {**PAYLOAD, "channel": f"bench{n}"}}
    r = await client.post("/egress/v1/bench/tasks", json=body)
    answered = time.perf_counter()
    r.raise_for_status()
    task_id = r.json()["task_id"]
    started = watch.expect(task_id, lambda f: f["type"] == "started")
    start_ms = (await asyncio.wait_for(started, 30) - answered) * 1000
    await asyncio.sleep(duration)
    stopped = watch.expect(task_id, lambda f: f["type"] == "state_changed" and f["state"] in ("STOPPED", "FAILED"))
    sent = time.perf_counter()
    (await client.post(f"/egress/v1/bench/tasks/{task_id}/stop", json={"request_id": f"s{n}"})).raise_for_status()
    stop_ms = (await asyncio.wait_for(stopped, 60) - sent) * 1000
    final = (await client.get(f"/egress/v1/bench/tasks/{task_id}")).json()
    return start_ms, stop_ms, final["state"]


def baseline_start_ms(binary: Path, runs: int, workdir: Path) -> list[float]:
    out = []
    for i in range(runs):
        cfg = {
            **PAYLOAD,
            "task_id": f"base{i}",
            "cmd": "record",
            "channel": "base",
            "output_dir": str(workdir / f"b{i}"),
        }
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [str(binary), "--task", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(cfg) + "\n")
        proc.stdin.flush()
        for line in proc.stdout:
            if json.loads(line).get("event") == "started":
                out.append((time.perf_counter() - t0) * 1000)
                break
        proc.stdin.close()
        proc.wait(timeout=10)
    return out


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", type=int, default=50)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds recorded before each stop")
    ap.add_argument("--concurrency", type=int, default=5)
    args = ap.parse_args()
    binary = find_recorder_binary(None)
    if binary is None:
        sys.exit("rtc-egress-recorder is not built: run scripts/setup")

    with tempfile.TemporaryDirectory(prefix="rtc-egress-bench-") as tmp:
        work = Path(tmp)
        redis_server = RedisServer(work / "redis", appendonly=False)
        redis_server.start()
        api_port, health_port = free_port(), free_port()
        env = {
            **os.environ,
            "REDIS_URL": redis_server.url,
            "API_PORT": str(api_port),
            "HEALTH_PORT": str(health_port),
            "RTC_EGRESS_DATA_DIR": str(work / "data"),
            "RTC_EGRESS_COMPONENTS": "api-server,egress",
            "RTC_EGRESS_EGRESS__CAPACITY": "64",
            "RTC_EGRESS_EGRESS__MAX_TASKS": str(args.concurrency + 1),
            "RTC_EGRESS_LOG__LEVEL": "warning",
        }
        service = subprocess.Popen([sys.executable, "-m", "rtc_egress"], env=env, stdout=subprocess.DEVNULL)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}", timeout=30) as client:
                deadline = time.monotonic() + 30
                while True:
                    try:
                        if (await client.get(f"http://127.0.0.1:{health_port}/ready")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline:
                        sys.exit("the service did not become ready")
                    await asyncio.sleep(0.1)
                redis = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
                newest = await redis.xrevrange(keys.EVENTS, count=1)
                watch = EventWatch(redis, newest[0][0] if newest else "0-0")
                watcher = asyncio.create_task(watch.run())
                sem = asyncio.Semaphore(args.concurrency)

                async def bounded(n: int) -> tuple[float, float, str]:
                    async with sem:
                        return await one_task(client, watch, n, args.duration)

                results = await asyncio.gather(*(bounded(n) for n in range(args.tasks)))
                watcher.cancel()
                await redis.aclose()
        finally:
            service.terminate()
            service.wait(timeout=30)
            redis_server.stop()
        base = baseline_start_ms(binary, min(args.tasks, 20), work)

    starts = [r[0] for r in results]
    stops = [r[1] for r in results]
    not_stopped = [r[2] for r in results if r[2] != "STOPPED"]
    print(f"tasks: {args.tasks}, recorded {args.duration:g} s each, {args.concurrency} at a time")
    print(f"start (response -> recorder started): p50 {pct(starts, 0.5):7.1f} ms  p99 {pct(starts, 0.99):7.1f} ms")
    print(f"stop  (request -> STOPPED, file closed): p50 {pct(stops, 0.5):7.1f} ms  p99 {pct(stops, 0.99):7.1f} ms")
    print(f"baseline bare launch -> started:        p50 {pct(base, 0.5):7.1f} ms  p99 {pct(base, 0.99):7.1f} ms")
    print(f"ratio start p50 ours/baseline: {statistics.median(starts) / statistics.median(base):.2f}")
    ok = pct(starts, 0.99) < TARGET_START_P99_MS and pct(stops, 0.99) < TARGET_STOP_P99_MS and not not_stopped
    print(
        f"targets: start p99 < {TARGET_START_P99_MS:g} ms, stop p99 < {TARGET_STOP_P99_MS:g} ms, all STOPPED: "
        + ("met" if ok else f"NOT met ({len(not_stopped)} not STOPPED)")
    )


if __name__ == "__main__":
    asyncio.run(main())
