"""Races: many claimers, claim vs timeout sweeper, duplicate creates, stop vs claim.

Each racer has its own Redis connection, so the server really interleaves them.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from rtc_egress.tasks.model import Lease, TaskKind, TaskState
from rtc_egress.tasks.store import StopOutcome, TaskStore
from tests.integration.store.conftest import NATIVE_RECORD, MakeTask
from tests.support.redis_server import RedisServer


@pytest.fixture
async def clients(redis_server: RedisServer) -> AsyncIterator[list[aioredis.Redis]]:
    made = [aioredis.Redis.from_url(redis_server.url, decode_responses=True) for _ in range(20)]
    yield made
    for c in made:
        await c.aclose()


async def test_twenty_claimers_take_each_of_1000_tasks_exactly_once(
    redis: aioredis.Redis, clients: list[aioredis.Redis]
) -> None:
    producer = TaskStore(redis)
    created = set()
    for batch in range(10):
        results = await asyncio.gather(
            *(
                producer.create(
                    app_id="app",
                    request_id=f"r{batch}x{i}",
                    cmd="record",
                    kind=TaskKind.NATIVE,
                    region="global",
                    channel=f"c{batch}x{i}",
                    payload={},
                )
                for i in range(100)
            )
        )
        created |= {r.task_id for r in results}
    assert len(created) == 1000

    async def claimer(n: int, client: aioredis.Redis) -> list[str]:
        store = TaskStore(client)
        got = []
        while (task := await store.claim(f"w{n}", NATIVE_RECORD, lease_s=60)) is not None:
            assert task.owner == f"w{n}"
            got.append(task.task_id)
        return got

    per_claimer = await asyncio.gather(*(claimer(n, c) for n, c in enumerate(clients)))
    claims = Counter(t for got in per_claimer for t in got)
    assert set(claims) == created
    assert max(claims.values()) == 1
    assert sum(1 for got in per_claimer if got) > 1  # the work really was shared


async def test_claim_racing_the_timeout_sweeper_has_exactly_one_winner(
    redis: aioredis.Redis, clients: list[aioredis.Redis], make_task: MakeTask
) -> None:
    # A task whose timeout has already passed when the race starts: the claim and the sweep both want it.
    claimer = TaskStore(clients[0], task_timeout_s=0.001)
    sweeper = TaskStore(clients[1], task_timeout_s=0.001)
    for _ in range(200):
        task = await make_task(claimer)
        claimed, swept = await asyncio.gather(claimer.claim("w1", NATIVE_RECORD, 30), sweeper.sweep())
        final = await claimer.get(task.task_id)
        assert final is not None
        if claimed is not None:
            assert final.state == TaskState.PROCESSING and swept.timed_out == 0
            await claimer.finish(task.task_id, Lease("w1", 1), "done")
        else:
            assert final.state == TaskState.TIMEOUT and swept.timed_out == 1
        leaving_enqueued = [
            e for e in await claimer.events(task.task_id) if e.type == "state_changed" and e.data["from"] == "ENQUEUED"
        ]
        assert len(leaving_enqueued) == 1


async def test_concurrent_duplicate_request_ids_create_one_task(clients: list[aioredis.Redis]) -> None:
    stores = [TaskStore(c) for c in clients]
    results = await asyncio.gather(
        *(
            s.create(
                app_id="app",
                request_id="same",
                cmd="record",
                kind=TaskKind.NATIVE,
                region="global",
                channel="dup",
                payload={},
            )
            for s in stores
        )
    )
    assert len({r.task_id for r in results}) == 1
    assert sum(r.created for r in results) == 1


async def test_stop_racing_a_claim_prevents_the_start_or_reaches_the_new_owner(
    clients: list[aioredis.Redis], make_task: MakeTask
) -> None:
    worker, api = TaskStore(clients[0]), TaskStore(clients[1])
    reached_owner: list[tuple[str, str]] = []  # (task_id, stop request_id) of the stops that found it running
    for i in range(200):
        task = await make_task(api)
        claimed, stopped = await asyncio.gather(
            worker.claim("w1", NATIVE_RECORD, 30), api.stop("app1", task.task_id, f"s{i}")
        )
        if claimed is None:
            assert stopped.outcome == StopOutcome.STOPPED
            assert (await api.get(task.task_id)).state == TaskState.STOPPED  # type: ignore[union-attr]
        else:
            assert stopped.outcome == StopOutcome.STOPPING
            assert await worker.renew(task.task_id, Lease("w1", 1), 30) == TaskState.STOPPING
            await worker.finish(task.task_id, Lease("w1", 1), "stopped")
            reached_owner.append((task.task_id, f"s{i}"))
    # Every stop that found the task running was delivered to the owner's control stream, in order, and no other.
    messages = worker.control_messages("w1", block_ms=50)
    delivered = [await anext(messages) for _ in reached_owner]
    assert [(m.task_id, m.request_id) for m in delivered] == reached_owner
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await anext(messages)
