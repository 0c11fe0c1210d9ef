"""The task API served by its real component on a free TCP port, against a test's real Redis."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from prometheus_client import CollectorRegistry

from rtc_egress.api.component import ApiServerComponent
from rtc_egress.runtime.component import RuntimeContext
from rtc_egress.runtime.config import ApiConfig, Config, TasksConfig
from rtc_egress.tasks.store import TaskStore


@dataclass
class RunningApi:
    url: str
    store: TaskStore
    registry: CollectorRegistry
    component: ApiServerComponent

    def metric(self, name: str, labels: dict[str, str]) -> float:
        value = self.registry.get_sample_value(name, labels)
        return 0.0 if value is None else value


@asynccontextmanager
async def running_api(
    redis: aioredis.Redis, *, api: dict[str, Any] | None = None, tasks: dict[str, Any] | None = None
) -> AsyncIterator[RunningApi]:
    config = Config(
        components=["api-server"],
        api=ApiConfig(**{"host": "127.0.0.1", "port": 0, **(api or {})}),
        tasks=TasksConfig(**(tasks or {})),
        shutdown_grace_s=5,
    )
    store = TaskStore(redis, task_ttl_s=config.tasks.task_ttl_s, task_timeout_s=config.tasks.task_timeout_s)
    registry = CollectorRegistry()
    ctx = RuntimeContext(config=config, redis=redis, store=store, instance_id="api-test", metrics=registry)
    component = ApiServerComponent(ctx)
    await component.start()
    try:
        yield RunningApi(f"http://127.0.0.1:{component.port}", store, registry, component)
    finally:
        await component.stop(5)


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


class ApiClient:
    """A thin HTTP client for tests; it keeps every response text so a test can search them all."""

    def __init__(self, session: Any, base_url: str, token: str | None = None) -> None:
        self.session = session
        self.base_url = base_url
        self.token = token
        self.texts: list[str] = []

    async def call(self, method: str, path: str, body: Any = None, **kw: Any) -> Reply:
        headers = dict(kw.pop("headers", {}) or {})
        if self.token is not None and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token}"
        if body is not None:
            kw["json"] = body
        async with self.session.request(method, self.base_url + path, headers=headers, **kw) as resp:
            text = await resp.text()
            self.texts.append(text)
            parsed = json.loads(text) if text else None
            return Reply(resp.status, parsed, dict(resp.headers))
