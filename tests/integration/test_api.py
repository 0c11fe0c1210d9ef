"""The task API over real HTTP, against a real Redis: routes, idempotency, conflicts, stops, errors."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
import structlog
from aiohttp import web

from rtc_egress.api import schemas
from rtc_egress.api.app import create_app
from rtc_egress.runtime.config import ApiConfig
from rtc_egress.tasks.model import TaskKind
from rtc_egress.tasks.store import TaskStore, worker_queues
from tests.support.api_server import ApiClient, RunningApi, running_api
from tests.support.bodies import upstream_start as _upstream_body

TOKEN = "rtc-token-0123456789-very-secret"
NATIVE_RECORD = worker_queues("global", [TaskKind.NATIVE], ["record"])


def upstream_start(request_id: str = "1a2b3c4d5e6f", channel: str = "egress_test") -> dict[str, Any]:
    return _upstream_body(request_id, channel, TOKEN)


@pytest.fixture
async def api(redis: aioredis.Redis) -> AsyncIterator[RunningApi]:
    async with running_api(redis) as running:
        yield running


@pytest.fixture
async def client(api: RunningApi) -> AsyncIterator[ApiClient]:
    async with aiohttp.ClientSession() as session:
        c = ApiClient(session, api.url)
        yield c
        # Whatever a test did, the token never appeared in a response.
        assert not [t for t in c.texts if TOKEN in t]


async def start(client: ApiClient, body: dict[str, Any], app_id: str = "app1") -> str:
    reply = await client.call("POST", f"/egress/v1/{app_id}/tasks", body)
    assert reply.status == 200, reply.body
    schemas.StartResponse.model_validate(reply.body)
    return str(reply.body["task_id"])


def is_rfc3339(value: str) -> bool:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


# --- start ------------------------------------------------------------------------------------------------------


async def test_upstream_start_body_creates_an_enqueued_task(client: ApiClient, api: RunningApi) -> None:
    reply = await client.call("POST", "/egress/v1/app1/tasks", upstream_start())
    assert reply.status == 200
    assert reply.body["request_id"] == "1a2b3c4d5e6f"
    assert re.fullmatch(r"[0-9a-f]{16}", reply.body["task_id"])
    assert reply.body["status"] == "enqueued"
    task = await api.store.get(reply.body["task_id"])
    assert task is not None and task.state == "ENQUEUED" and task.kind is TaskKind.NATIVE
    assert task.payload["access_token"] == TOKEN  # stored for the recorder ...
    assert task.region == "global" and task.channel == "egress_test"
    assert api.metric("rtc_egress_api_tasks_created_total", {"cmd": "record", "kind": "native"}) == 1


async def test_status_has_the_upstream_fields_and_ours(client: ApiClient) -> None:
    task_id = await start(client, upstream_start())
    reply = await client.call("POST", f"/egress/v1/app1/tasks/{task_id}/status", {"request_id": "st1"})
    assert reply.status == 200
    body = reply.body
    schemas.TaskView.model_validate(body)
    assert body["request_id"] == "st1"  # echoed, as upstream
    assert body["task_id"] == task_id and body["state"] == "ENQUEUED" and body["action"] == "start"
    assert is_rfc3339(body["created_at"]) and body["message"] == "" and body["worker_id"] == -1
    assert body["cmd"] == "record" and body["channel"] == "egress_test" and body["region"] == "global"
    assert body["payload"]["access_token"] == "***"  # ... and redacted in every answer
    assert body["payload"]["users"] == ["803231", "322353"] and body["payload"]["format"] == "hls"
    assert body["files"] == [] and body["attempts"] == 0 and body["started_at"] is None

    by_get = await client.call("GET", f"/egress/v1/app1/tasks/{task_id}")
    assert by_get.status == 200
    schemas.TaskView.model_validate(by_get.body)
    assert by_get.body["request_id"] == "1a2b3c4d5e6f"  # no request: the start's id
    assert {k: v for k, v in by_get.body.items() if k != "request_id"} == {
        k: v for k, v in body.items() if k != "request_id"
    }


async def test_web_task_without_channel(client: ApiClient, api: RunningApi) -> None:
    body = {"request_id": "web1", "cmd": "record", "payload": {"layout": "freestyle", "url": "https://example.com/"}}
    task_id = await start(client, body)
    task = await api.store.get(task_id)
    assert task is not None and task.kind is TaskKind.WEB and task.channel == ""
    # No channel lock for channel-less web tasks: a second one starts too.
    await start(client, {**body, "request_id": "web2"})


async def test_region_from_payload_else_from_config(redis: aioredis.Redis) -> None:
    async with running_api(redis, tasks={"region": "eu-west"}) as api, aiohttp.ClientSession() as s:
        client = ApiClient(s, api.url)
        default = await start(client, upstream_start("r1", "c1"))
        body = upstream_start("r2", "c2")
        body["payload"]["region"] = "ap-south"
        explicit = await start(client, body)
        assert (await api.store.get(default)).region == "eu-west"  # type: ignore[union-attr]
        assert (await api.store.get(explicit)).region == "ap-south"  # type: ignore[union-attr]
        assert await redis.lrange("egress:queue:ap-south:native:record", 0, -1) == [explicit]


async def test_duplicate_request_id_returns_the_same_task(client: ApiClient, api: RunningApi) -> None:
    first = await start(client, upstream_start("dup1"))
    again = await client.call("POST", "/egress/v1/app1/tasks", upstream_start("dup1"))
    assert again.status == 200 and again.body == {"request_id": "dup1", "task_id": first, "status": "enqueued"}
    # Another app may use the same request_id for its own task.
    other = await start(client, upstream_start("dup1"), app_id="app2")
    assert other != first


async def test_twenty_concurrent_duplicates_make_one_task(client: ApiClient, api: RunningApi) -> None:
    replies = await asyncio.gather(
        *(client.call("POST", "/egress/v1/app1/tasks", upstream_start("same1")) for _ in range(20))
    )
    assert {r.status for r in replies} == {200}
    assert len({r.body["task_id"] for r in replies}) == 1
    page = await api.store.list("app1")
    assert len(page.tasks) == 1
    assert api.metric("rtc_egress_api_tasks_created_total", {"cmd": "record", "kind": "native"}) == 1


async def test_reused_request_id_with_another_body_is_a_conflict(client: ApiClient) -> None:
    first = await start(client, upstream_start("reuse1"))
    changed = upstream_start("reuse1")
    changed["payload"]["format"] = "mp4"
    reply = await client.call("POST", "/egress/v1/app1/tasks", changed)
    assert reply.status == 409
    assert reply.body["task_id"] == first
    assert "request_id: reuse1 was already used for task" in reply.body["error"]


async def test_second_active_start_on_a_channel_is_409_naming_the_running_task(client: ApiClient) -> None:
    running = await start(client, upstream_start("a1", "room1"))
    reply = await client.call("POST", "/egress/v1/app1/tasks", upstream_start("a2", "room1"))
    assert reply.status == 409
    schemas.ErrorResponse.model_validate(reply.body)
    assert reply.body["task_id"] == running and reply.body["request_id"] == "a2"
    assert reply.body["error"] == f"payload.channel: room1 already has an active record task {running}"
    # Another cmd on the same channel, or the same channel in another app, is not a conflict.
    snap = upstream_start("a3", "room1")
    snap["cmd"] = "snapshot"
    await start(client, snap)
    await start(client, upstream_start("a4", "room1"), app_id="app2")
    # Once the running task has ended, the channel is free again.
    await client.call("POST", f"/egress/v1/app1/tasks/{running}/stop", {"request_id": "s1"})
    await start(client, upstream_start("a5", "room1"))


# --- stop -------------------------------------------------------------------------------------------------------


async def test_stop_of_an_enqueued_task_ends_it_and_it_never_starts(client: ApiClient, api: RunningApi) -> None:
    task_id = await start(client, upstream_start())
    reply = await client.call("POST", f"/egress/v1/app1/tasks/{task_id}/stop", {"request_id": "stop1"})
    assert reply.status == 200
    schemas.StopResponse.model_validate(reply.body)
    assert reply.body == {
        "request_id": "stop1",
        "task_id": task_id,
        "status": "enqueued",
        "message": f"Task {task_id} stopped before it started",
        "state": "STOPPED",
    }
    assert await api.store.claim("worker-1", NATIVE_RECORD, lease_s=5) is None
    status = await client.call("GET", f"/egress/v1/app1/tasks/{task_id}")
    assert status.body["state"] == "STOPPED" and status.body["finished_at"] is not None


async def test_stop_of_a_terminal_task_says_so_and_changes_nothing(client: ApiClient) -> None:
    task_id = await start(client, upstream_start())
    await client.call("POST", f"/egress/v1/app1/tasks/{task_id}/stop", {"request_id": "stop1"})
    before = await client.call("GET", f"/egress/v1/app1/tasks/{task_id}/events")
    reply = await client.call("POST", f"/egress/v1/app1/tasks/{task_id}/stop", {"request_id": "stop2"})
    assert reply.status == 200
    assert reply.body["status"] == "completed"
    assert reply.body["message"] == "Task already in terminal state: STOPPED"
    assert reply.body["state"] == "STOPPED"
    after = await client.call("GET", f"/egress/v1/app1/tasks/{task_id}/events")
    assert after.body["events"] == before.body["events"]


async def test_stop_of_a_running_task_twice(client: ApiClient, api: RunningApi) -> None:
    task_id = await start(client, upstream_start())
    claimed = await api.store.claim("worker-1", NATIVE_RECORD, lease_s=30)
    assert claimed is not None and claimed.task_id == task_id
    running = await client.call("GET", f"/egress/v1/app1/tasks/{task_id}")
    assert running.body["state"] == "PROCESSING" and running.body["owner"] == "worker-1"
    assert running.body["worker_id"] == 0

    first = await client.call("POST", f"/egress/v1/app1/tasks/{task_id}/stop", {"request_id": "s1"})
    assert first.status == 200 and first.body["status"] == "enqueued" and first.body["state"] == "STOPPING"
    second = await client.call("POST", f"/egress/v1/app1/tasks/{task_id}/stop", {"request_id": "s2"})
    assert second.status == 200 and second.body["status"] == "enqueued" and second.body["state"] == "STOPPING"
    assert "already in progress" in second.body["message"]

    # The owner is told (both times: a stop always reaches it).
    messages = []
    async for msg in api.store.control_messages("worker-1", block_ms=100):
        messages.append(msg.request_id)
        if len(messages) == 2:
            break
    assert messages == ["s1", "s2"]


async def test_another_apps_task_is_not_found(client: ApiClient) -> None:
    task_id = await start(client, upstream_start())
    for method, path, body in (
        ("POST", f"/egress/v1/app2/tasks/{task_id}/stop", {"request_id": "x1"}),
        ("POST", f"/egress/v1/app2/tasks/{task_id}/status", {"request_id": "x1"}),
        ("GET", f"/egress/v1/app2/tasks/{task_id}", None),
        ("GET", f"/egress/v1/app2/tasks/{task_id}/events", None),
        ("GET", "/egress/v1/app1/tasks/0123456789abcdef", None),
        ("POST", "/egress/v1/app1/tasks/0123456789abcdef/stop", {"request_id": "x1"}),
    ):
        reply = await client.call(method, path, body)
        assert reply.status == 404, (method, path)
        schemas.ErrorResponse.model_validate(reply.body)
        assert reply.body["error"].startswith("task ") and reply.body["error"].endswith(" not found")
    # ... and the task was not stopped by the other app.
    still = await client.call("GET", f"/egress/v1/app1/tasks/{task_id}")
    assert still.body["state"] == "ENQUEUED"


# --- list and events ----------------------------------------------------------------------------------------------


async def test_list_filters_and_pages_through_every_task(client: ApiClient) -> None:
    ids = [await start(client, upstream_start(f"r{i}", f"ch{i % 3}x{i}")) for i in range(7)]
    snap = upstream_start("snap1", "chs")
    snap["cmd"] = "snapshot"
    snap_id = await start(client, snap)
    await client.call("POST", f"/egress/v1/app1/tasks/{ids[0]}/stop", {"request_id": "s"})
    await start(client, upstream_start("other", "chx"), app_id="app2")

    seen: list[str] = []
    created_at: dict[str, str] = {}
    cursor: str | None = None
    while True:
        query: dict[str, str] = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        reply = await client.call("GET", "/egress/v1/app1/tasks", params=query)
        assert reply.status == 200
        schemas.TaskList.model_validate(reply.body)
        assert len(reply.body["tasks"]) <= 3
        seen += [t["task_id"] for t in reply.body["tasks"]]
        created_at.update({t["task_id"]: t["created_at"] for t in reply.body["tasks"]})
        cursor = reply.body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted([*ids, snap_id]) and len(seen) == len(set(seen))
    created = [created_at[t] for t in seen]
    assert created == sorted(created, reverse=True)  # newest first

    stopped = await client.call("GET", "/egress/v1/app1/tasks", params={"state": "STOPPED"})
    assert [t["task_id"] for t in stopped.body["tasks"]] == [ids[0]]
    snaps = await client.call("GET", "/egress/v1/app1/tasks", params={"cmd": "snapshot"})
    assert [t["task_id"] for t in snaps.body["tasks"]] == [snap_id]
    by_channel = await client.call("GET", "/egress/v1/app1/tasks", params={"channel": "ch1x4"})
    assert [t["task_id"] for t in by_channel.body["tasks"]] == [ids[4]]
    assert all(t["payload"]["access_token"] == "***" for t in stopped.body["tasks"])


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"limit": "0"}, "limit: must be an integer between 1 and 200"),
        ({"limit": "many"}, "limit: must be an integer between 1 and 200"),
        ({"state": "RUNNING"}, "state: must be one of ENQUEUED, PROCESSING, STOPPING, STOPPED, FAILED, TIMEOUT"),
        ({"cmd": "rtmp"}, "cmd: must be one of record, snapshot"),
        ({"cursor": "%%%"}, "cursor: must be a cursor returned by a previous page"),
        ({"sort": "asc"}, "sort: is not a known field"),
    ],
)
async def test_list_rejects_bad_queries(client: ApiClient, query: dict[str, str], error: str) -> None:
    reply = await client.call("GET", "/egress/v1/app1/tasks", params=query)
    assert reply.status == 400
    assert reply.body["error"] == error


async def test_events_history_with_after(client: ApiClient) -> None:
    task_id = await start(client, upstream_start())
    await client.call("POST", f"/egress/v1/app1/tasks/{task_id}/stop", {"request_id": "s1"})
    reply = await client.call("GET", f"/egress/v1/app1/tasks/{task_id}/events")
    assert reply.status == 200
    schemas.EventList.model_validate(reply.body)
    events = reply.body["events"]
    assert [(e["seq"], e["state"], e["data"]["to"]) for e in events] == [
        (1, "ENQUEUED", "ENQUEUED"),
        (2, "STOPPED", "STOPPED"),
    ]
    assert events[0]["event_id"] == f"{task_id}-1" and is_rfc3339(events[0]["ts"])
    assert reply.body["next_after"] == 2
    later = await client.call("GET", f"/egress/v1/app1/tasks/{task_id}/events", params={"after": "1"})
    assert [e["seq"] for e in later.body["events"]] == [2]
    none = await client.call("GET", f"/egress/v1/app1/tasks/{task_id}/events", params={"after": "2"})
    assert none.body == {"task_id": task_id, "events": [], "next_after": 2}
    for after in ("-1", str(10**30)):
        bad = await client.call("GET", f"/egress/v1/app1/tasks/{task_id}/events", params={"after": after})
        assert bad.status == 400 and bad.body["error"] == "after: must be an integer between 0 and 1000000000"


# --- errors -------------------------------------------------------------------------------------------------------


async def test_validation_error_names_the_field_and_echoes_the_request_id(client: ApiClient) -> None:
    body = upstream_start("bad1")
    body["payload"]["video"]["width"] = 1281
    reply = await client.call("POST", "/egress/v1/app1/tasks", body)
    assert reply.status == 400
    schemas.ErrorResponse.model_validate(reply.body)
    assert reply.body["error"] == "payload.video.width: must be an even number between 16 and 3840"
    assert reply.body["request_id"] == "bad1"
    assert reply.body["errors"] == [
        {"field": "payload.video.width", "message": "must be an even number between 16 and 3840"}
    ]


async def test_rtmp_is_rejected_clearly(client: ApiClient) -> None:
    body = upstream_start()
    body["cmd"] = "rtmp"
    reply = await client.call("POST", "/egress/v1/app1/tasks", body)
    assert reply.status == 400 and reply.body["error"] == "cmd: rtmp is not supported (supported: record, snapshot)"


async def test_bad_path_parameters_are_400(client: ApiClient) -> None:
    reply = await client.call("POST", "/egress/v1/app:1/tasks", upstream_start())
    assert reply.status == 400 and reply.body["error"] == "app_id: must be 1-64 characters of a-z, A-Z, 0-9, _, - and ."
    reply = await client.call("POST", "/egress/v1/app1%0A/tasks", upstream_start())
    assert reply.status == 400 and reply.body["error"].startswith("app_id: ")
    reply = await client.call("POST", "/egress/v1/app1/tasks/XYZ/stop", {"request_id": "a"})
    assert reply.status == 400 and reply.body["error"] == "task_id: must be 16 lowercase hex characters"


async def test_stop_and_status_need_a_request_id(client: ApiClient) -> None:
    task_id = await start(client, upstream_start())
    for action in ("stop", "status"):
        reply = await client.call("POST", f"/egress/v1/app1/tasks/{task_id}/{action}", {})
        assert reply.status == 400 and reply.body["error"] == "request_id: is required"
        reply = await client.call("POST", f"/egress/v1/app1/tasks/{task_id}/{action}", {"request_id": "a_b"})
        assert reply.status == 400 and reply.body["error"] == "request_id: must be 1-32 characters of 0-9, a-z, A-Z"
        assert reply.body["request_id"] == "a_b"


async def test_body_too_large_is_413(client: ApiClient) -> None:
    body = upstream_start()
    body["payload"]["web_recorder"] = {"padding": "x" * 70_000}
    reply = await client.call("POST", "/egress/v1/app1/tasks", body)
    assert reply.status == 413 and reply.body["error"] == "body: must be at most 65536 bytes"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit holds while reading
        yield b'{"request_id": "a", "payload": {"x": "'
        for _ in range(70):
            yield b"y" * 1024
        yield b'"}}'

    reply = await client.call(
        "POST", "/egress/v1/app1/tasks", data=chunks(), headers={"Content-Type": "application/json"}
    )
    assert reply.status == 413 and reply.body["error"] == "body: must be at most 65536 bytes"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_wrong_content_type_is_415(client: ApiClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    for path in ("/egress/v1/app1/tasks", "/egress/v1/app1/tasks/0123456789abcdef/stop"):
        reply = await client.call("POST", path, data=b'{"request_id": "a"}', headers=headers)
        assert reply.status == 415 and reply.body["error"] == "content-type: must be application/json"


@pytest.mark.parametrize(
    "raw", [b"{not json", b"", b"[1]", b'"text"', b"\xff\xfe", b'{"a":' * 3000 + b"1" + b"}" * 3000]
)
async def test_body_that_is_not_a_json_object_is_400(client: ApiClient, raw: bytes) -> None:
    reply = await client.call(
        "POST", "/egress/v1/app1/tasks", data=raw, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert reply.status == 400
    assert reply.body["error"].startswith("body is not valid JSON") or reply.body["error"] == "must be a JSON object"


async def test_wrong_method_is_405_and_unknown_route_404_as_json(client: ApiClient) -> None:
    reply = await client.call("GET", "/egress/v1/app1/tasks/0123456789abcdef/stop")
    assert reply.status == 405 and reply.headers["Allow"] == "POST"
    assert reply.body["error"] == "method GET is not allowed on this path (allowed: POST)"
    reply = await client.call("DELETE", "/egress/v1/app1/tasks")
    assert reply.status == 405
    reply = await client.call("GET", "/egress/v2/whatever")
    assert reply.status == 404 and reply.body == {"error": "no route /egress/v2/whatever", "request_id": None}


async def test_requests_are_counted_by_route_method_and_status(client: ApiClient, api: RunningApi) -> None:
    await start(client, upstream_start())
    await client.call("POST", "/egress/v1/app1/tasks", upstream_start("x2"))  # 409
    await client.call("GET", "/nowhere")
    route = "/egress/v1/{app_id}/tasks"
    assert api.metric("rtc_egress_api_requests_total", {"route": route, "method": "POST", "status": "200"}) == 1
    assert api.metric("rtc_egress_api_requests_total", {"route": route, "method": "POST", "status": "409"}) == 1
    assert api.metric("rtc_egress_api_requests_total", {"route": "unmatched", "method": "GET", "status": "404"}) == 1
    assert api.metric("rtc_egress_api_request_duration_seconds_count", {"route": route, "method": "POST"}) == 2


async def test_unexpected_error_is_a_500_json_without_traceback_and_is_logged(redis: aioredis.Redis) -> None:
    app = create_app(store=TaskStore(redis), api=ApiConfig(), region="global")

    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("boom in handler")

    app.router.add_get("/egress/v1/{app_id}/broken", broken)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        with structlog.testing.capture_logs() as logs:
            async with aiohttp.ClientSession() as s, s.get(f"http://127.0.0.1:{port}/egress/v1/a/broken") as resp:
                assert resp.status == 500
                assert await resp.json() == {"error": "internal error", "request_id": None}
        assert any(e["event"] == "unexpected error in the task API" and e.get("exc_info") for e in logs)
    finally:
        await runner.cleanup()


async def test_redis_down_is_503_not_500(own_redis: Any) -> None:
    r = aioredis.Redis.from_url(own_redis.url, decode_responses=True)
    async with running_api(r) as api, aiohttp.ClientSession() as s:
        client = ApiClient(s, api.url)
        own_redis.stop()
        reply = await client.call("POST", "/egress/v1/app1/tasks", upstream_start())
        assert reply.status == 503 and reply.body["error"] == "task store unavailable; retry later"
    await r.aclose()


async def test_component_health_and_stop(redis: aioredis.Redis) -> None:
    async with running_api(redis) as api:
        assert api.component.health().ok
        url = api.url
    assert not api.component.health().ok
    async with aiohttp.ClientSession() as s:
        with pytest.raises(aiohttp.ClientConnectionError):
            await s.get(url + "/openapi.json")
