"""Response bodies: pydantic models for the OpenAPI document, and the functions that build them as plain dicts.

Handlers build dicts directly (cheap on the hot path); the integration tests validate every response against
these models, so the document and the wire format cannot drift apart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rtc_egress.runtime.logging import REDACTOR
from rtc_egress.tasks.model import Task, TaskEvent, TaskFile, TaskKind, TaskState


class _Response(BaseModel):
    # Undeclared keys fail validation, so the tests that validate responses catch a drift from this document.
    model_config = ConfigDict(extra="forbid")


class StartResponse(_Response):
    request_id: str
    task_id: str = Field(description="16 lowercase hex characters")
    status: Literal["enqueued"]


class StopResponse(_Response):
    request_id: str
    task_id: str
    status: Literal["enqueued", "completed"] = Field(
        description="enqueued: the stop was accepted; completed: the task had already ended"
    )
    message: str
    state: TaskState = Field(description="the task's state after this call")


class FileView(_Response):
    name: str
    path: str = Field(description="where the file is on the recording instance (spool) until it is uploaded")
    bytes: int
    part: int
    duration_s: float | None = None
    sha256: str | None = None
    kind: str = Field(description="media, playlist or snapshot")
    upload_state: str = Field(description="pending, uploaded or failed")
    extra: dict[str, Any] = Field(default_factory=dict)


class TaskSummary(_Response):
    request_id: str = Field(description="the request id of the start (status by POST: the id of that request)")
    task_id: str
    app_id: str
    state: TaskState
    action: Literal["start"] = "start"
    cmd: str
    kind: TaskKind
    channel: str
    region: str
    created_at: str = Field(description="RFC 3339")
    updated_at: str = Field(description="RFC 3339")
    started_at: str | None = Field(description="RFC 3339; when the first recording part started")
    finished_at: str | None = Field(description="RFC 3339; when the task reached a terminal state")
    message: str
    reason: str = Field(description="why the task is in its state (e.g. stopped before start, max_duration)")
    worker_id: int = Field(description="upstream field: -1 until a worker claims the task, then 0 (see owner)")
    owner: str | None = Field(description="instance id of the worker running the task")
    attempts: int = Field(description="runs lost to a crashed worker so far")
    max_attempts: int
    part: int = Field(description="recording part; a task resumed after a crash continues as a new part")
    payload: dict[str, Any] = Field(description="the normalized payload, secrets redacted")


class TaskView(TaskSummary):
    files: list[FileView] = Field(description="files the task produced")


class TaskList(_Response):
    tasks: list[TaskSummary]
    next_cursor: str | None = Field(description="pass as cursor for the next page; null on the last page")


class EventView(_Response):
    event_id: str = Field(description="{task_id}-{seq}; stable, usable as an idempotency key")
    seq: int
    type: str
    state: TaskState
    ts: str = Field(description="RFC 3339")
    data: dict[str, Any]


class EventList(_Response):
    task_id: str
    events: list[EventView]
    next_after: int = Field(description="pass as after to read the events that follow")


class FieldErrorView(_Response):
    field: str
    message: str


class ErrorResponse(_Response):
    error: str = Field(description="what is wrong, naming the field and the rule")
    request_id: str | None
    errors: list[FieldErrorView] | None = Field(None, description="validation errors, one per field")
    task_id: str | None = Field(None, description="409: the task already active on the channel")


def rfc3339(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def task_summary(task: Task, request_id: str | None = None) -> dict[str, Any]:
    return {
        "request_id": request_id or task.request_id,
        "task_id": task.task_id,
        "app_id": task.app_id,
        "state": task.state.value,
        "action": "start",
        "cmd": task.cmd,
        "kind": task.kind.value,
        "channel": task.channel,
        "region": task.region,
        "created_at": rfc3339(task.created_at),
        "updated_at": rfc3339(task.updated_at),
        "started_at": rfc3339(task.started_at),
        "finished_at": rfc3339(task.finished_at),
        "message": task.message,
        "reason": task.reason,
        "worker_id": -1 if task.owner is None else 0,
        "owner": task.owner,
        "attempts": task.attempts,
        "max_attempts": task.max_attempts,
        "part": task.part,
        "payload": REDACTOR.redact(task.payload),
    }


def file_view(f: TaskFile) -> dict[str, Any]:
    return {
        "name": f.name,
        "path": f.path,
        "bytes": f.bytes,
        "part": f.part,
        "duration_s": f.duration_s,
        "sha256": f.sha256,
        "kind": f.kind,
        "upload_state": f.upload_state,
        "extra": REDACTOR.redact(f.extra),
    }


def task_view(task: Task, files: list[TaskFile], request_id: str | None = None) -> dict[str, Any]:
    out = task_summary(task, request_id)
    out["files"] = [file_view(f) for f in files]
    return out


def event_view(e: TaskEvent) -> dict[str, Any]:
    return {
        "event_id": e.event_id,
        "seq": e.seq,
        "type": e.type,
        "state": e.state.value,
        "ts": rfc3339(e.ts),
        "data": REDACTOR.redact(e.data),
    }
