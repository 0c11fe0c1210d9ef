"""``rtc-egress task ...`` against a live API server on a real port, backed by a real Redis."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from click.testing import CliRunner, Result

from rtc_egress.client.cli import task_group
from rtc_egress.tasks.model import Lease, TaskKind
from rtc_egress.tasks.store import worker_queues
from tests.support.api_server import RunningApi, running_api
from tests.support.redis_server import free_port

TOKEN = "cli-secret-token-0123456789"
API_TOKEN = "api-bearer-token-0123456789"
NATIVE_RECORD = worker_queues("global", [TaskKind.NATIVE], ["record"])
STATUS_OK = {"route": "/egress/v1/{app_id}/tasks/{task_id}/status", "method": "POST", "status": "200"}

Invoke = Callable[..., Awaitable[Result]]


@pytest.fixture
async def api(redis: aioredis.Redis) -> AsyncIterator[RunningApi]:
    async with running_api(redis, api={"auth_tokens": [API_TOKEN]}, tasks={"task_timeout_s": 0.3}) as running:
        yield running


@pytest.fixture
def invoke(api: RunningApi) -> Invoke:
    """Runs the click command in a thread (it blocks on HTTP) while the server keeps serving on this loop."""

    async def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        base = {"RTC_EGRESS_URL": api.url, "RTC_EGRESS_APP_ID": "app1", "RTC_EGRESS_API_TOKEN": API_TOKEN}
        runner = CliRunner(env={**base, **(env or {})})
        result = await asyncio.to_thread(runner.invoke, task_group, list(args), input=input, catch_exceptions=False)
        assert TOKEN not in result.output
        return result

    return run


def task_id_of(result: Result) -> str:
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if x.startswith("task_id"))
    return line.split()[1]


async def test_start_with_flags_then_status_list_stop(invoke: Invoke, api: RunningApi) -> None:
    started = await invoke("start", "--channel", "room1", "--source", "synthetic:4", "--layout", "grid",
                           "--format", "hls", "--set", "video.width=1280", "--set", "video.height=720")  # fmt: skip
    task_id = task_id_of(started)
    assert "enqueued" in started.stdout
    task = await api.store.get(task_id)
    assert task is not None
    assert task.payload["source"] == {"type": "synthetic", "users": 4}
    assert task.payload["video"] == {"width": 1280, "height": 720} and task.payload["layout"] == "grid"

    status = await invoke("status", task_id)
    assert status.exit_code == 0
    assert "state        ENQUEUED" in status.stdout and "room1" in status.stdout and "record (native)" in status.stdout

    listed = await invoke("list")
    assert listed.exit_code == 0
    header, row = listed.stdout.splitlines()[:2]
    assert header.split() == ["TASK_ID", "STATE", "CMD", "KIND", "CHANNEL", "CREATED_AT", "REASON"]
    assert row.split()[:5] == [task_id, "ENQUEUED", "record", "native", "room1"]

    stopped = await invoke("stop", task_id)
    assert stopped.exit_code == 0
    assert "STOPPED" in stopped.stdout and f"Task {task_id} stopped before it started" in stopped.stdout


async def test_json_output(invoke: Invoke) -> None:
    started = await invoke("start", "--json", "--channel", "room2", "--source", "synthetic", "--request-id", "abc123")
    body = json.loads(started.stdout)
    assert body["request_id"] == "abc123" and body["status"] == "enqueued"
    status = json.loads((await invoke("status", body["task_id"], "--json")).stdout)
    assert status["task_id"] == body["task_id"] and status["state"] == "ENQUEUED"
    listed = json.loads((await invoke("list", "--json", "--state", "ENQUEUED")).stdout)
    assert [t["task_id"] for t in listed["tasks"]] == [body["task_id"]]
    events = json.loads((await invoke("events", body["task_id"], "--json")).stdout)
    assert [e["type"] for e in events["events"]] == ["state_changed"]
    stop = json.loads((await invoke("stop", body["task_id"], "--json")).stdout)
    assert stop["state"] == "STOPPED"


async def test_start_from_a_file_and_from_stdin(invoke: Invoke, api: RunningApi, tmp_path: Path) -> None:
    upstream = {
        "request_id": "file1",
        "cmd": "record",
        "payload": {
            "layout": "flat", "channel": "egress_test", "access_token": TOKEN, "workerUid": 42,
            "users": ["803231", "322353"], "filename_pattern": "file_output", "format": "hls",
            "video": {"width": 1280, "height": 720, "frameRate": 30, "bitrate": 1000},
            "audio": {"sampleRate": 48000, "channels": 2, "bitrate": 128},
        },
    }  # fmt: skip
    path = tmp_path / "start.json"
    path.write_text(json.dumps(upstream))
    from_file = task_id_of(await invoke("start", str(path)))
    task = await api.store.get(from_file)
    assert task is not None and task.request_id == "file1" and task.payload["users"] == ["803231", "322353"]

    payload_only = {"channel": "other", "source": {"type": "synthetic", "users": 1}}
    from_stdin = task_id_of(await invoke("start", "-", "--cmd", "snapshot", "--interval-ms", "2000",
                                         input=json.dumps(payload_only)))  # fmt: skip
    task = await api.store.get(from_stdin)
    assert task is not None and task.cmd == "snapshot" and task.payload["interval_in_ms"] == 2000


async def test_list_all_pages(invoke: Invoke) -> None:
    ids = {task_id_of(await invoke("start", "--channel", f"c{i}", "--source", "synthetic")) for i in range(3)}
    one_page = json.loads((await invoke("list", "--json", "--limit", "1")).stdout)
    assert len(one_page["tasks"]) == 1 and one_page["next_cursor"]
    every = json.loads((await invoke("list", "--json", "--limit", "1", "--all")).stdout)
    assert {t["task_id"] for t in every["tasks"]} == ids and every["next_cursor"] is None


async def test_wait_exits_0_when_stopped(invoke: Invoke) -> None:
    task_id = task_id_of(await invoke("start", "--channel", "w0", "--source", "synthetic"))
    await invoke("stop", task_id)
    waited = await invoke("wait", task_id, "--interval", "0.05")
    assert waited.exit_code == 0
    assert waited.stdout.strip().endswith(f"{task_id} STOPPED (stopped before start)")


async def test_wait_follows_state_changes_and_exits_1_on_failed(invoke: Invoke, api: RunningApi) -> None:
    task_id = task_id_of(await invoke("start", "--channel", "w1", "--source", "synthetic"))
    assert await api.store.claim("worker-1", NATIVE_RECORD, lease_s=30) is not None
    before = api.metric("rtc_egress_api_requests_total", STATUS_OK)
    waiting = asyncio.create_task(invoke("wait", task_id, "--interval", "0.05", "--json"))
    # Fail the task only once wait has seen it running.
    while api.metric("rtc_egress_api_requests_total", STATUS_OK) == before:
        await asyncio.sleep(0.01)
    await api.store.fail(task_id, Lease("worker-1", 1), "recorder crashed")
    result = await asyncio.wait_for(waiting, 10)
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [x["state"] for x in lines if "event_id" not in x] == ["PROCESSING", "FAILED"]  # status on each change
    changes = [(x["data"]["from"], x["data"]["to"]) for x in lines if x.get("type") == "state_changed"]
    assert changes == [("", "ENQUEUED"), ("ENQUEUED", "PROCESSING"), ("PROCESSING", "FAILED")]  # and every event


async def test_wait_exits_1_on_timeout_state(invoke: Invoke, api: RunningApi) -> None:
    task_id = task_id_of(await invoke("start", "--channel", "w2", "--source", "synthetic"))
    before = api.metric("rtc_egress_api_requests_total", STATUS_OK)
    waiting = asyncio.create_task(invoke("wait", task_id, "--interval", "0.05"))
    while api.metric("rtc_egress_api_requests_total", STATUS_OK) == before:  # wait has seen it ENQUEUED
        await asyncio.sleep(0.01)
    while (await api.store.sweep()).timed_out == 0:  # the sweeper's job: the task is unclaimed past 0.3 s
        await asyncio.sleep(0.05)
    result = await asyncio.wait_for(waiting, 10)
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert f"{task_id} ENQUEUED" in lines[0] and f"{task_id} TIMEOUT" in lines[-1]


async def test_wait_gives_up_after_its_timeout(invoke: Invoke) -> None:
    task_id = task_id_of(await invoke("start", "--channel", "w3", "--source", "synthetic"))
    result = await invoke("wait", task_id, "--interval", "0.05", "--timeout", "0.2")
    assert result.exit_code == 2
    assert f"task {task_id} is still ENQUEUED after 0.2s" in result.stderr


async def test_api_errors_are_clear_and_exit_2(invoke: Invoke) -> None:
    missing = await invoke("status", "0123456789abcdef")
    assert missing.exit_code == 2
    assert missing.stderr.strip() == "Error: HTTP 404: task 0123456789abcdef not found"
    invalid = await invoke("start", "--channel", "c", "--source", "synthetic", "--set", "video.width=641")
    assert invalid.exit_code == 2
    assert "HTTP 400: payload.video.width: must be an even number between 16 and 3840" in invalid.stderr
    unauthorized = await invoke("list", env={"RTC_EGRESS_API_TOKEN": "wrong-token-value"})
    assert unauthorized.exit_code == 2
    assert "HTTP 401: authorization: the bearer token is not valid for this app_id" in unauthorized.stderr
    bad_source = await invoke("start", "--channel", "c", "--source", "webrtc")
    assert bad_source.exit_code == 2 and "--source" in bad_source.stderr
    bad_file = await invoke("start", "/nonexistent/start.json")
    assert bad_file.exit_code == 2 and "cannot read /nonexistent/start.json" in bad_file.stderr


async def test_connection_refused_is_a_clear_message_from_the_real_command() -> None:
    """The installed entry point, as a user runs it: no traceback, exit 2."""
    url = f"http://127.0.0.1:{free_port()}"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "rtc_egress", "task", "status", "0123456789abcdef",
        env={"RTC_EGRESS_URL": url, "RTC_EGRESS_APP_ID": "app1", "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode == 2
    assert (
        err.decode().strip() == f"Error: cannot connect to {url}: connection refused (is `rtc-egress serve` running?)"
    )
    assert b"Traceback" not in out + err


async def test_app_id_is_required(api: RunningApi) -> None:
    runner = CliRunner(env={"RTC_EGRESS_URL": api.url})
    result = await asyncio.to_thread(runner.invoke, task_group, ["list"])
    assert result.exit_code == 2 and "--app-id" in result.stderr
