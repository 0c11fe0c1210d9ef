"""Errors the task store reports; the API maps them to HTTP statuses."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every task store error."""


class TaskNotFound(StoreError):
    def __init__(self, task_id: str) -> None:
        super().__init__(f"task {task_id} not found")
        self.task_id = task_id


class ChannelBusy(StoreError):
    """A second active task for the same (app_id, channel, cmd)."""

    def __init__(self, channel: str, cmd: str, task_id: str) -> None:
        super().__init__(f"channel {channel!r} already has an active {cmd} task {task_id}")
        self.channel = channel
        self.cmd = cmd
        self.task_id = task_id


class TransitionRefused(StoreError):
    """A transition asked from a state the state table does not allow, or by a worker that is not the owner."""

    def __init__(self, task_id: str, state: str, wanted: str, why: str = "") -> None:
        detail = f": {why}" if why else ""
        super().__init__(f"task {task_id}: {state} -> {wanted} refused{detail}")
        self.task_id = task_id
        self.state = state
        self.wanted = wanted
        self.why = why
