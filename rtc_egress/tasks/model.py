"""The task model shared by the API, the workers and the sweeper.

A task record lives in one Redis hash (see ``keys.py``); ``Task`` is its typed, read-only view.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any


class TaskState(StrEnum):
    ENQUEUED = "ENQUEUED"
    PROCESSING = "PROCESSING"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"
    FAILED = "FAILED"
    TIMEOUT = "TIMEOUT"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset({TaskState.STOPPED, TaskState.FAILED, TaskState.TIMEOUT})
ACTIVE_STATES = frozenset(set(TaskState) - TERMINAL_STATES)


class TaskKind(StrEnum):
    """Which component runs a task: the native recorder (``egress``) or a browser (``flexible-recorder``)."""

    NATIVE = "native"
    WEB = "web"


class TaskCmd(StrEnum):
    RECORD = "record"
    SNAPSHOT = "snapshot"


#: Payload keys whose values are secrets: stored for the worker, never returned, logged or sent in webhooks.
SECRET_PAYLOAD_KEYS = frozenset({"access_token"})
REDACTED = "***"


def redact_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``payload`` with every secret value replaced by ``***``."""
    return {k: (REDACTED if k in SECRET_PAYLOAD_KEYS and v else v) for k, v in payload.items()}


@dataclass(frozen=True, slots=True)
class Task:
    """One recording job. Times are Unix epoch milliseconds from the Redis server's clock."""

    task_id: str
    app_id: str
    request_id: str
    cmd: str
    kind: TaskKind
    region: str
    channel: str
    state: TaskState
    payload: dict[str, Any]
    created_at: int
    updated_at: int
    enqueued_at: int | None = None
    claimed_at: int | None = None
    started_at: int | None = None
    finished_at: int | None = None
    owner: str | None = None
    lease_until: int | None = None
    attempts: int = 0
    max_attempts: int = 3
    part: int = 0
    reason: str = ""
    message: str = ""
    seq: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def terminal(self) -> bool:
        return self.state.terminal

    @classmethod
    def from_hash(cls, h: dict[str, str]) -> Task:
        """Build from the Redis hash (all values are strings)."""

        def opt_int(name: str) -> int | None:
            v = h.get(name)
            return int(v) if v not in (None, "") else None

        return cls(
            task_id=h["task_id"],
            app_id=h["app_id"],
            request_id=h["request_id"],
            cmd=h["cmd"],
            kind=TaskKind(h["kind"]),
            region=h["region"],
            channel=h["channel"],
            state=TaskState(h["state"]),
            payload=json.loads(h.get("payload") or "{}"),
            created_at=int(h["created_at"]),
            updated_at=int(h.get("updated_at") or h["created_at"]),
            enqueued_at=opt_int("enqueued_at"),
            claimed_at=opt_int("claimed_at"),
            started_at=opt_int("started_at"),
            finished_at=opt_int("finished_at"),
            owner=h.get("owner") or None,
            lease_until=opt_int("lease_until"),
            attempts=int(h.get("attempts") or 0),
            max_attempts=int(h.get("max_attempts") or 3),
            part=int(h.get("part") or 0),
            reason=h.get("reason", ""),
            message=h.get("message", ""),
            seq=int(h.get("seq") or 0),
            extra={k: v for k, v in h.items() if k not in _TASK_HASH_FIELDS},
        )


@dataclass(frozen=True, slots=True)
class Lease:
    """What a worker holds after a claim: its owner id and the part it runs.

    The part is a fencing token: after the lease expired and the task was claimed again (even by the same
    instance), the old part's renewals, events and endings are refused.
    """

    owner: str
    part: int

    @classmethod
    def of(cls, task: Task) -> Lease:
        assert task.owner is not None, "only a claimed task has a lease"
        return cls(task.owner, task.part)


#: Hash fields that have their own attribute on Task; any other field goes to ``Task.extra``.
_TASK_HASH_FIELDS = frozenset(f.name for f in fields(Task)) - {"extra"}


@dataclass(frozen=True, slots=True)
class TaskEvent:
    """One entry of the event stream (and of the task's own history).

    ``event_id`` is ``{task_id}-{seq}``: unique, stable across redeliveries, usable as an idempotency key.
    """

    event_id: str
    task_id: str
    app_id: str
    seq: int
    type: str
    state: TaskState
    ts: int
    data: dict[str, Any]
    channel: str = ""
    cmd: str = ""
    request_id: str = ""

    @classmethod
    def from_fields(cls, f: dict[str, Any]) -> TaskEvent:
        """From a stream entry's fields or a history entry (same keys; ``data`` is a JSON string)."""
        return cls(
            event_id=f["event_id"],
            task_id=f["task_id"],
            app_id=f["app_id"],
            seq=int(f["seq"]),
            type=f["type"],
            state=TaskState(f["state"]),
            ts=int(f["ts"]),
            data=json.loads(f.get("data") or "{}"),
            channel=f.get("channel") or "",
            cmd=f.get("cmd") or "",
            request_id=f.get("request_id") or "",
        )


@dataclass(frozen=True, slots=True)
class TaskFile:
    """A file a recorder closed for a task (as announced in ``file_closed``)."""

    name: str
    path: str
    bytes: int
    part: int
    duration_s: float | None = None
    sha256: str | None = None
    kind: str = "media"  # media | playlist | snapshot
    upload_state: str = "pending"  # pending | uploaded | failed
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TaskFile:
        names = {f.name for f in fields(cls)}
        known = {k: v for k, v in d.items() if k in names and k != "extra"}
        extra = dict(d.get("extra") or {}) | {k: v for k, v in d.items() if k not in names}
        return cls(**known, extra=extra)
