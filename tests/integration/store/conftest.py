"""Store fixtures: a TaskStore on the test's real Redis, and helpers to make tasks."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import redis.asyncio as aioredis

from rtc_egress.tasks.model import Task, TaskKind
from rtc_egress.tasks.store import TaskStore, worker_queues

NATIVE_RECORD = worker_queues("global", [TaskKind.NATIVE], ["record"])
_counter = itertools.count()

MakeTask = Callable[..., Awaitable[Task]]


@pytest.fixture
def store(redis: aioredis.Redis) -> TaskStore:
    return TaskStore(redis, task_ttl_s=600, task_timeout_s=30, max_attempts=3, events_max_len=100_000)


@pytest.fixture
def make_task(store: TaskStore) -> MakeTask:
    async def make(st: TaskStore | None = None, *, channel: str | None = None, app_id: str = "app1", **kw: Any) -> Task:
        n = next(_counter)
        res = await (st or store).create(
            app_id=app_id,
            request_id=kw.pop("request_id", f"req{n}"),
            cmd=kw.pop("cmd", "record"),
            kind=kw.pop("kind", TaskKind.NATIVE),
            region=kw.pop("region", "global"),
            channel=channel if channel is not None else f"ch{n}",
            payload=kw.pop("payload", {"channel": f"ch{n}", "access_token": "secret-token-123"}),
        )
        assert res.created
        task = await (st or store).get(res.task_id)
        assert task is not None
        return task

    return make
