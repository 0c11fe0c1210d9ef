"""``python -m rtc_egress`` as an operator runs it: health, readiness, metrics, signals, the embedded Redis."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis

from rtc_egress.tasks.model import TaskKind, TaskState
from rtc_egress.tasks.store import TaskStore
from tests.support.redis_server import RedisServer
from tests.support.service import GRACE_S, Serve, gone, wait_until

DEPTH = 'rtc_egress_queue_depth{queue="egress:queue:global:native:record"}'


def embedded_redis(s: Serve) -> tuple[int, str]:
    """(pid, socket path) of the process's embedded redis-server, from its start-up log line."""
    line = s.logged("embedded redis started")
    return int(line["pid"]), str(line["socket"])


async def with_store(socket_path: str, fn: Callable[[TaskStore], Any]) -> Any:
    client = aioredis.Redis(unix_socket_path=socket_path, decode_responses=True)
    try:
        return await fn(TaskStore(client, task_timeout_s=0.5))
    finally:
        await client.aclose()


async def create_task(store: TaskStore, request_id: str = "req1") -> str:
    res = await store.create(
        app_id="app1",
        request_id=request_id,
        cmd="record",
        kind=TaskKind.NATIVE,
        region="global",
        channel=f"room-{request_id}",
        payload={"channel": f"room-{request_id}", "access_token": "token-123456"},
    )
    return res.task_id


# --- embedded defaults ---------------------------------------------------------------------------


def test_embedded_defaults_health_ready_metrics_then_sigterm(serve: Callable[..., Serve]) -> None:
    s = serve()  # no subcommand: same as `rtc-egress serve`
    s.wait_ready()
    health = s.get("/health")
    assert health is not None and health.status_code == 200 and health.json()["status"] == "ok"
    ready = s.get("/ready")
    assert ready is not None and ready.json()["components"]["api-server"]["ok"] is True
    api = httpx.get(f"http://127.0.0.1:{s.api_port}/egress/v1/app1/tasks/0123456789abcdef", timeout=5)
    assert api.status_code in (401, 404)  # the task API answers on API_PORT

    metrics = s.metrics()
    assert 'rtc_egress_component_up{component="api-server"} 1.0' in metrics
    assert "rtc_egress_build_info{" in metrics
    assert "rtc_egress_redis_up 1.0" in metrics
    for name in ("rtc_egress_queue_depth", "rtc_egress_sweeper_actions_total", "rtc_egress_sweeper_runs_total"):
        assert f"# TYPE {name} " in metrics
    assert "process_resident_memory_bytes" in metrics
    assert "rtc_egress_sweeper_runs_created" not in metrics  # no *_created noise

    pid, socket_path = embedded_redis(s)
    assert not gone(pid)
    code, took = s.signal(signal.SIGTERM)
    assert code == 0
    assert took < GRACE_S
    wait_until(lambda: gone(pid), "the embedded redis-server to exit", timeout=5)
    assert not Path(socket_path).exists()


def test_embedded_redis_listens_on_a_unix_socket_only(serve: Callable[..., Serve]) -> None:
    s = serve("serve")
    s.wait_ready()
    _, socket_path = embedded_redis(s)

    async def settings(store: TaskStore) -> dict[str, str]:
        r = store.redis
        return {**await r.config_get("port"), **await r.config_get("appendonly"), **await r.config_get("appendfsync")}

    assert asyncio.run(with_store(socket_path, settings)) == {
        "port": "0",
        "appendonly": "yes",
        "appendfsync": "everysec",
    }
    assert s.signal()[0] == 0


def test_sweeper_times_out_unclaimed_tasks_and_metrics_count_it(serve: Callable[..., Serve]) -> None:
    s = serve(
        RTC_EGRESS_COMPONENTS="api-server",
        RTC_EGRESS_TASKS__TASK_TIMEOUT_S="0.5",
        RTC_EGRESS_TASKS__SWEEP_INTERVAL_S="0.1",
        RTC_EGRESS_HEALTH__QUEUE_DEPTH_INTERVAL_S="0.1",
    )
    s.wait_ready()
    _, socket_path = embedded_redis(s)

    task_id = asyncio.run(with_store(socket_path, create_task))
    # No egress component runs, so nothing claims it: it waits in its queue, then times out.
    wait_until(
        lambda: 'rtc_egress_queue_depth{queue="egress:queue:global:native:record"} 1.0' in s.metrics(), "depth 1"
    )
    wait_until(lambda: 'rtc_egress_sweeper_actions_total{action="timed_out"} 1.0' in s.metrics(), "timed_out 1")
    task = asyncio.run(with_store(socket_path, lambda st: st.get(task_id)))
    assert task.state == TaskState.TIMEOUT
    wait_until(
        lambda: 'rtc_egress_queue_depth{queue="egress:queue:global:native:record"} 0.0' in s.metrics(), "depth 0"
    )
    assert s.signal()[0] == 0


def test_tasks_survive_a_restart(serve: Callable[..., Serve]) -> None:
    s = serve()
    s.wait_ready()
    _, socket_path = embedded_redis(s)
    task_id = asyncio.run(with_store(socket_path, create_task))
    assert s.signal(signal.SIGINT)[0] == 0  # Ctrl-C stops as cleanly as SIGTERM

    again = serve()
    again.wait_ready()
    _, socket_path = embedded_redis(again)
    task = asyncio.run(with_store(socket_path, lambda st: st.get(task_id)))
    assert task is not None and task.channel == "room-req1"


def test_sigkill_of_the_parent_stops_the_redis_child_and_keeps_its_data(serve: Callable[..., Serve]) -> None:
    s = serve()
    s.wait_ready()
    pid, socket_path = embedded_redis(s)
    task_id = asyncio.run(with_store(socket_path, create_task))
    s.signal(signal.SIGKILL)
    wait_until(lambda: gone(pid), "the orphaned redis-server to exit by itself", timeout=5)

    again = serve()
    again.wait_ready()
    _, socket_path = embedded_redis(again)
    assert asyncio.run(with_store(socket_path, lambda st: st.get(task_id))) is not None


def test_second_process_on_the_same_data_dir_is_refused(serve: Callable[..., Serve]) -> None:
    first = serve()
    first.wait_ready()
    second = serve()
    assert second.proc.wait(timeout=30) == 2
    assert "belongs to another running rtc-egress process" in second.log_text()
    assert first.status("/ready") == 200  # the first one is untouched


def test_missing_redis_binary_exits_2_with_install_hint(serve: Callable[..., Serve], tmp_path: Path) -> None:
    s = serve(RTC_EGRESS_REDIS__EMBEDDED_BINARY=str(tmp_path / "no" / "redis-server"))
    assert s.proc.wait(timeout=30) == 2
    text = s.log_text()
    assert "apt-get install redis-server" in text and "REDIS_URL" in text
    assert "Traceback" not in text


# --- external Redis --------------------------------------------------------------------------------


def test_ready_follows_an_external_redis_outage(serve: Callable[..., Serve], tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "ext-redis")
    server.start()
    try:
        s = serve(REDIS_URL=server.url, RTC_EGRESS_TASKS__SWEEP_INTERVAL_S="0.1")
        s.wait_ready()
        assert not (tmp_path / "data" / "redis").exists()  # no embedded Redis when one is configured

        server.stop()
        r = wait_until(lambda: (x := s.get("/ready")) is not None and x.status_code == 503 and x, "/ready 503")
        assert any(reason.startswith("redis: unreachable") for reason in r.json()["reasons"])
        assert s.status("/health") == 200  # alive, just not ready
        wait_until(lambda: "rtc_egress_redis_up 0.0" in s.metrics(), "redis_up 0")
        wait_until(lambda: "rtc_egress_sweeper_errors_total 0.0" not in s.metrics(), "sweeper errors counted")

        server.start()
        s.wait_ready()
        wait_until(lambda: "rtc_egress_redis_up 1.0" in s.metrics(), "redis_up 1")
        assert s.signal()[0] == 0
    finally:
        server.stop()
