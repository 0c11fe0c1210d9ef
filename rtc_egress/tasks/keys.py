"""Redis key names. Every key rtc-egress writes is built here, under one prefix."""

from __future__ import annotations

PREFIX = "egress"

#: The event stream every state and file change is appended to (read by the webhook notifier).
EVENTS = f"{PREFIX}:events"
#: Sorted set task_id -> lease expiry (ms): the sweeper's view of running tasks.
LEASES = f"{PREFIX}:leases"
#: Sorted set task_id -> time (ms) at which an ENQUEUED task times out.
ENQUEUED_DEADLINES = f"{PREFIX}:enqueued"
#: Set of every queue key ever used (so metrics and the sweeper can find them without SCAN).
QUEUES = f"{PREFIX}:queues"
#: Stream of closed files for the uploader (consumer group), appended in the same step that attaches the file.
UPLOADS = f"{PREFIX}:uploads"
#: Pub/sub channel a new or re-queued task is announced on, so idle workers claim at once.
NOTIFY = f"{PREFIX}:notify"


def task(task_id: str) -> str:
    return f"{PREFIX}:task:{task_id}"


def task_events(task_id: str) -> str:
    """The task's own event history (a list of JSON events, kept as long as the task)."""
    return f"{PREFIX}:task:{task_id}:events"


def task_files(task_id: str) -> str:
    """Hash file name -> JSON description of a file the task produced."""
    return f"{PREFIX}:task:{task_id}:files"


def request(app_id: str, request_id: str) -> str:
    """Idempotency key: (app_id, request_id) -> task_id."""
    return f"{PREFIX}:req:{app_id}:{request_id}"


def active(app_id: str, channel: str, cmd: str) -> str:
    """At most one active task per (app_id, channel, cmd): -> task_id."""
    return f"{PREFIX}:active:{app_id}:{channel}:{cmd}"


def app_tasks(app_id: str) -> str:
    """Sorted set of an app's task ids by creation time (for listing)."""
    return f"{PREFIX}:app:{app_id}:tasks"


def queue(region: str, kind: str, cmd: str) -> str:
    """The fixed-name queue of one (region, kind, cmd), e.g. ``egress:queue:global:native:record``."""
    return f"{PREFIX}:queue:{region}:{kind}:{cmd}"


def control(owner: str) -> str:
    """Stream of control messages (stop) for the tasks one owner instance runs."""
    return f"{PREFIX}:control:{owner}"


def instance(owner: str) -> str:
    """Heartbeat of a live instance (expires when it dies)."""
    return f"{PREFIX}:instance:{owner}"


def claim(owner: str, claim_id: str) -> str:
    """What one claim call leased (``task_id:part``), kept for a lease period so a retried call (its reply was
    lost) gets the same task back instead of leasing a second one."""
    return f"{PREFIX}:claim:{owner}:{claim_id}"
