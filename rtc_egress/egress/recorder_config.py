"""The task config handed to the recorder: the validated payload plus what only the service knows."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rtc_egress.egress.settings import EgressSettings
from rtc_egress.tasks.model import Task

DEFAULT_FILENAME_PATTERN = "{task_id}_{date}_{time}"
_AGORA_APP_ID = re.compile(r"[0-9a-fA-F]{32}")


def recorder_config(task: Task, settings: EgressSettings, output_dir: Path) -> dict[str, Any]:
    """Payload fields pass through, plus what only the service knows.

    The recorder names a resumed part's files with ``_part{n}`` unless the pattern has ``{part}``, so no part
    overwrites an earlier one.
    """
    cfg: dict[str, Any] = dict(task.payload)
    for key, value in settings.recorder_options.items():  # instance defaults; a task's own value wins
        cfg.setdefault(key, value)
    # Stats are the watchdog's heartbeat: several per stats_timeout_s, so one late line never looks like a hang.
    cfg["stats_interval_s"] = min(5.0, max(0.2, settings.stats_timeout_s / 4))
    pattern = str(cfg.get("filename_pattern") or DEFAULT_FILENAME_PATTERN)
    # Only the service decides which SDK library the recorder loads: never a caller's payload.
    agora: dict[str, str] = {}
    if settings.agora_sdk_dir:
        agora["sdk_dir"] = str(settings.agora_sdk_dir)
    # The path's app_id is the Agora app id when it looks like one (32 hex); else the configured AGORA_APP_ID.
    if _AGORA_APP_ID.fullmatch(task.app_id):
        agora["app_id"] = task.app_id
    elif settings.agora_app_id:
        agora["app_id"] = settings.agora_app_id
    cfg.update(
        task_id=task.task_id,
        app_id=task.app_id,
        cmd=task.cmd,
        channel=task.channel,
        part=task.part,
        output_dir=str(output_dir),
        filename_pattern=pattern,
        agora=agora,
    )
    cfg.setdefault("source", {"type": "agora"})
    return cfg
