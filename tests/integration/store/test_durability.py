"""Crashes: a claimer killed mid-lease, and Redis killed and restarted (AOF) while tasks are created."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from rtc_egress.tasks import keys
from rtc_egress.tasks.model import TaskKind, TaskState
from rtc_egress.tasks.store import TaskStore
from tests.integration.store.conftest import NATIVE_RECORD, MakeTask
from tests.support.redis_server import RedisServer

CLAIMER = textwrap.dedent(
    """
    import asyncio, sys
    import redis.asyncio as aioredis
    from rtc_egress.tasks.store import TaskStore
    async def main():
        store = TaskStore(aioredis.Redis.from_url(sys.argv[1], decode_responses=True))
        task = await store.claim("doomed", sys.argv[2:], lease_s=0.5)
        print(task.task_id if task else "none", flush=True)
        await asyncio.Event().wait()
    asyncio.run(main())
    """
)


async def test_claimer_killed_mid_lease_task_resumes_once_elsewhere(
    redis: aioredis.Redis, redis_server: RedisServer, make_task: MakeTask
) -> None:
    store = TaskStore(redis)
    task = await make_task()
    proc = subprocess.Popen(
        [sys.executable, "-c", CLAIMER, redis_server.url, *NATIVE_RECORD], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.to_thread(proc.stdout.readline)
        assert line.strip() == task.task_id
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    running = await store.get(task.task_id)
    assert running is not None and running.state == TaskState.PROCESSING and running.owner == "doomed"

    requeued = 0
    deadline = asyncio.get_running_loop().time() + 10
    while requeued == 0:
        assert asyncio.get_running_loop().time() < deadline, "lease never expired"
        requeued += (await store.sweep()).requeued
        await asyncio.sleep(0.05)
    for _ in range(5):  # further sweeps find nothing more to do
        assert (await store.sweep()).total == 0
    back = await store.get(task.task_id)
    assert back is not None and back.state == TaskState.ENQUEUED and back.attempts == 1

    resumed = await store.claim("survivor", NATIVE_RECORD, lease_s=30)
    assert resumed is not None and resumed.task_id == task.task_id
    assert resumed.owner == "survivor" and resumed.part == 2
    back_to_queue = [e for e in await store.events(task.task_id) if e.data.get("to") == "ENQUEUED"]
    assert len(back_to_queue) == 2  # created, then the one resume


async def test_redis_killed_and_restarted_loses_no_accepted_task(own_redis: RedisServer) -> None:
    client = aioredis.Redis.from_url(
        own_redis.url,
        decode_responses=True,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.01), retries=100),
        retry_on_error=[RedisConnectionError, ConnectionResetError, OSError],
    )
    store = TaskStore(client)
    accepted: dict[str, str] = {}
    stop = asyncio.Event()

    async def producer() -> None:
        n = 0
        while not stop.is_set():
            # A create whose reply was lost is retried with the same request_id: idempotency returns the task.
            res = await store.create(
                app_id="app",
                request_id=f"r{n}",
                cmd="record",
                kind=TaskKind.NATIVE,
                region="global",
                channel=f"c{n}",
                payload={"n": n},
            )
            accepted[f"r{n}"] = res.task_id
            n += 1

    task = asyncio.create_task(producer())
    while len(accepted) < 200:
        await asyncio.sleep(0.01)
    await asyncio.to_thread(own_redis.restart, kill=True)  # SIGKILL: only what AOF has survives
    before_restart = len(accepted)
    while len(accepted) < before_restart + 200:
        await asyncio.sleep(0.01)
    stop.set()
    await task

    missing = []
    for rid, tid in accepted.items():
        t = await store.get(tid)
        if t is None or t.state != TaskState.ENQUEUED or t.request_id != rid:
            missing.append(rid)
    assert missing == []
    queued = await client.lrange(keys.queue("global", "native", "record"), 0, -1)
    assert sorted(queued) == sorted(accepted.values())
    await client.aclose()
