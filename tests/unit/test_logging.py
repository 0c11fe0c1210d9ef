"""Log output: JSON lines, task fields on every task line, and no secret ever written."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from rtc_egress.runtime.logging import (
    REDACTOR,
    Redactor,
    bind_task,
    configure_logging,
    get_logger,
    task_log_context,
)
from rtc_egress.tasks.model import Task, TaskKind, TaskState

TOKEN = "007eJxTYBBa2bSgPvRBy6Rx"
REDIS_PASSWORD = "r3dis-Pa55w0rd"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    out = io.StringIO()
    configure_logging("info", "json", secrets=[REDIS_PASSWORD], stream=out)
    yield out
    structlog.reset_defaults()
    root = logging.getLogger()
    for h in root.handlers[:]:
        if getattr(h, "stream", None) is out:
            root.removeHandler(h)
    REDACTOR.discard_values([REDIS_PASSWORD])


def lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def a_task() -> Task:
    return Task(
        task_id="0123456789abcdef",
        app_id="app1",
        request_id="req1",
        cmd="record",
        kind=TaskKind.NATIVE,
        region="global",
        channel="room-7",
        state=TaskState.ENQUEUED,
        payload={"channel": "room-7", "access_token": TOKEN, "workerUid": 42},
        created_at=0,
        updated_at=0,
    )


def test_task_payload_and_redis_url_secrets_never_reach_the_output(stream: io.StringIO) -> None:
    task = a_task()
    log = bind_task(get_logger("test"), task)
    log.info(
        "task accepted",
        payload=task.payload,
        request={"body": {"payload": {"users": [{"uid": "1", "accessToken": TOKEN}]}}},
        redis=f"redis://default:{REDIS_PASSWORD}@cache:6379/0",
    )
    log.warning(f"connecting to redis://:{REDIS_PASSWORD}@cache:6379 failed")
    text = stream.getvalue()
    assert TOKEN not in text
    assert REDIS_PASSWORD not in text
    first, second = lines(stream)
    assert first["payload"] == {"channel": "room-7", "access_token": "***", "workerUid": 42}
    assert first["request"]["body"]["payload"]["users"][0]["accessToken"] == "***"
    assert first["redis"] == "redis://default:***@cache:6379/0"
    assert second["event"] == "connecting to redis://:***@cache:6379 failed"


def test_every_task_line_carries_task_id_app_id_channel(stream: io.StringIO) -> None:
    log = get_logger("test")
    bind_task(log, a_task()).info("claimed")
    with task_log_context(task_id="fedcba9876543210", app_id="app2", channel="room-9"):
        log.info("recorder started")
    log.info("not about a task")
    claimed, started, other = lines(stream)
    assert {k: claimed[k] for k in ("task_id", "app_id", "channel")} == {
        "task_id": "0123456789abcdef",
        "app_id": "app1",
        "channel": "room-7",
    }
    assert (started["task_id"], started["app_id"], started["channel"]) == ("fedcba9876543210", "app2", "room-9")
    assert "task_id" not in other


def test_stdlib_loggers_are_json_and_redacted(stream: io.StringIO) -> None:
    logging.getLogger("aiohttp.access").info(
        '127.0.0.1 "GET /egress/v1/app1/tasks?access_token=%s HTTP/1.1" 200', TOKEN, extra={"remote": "127.0.0.1"}
    )
    [line] = lines(stream)
    assert line["logger"] == "aiohttp.access"
    assert line["level"] == "info"
    assert line["remote"] == "127.0.0.1"
    assert "access_token=***" in line["event"]
    assert TOKEN not in stream.getvalue()


def test_tracebacks_are_redacted(stream: io.StringIO) -> None:
    try:
        raise ConnectionError(f"AUTH failed for password {REDIS_PASSWORD}")
    except ConnectionError:
        get_logger("test").exception("redis failed")
    [line] = lines(stream)
    assert "ConnectionError: AUTH failed for password ***" in line["exception"]
    assert REDIS_PASSWORD not in stream.getvalue()


def test_level_filters_lines(stream: io.StringIO) -> None:
    log = get_logger("test")
    log.debug("hidden")
    logging.getLogger("other").debug("hidden too")
    log.info("shown")
    assert [line["event"] for line in lines(stream)] == ["shown"]


def test_console_format_is_readable_and_redacted() -> None:
    out = io.StringIO()
    try:
        configure_logging("info", "console", stream=out)
        get_logger("test").info("started", payload={"access_token": TOKEN})
    finally:
        structlog.reset_defaults()
        for h in logging.getLogger().handlers[:]:
            if getattr(h, "stream", None) is out:
                logging.getLogger().removeHandler(h)
    text = out.getvalue()
    assert "started" in text and "***" in text and TOKEN not in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"password": "x"}, {"password": "***"}),
        ({"Authorization": "Bearer abc"}, {"Authorization": "***"}),
        ({"headers": {"X-Api-Key": "k"}}, {"headers": {"X-Api-Key": "***"}}),
        ({"s3": {"secret_key": "s", "access_key": "a", "bucket": "b"}},
         {"s3": {"secret_key": "***", "access_key": "***", "bucket": "b"}}),
        ({"webhook_auth_token": "t", "auth_tokens": ["a", "b"]}, {"webhook_auth_token": "***", "auth_tokens": "***"}),
        ({"a": [[{"b": ({"token": "t"},)}]]}, {"a": [[{"b": [{"token": "***"}]}]]}),
        ({"access_token": None, "token_count": 3}, {"access_token": None, "token_count": 3}),
        ("curl -H 'Authorization: Bearer eyJhbGci.x.y'", "curl -H 'Authorization: Bearer ***'"),
        ("GET /x?app=1&access_token=abc123&b=2", "GET /x?app=1&access_token=***&b=2"),
        ('recorder config {"channel": "c", "access_token": "007eJx"}',
         'recorder config {"channel": "c", "access_token": "***"}'),
        ("postgres://u:p4ss@db/x and rediss://:pw@r:6380", "postgres://u:***@db/x and rediss://:***@r:6380"),
    ],
)  # fmt: skip
def test_redactor(value: object, expected: object) -> None:
    assert Redactor().redact(value) == expected


def test_registered_values_are_masked_inside_text_and_can_be_forgotten() -> None:
    r = Redactor()
    r.add_values(["per-task-token-1", "abc"])  # too short to search for inside text
    assert r.redact_text("stderr: joining with per-task-token-1 as abc") == "stderr: joining with *** as abc"
    r.discard_values(["per-task-token-1"])
    assert r.redact_text("per-task-token-1") == "per-task-token-1"
