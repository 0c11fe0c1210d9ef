"""The component runner in-process: start and stop order, the drain budget, failures, readiness.

The components here are small real implementations of the Component protocol that record what happens to them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest
from prometheus_client import generate_latest

from rtc_egress.runtime.component import ComponentHealth, ComponentStartError, RuntimeContext
from rtc_egress.runtime.config import Config
from rtc_egress.runtime.runner import Runtime
from tests.support.redis_server import RedisServer


class Recorder:
    """A component that logs its life into ``journal`` and can be told to misbehave."""

    name: ClassVar[str] = "recorder"

    def __init__(self, label: str, journal: list[str], **behaviour: Any) -> None:
        self.label = label
        self.journal = journal
        self.behaviour = behaviour
        self.released = asyncio.Event()
        self.healthy = True

    async def start(self) -> None:
        if "start_error" in self.behaviour:
            raise self.behaviour["start_error"]
        self.journal.append(f"start {self.label}")

    async def stop(self, grace: float) -> None:
        self.journal.append(f"stop {self.label} grace<={grace:.0f}")
        if self.behaviour.get("hang_on_stop"):
            try:
                await self.released.wait()  # never set: a drain that ignores its grace
            except asyncio.CancelledError:
                self.journal.append(f"cancelled {self.label}")
                raise

    def health(self) -> ComponentHealth:
        return ComponentHealth(ok=self.healthy, detail={"label": self.label})


def make_runtime(
    redis_server: RedisServer, tmp_path: Path, built: dict[str, Recorder], journal: list[str], **behaviours: Any
) -> Runtime:
    def factory(name: str) -> Callable[[RuntimeContext], Recorder]:
        def make(ctx: RuntimeContext) -> Recorder:
            built[name] = Recorder(name, journal, **behaviours.get(name.replace("-", "_"), {}))
            return built[name]

        return make

    config = Config.model_validate(
        {
            "components": ["api-server", "egress", "uploader"],
            "data_dir": str(tmp_path),
            "shutdown_grace_s": behaviours.get("grace", 30),
            "health": {"port": 0, "host": "127.0.0.1"},
            "redis": {"url": redis_server.url},
        }
    )
    names = ("api-server", "egress", "uploader")
    return Runtime(config, factories={n: factory(n) for n in names})


async def until_ready(runtime: Runtime, run: asyncio.Task[int]) -> None:
    async with asyncio.timeout(15):
        while not (await runtime.readiness()).ready:
            assert not run.done(), "the runtime ended before it was ready"
            await asyncio.sleep(0.01)


@pytest.fixture
def journal() -> list[str]:
    return []


async def test_components_start_in_order_and_stop_in_reverse_within_the_grace(
    redis_server: RedisServer, tmp_path: Path, journal: list[str]
) -> None:
    built: dict[str, Recorder] = {}
    runtime = make_runtime(redis_server, tmp_path, built, journal, grace=20)
    run = asyncio.create_task(runtime.run())
    await until_ready(runtime, run)
    runtime.request_stop("SIGTERM")
    assert await asyncio.wait_for(run, 30) == 0
    assert journal == [
        "start api-server",
        "start egress",
        "start uploader",
        "stop uploader grace<=20",
        "stop egress grace<=20",
        "stop api-server grace<=20",
    ]


async def test_a_drain_longer_than_the_grace_is_cancelled_and_the_rest_still_stop(
    redis_server: RedisServer, tmp_path: Path, journal: list[str]
) -> None:
    built: dict[str, Recorder] = {}
    runtime = make_runtime(redis_server, tmp_path, built, journal, grace=0.2, uploader={"hang_on_stop": True})
    run = asyncio.create_task(runtime.run())
    await until_ready(runtime, run)
    runtime.request_stop("SIGTERM")
    assert await asyncio.wait_for(run, 30) == 0
    assert journal[3:] == [
        "stop uploader grace<=0",
        "cancelled uploader",
        "stop egress grace<=0",
        "stop api-server grace<=0",
    ]


async def test_a_second_signal_cuts_the_drain_short(
    redis_server: RedisServer, tmp_path: Path, journal: list[str]
) -> None:
    built: dict[str, Recorder] = {}
    runtime = make_runtime(redis_server, tmp_path, built, journal, grace=600, uploader={"hang_on_stop": True})
    run = asyncio.create_task(runtime.run())
    await until_ready(runtime, run)
    runtime.request_stop("SIGTERM")
    async with asyncio.timeout(15):
        while "stop uploader grace<=600" not in journal:
            await asyncio.sleep(0.01)
    assert not run.done()  # draining, with ten minutes of grace
    runtime.request_stop("SIGTERM")
    assert await asyncio.wait_for(run, 30) == 0
    assert journal[3:] == [
        "stop uploader grace<=600",
        "cancelled uploader",
        "stop egress grace<=0",
        "stop api-server grace<=0",
    ]


@pytest.mark.parametrize(("usage", "code"), [(True, 2), (False, 1)])
async def test_a_component_that_cannot_start_ends_the_process_and_stops_the_others(
    redis_server: RedisServer, tmp_path: Path, journal: list[str], usage: bool, code: int
) -> None:
    built: dict[str, Recorder] = {}
    error = ComponentStartError("egress.recorder_binary: not found", usage=usage)
    runtime = make_runtime(redis_server, tmp_path, built, journal, egress={"start_error": error})
    assert await asyncio.wait_for(runtime.run(), 30) == code
    assert journal == ["start api-server", "stop egress grace<=0", "stop api-server grace<=0"]
    assert "uploader" not in built


async def test_ready_and_component_up_follow_component_health(
    redis_server: RedisServer, tmp_path: Path, journal: list[str]
) -> None:
    built: dict[str, Recorder] = {}
    runtime = make_runtime(redis_server, tmp_path, built, journal)
    run = asyncio.create_task(runtime.run())
    await until_ready(runtime, run)
    built["egress"].healthy = False
    report = await runtime.readiness()
    assert not report.ready and report.reasons == ["egress: unhealthy"]
    assert report.components["egress"] == {"started": True, "ok": False, "label": "egress"}
    metrics = generate_latest(runtime.metrics.registry).decode()
    assert 'rtc_egress_component_up{component="egress"} 0.0' in metrics
    assert 'rtc_egress_component_up{component="uploader"} 1.0' in metrics
    built["egress"].healthy = True
    assert (await runtime.readiness()).ready
    runtime.request_stop()
    assert await asyncio.wait_for(run, 30) == 0
    assert (await runtime.readiness()).reasons[0] == "shutting down"
