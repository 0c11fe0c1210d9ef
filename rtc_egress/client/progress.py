"""Following a task while it runs: state changes, users joining and leaving, files, elapsed time."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rtc_egress.client.http import TaskApi

TERMINAL = frozenset({"STOPPED", "FAILED", "TIMEOUT"})
PROGRESS_EVERY_S = 5.0


@dataclass
class _Seen:
    after: int = 0
    state: str | None = None
    users: set[str] = field(default_factory=set)
    files: int = 0
    last_progress: float = 0.0


def _elapsed(started_at: str | None) -> str:
    if not started_at:
        return "0:00"
    seconds = max(0, int(time.time() - datetime.fromisoformat(started_at.replace("Z", "+00:00")).timestamp()))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _describe(event: dict[str, Any]) -> str | None:
    data = event.get("data") or {}
    kind = event["type"]
    if kind == "user_joined":
        return f"user {data.get('uid')} joined"
    if kind == "user_left":
        return f"user {data.get('uid')} left"
    if kind == "file_closed":
        return f"file {data.get('name')} ({data.get('bytes')} bytes, part {data.get('part')})"
    if kind == "started":
        return "recorder started"
    return None


def follow(
    api: TaskApi,
    task_id: str,
    *,
    interval: float,
    deadline: float | None,
    as_json: bool,
    echo: Callable[[str], None],
) -> dict[str, Any]:
    """Polls status and events until the task ends or the deadline passes; returns the last status seen."""
    seen = _Seen()
    while True:
        task = api.status(task_id)
        page = api.events(task_id, after=seen.after)
        for event in page["events"]:
            seen.after = event["seq"]
            if event["type"] == "user_joined":
                seen.users.add(str(event["data"].get("uid")))
            elif event["type"] == "user_left":
                seen.users.discard(str(event["data"].get("uid")))
            elif event["type"] == "file_closed":
                seen.files += 1
            text = _describe(event)
            if as_json:
                echo(json.dumps(event))
            elif text:
                echo(f"{time.strftime('%H:%M:%S')} {task_id} {text}")
        if task["state"] != seen.state:
            seen.state = task["state"]
            if as_json:
                echo(json.dumps(task))
            else:
                reason = f" ({task['reason']})" if task.get("reason") else ""
                echo(f"{time.strftime('%H:%M:%S')} {task_id} {seen.state}{reason}")
        if seen.state in TERMINAL:
            return task
        now = time.monotonic()
        if not as_json and task.get("started_at") and now - seen.last_progress >= PROGRESS_EVERY_S:
            seen.last_progress = now
            echo(
                f"{time.strftime('%H:%M:%S')} {task_id} recording {_elapsed(task['started_at'])}, "
                f"{len(seen.users)} user(s), {seen.files} file(s), part {task['part']}"
            )
        if deadline is not None and now >= deadline:
            return task
        time.sleep(interval if deadline is None else max(0.0, min(interval, deadline - now)))
