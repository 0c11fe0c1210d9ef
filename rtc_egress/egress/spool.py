"""Spool reconciliation: every media file in a task's spool directory ends up in the task's file list.

A recorder whose supervisor died finalizes its files but cannot announce them. Whoever looks at the task's
directory next (the instance running a later part on a shared spool, or any instance once the task has ended)
attaches what is there and not yet listed, flagged ``recovered``.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from rtc_egress.egress.file_recovery import recover_file
from rtc_egress.tasks.model import Lease
from rtc_egress.tasks.store import TaskStore

_PART = re.compile(r"_part(\d+)")
_KINDS = {".m3u8": "playlist", ".jpg": "snapshot", ".jpeg": "snapshot"}


def _spool_files(task_dir: Path) -> list[Path]:
    try:
        return sorted(p for p in task_dir.iterdir() if p.is_file() and not p.name.endswith(".tmp"))
    except FileNotFoundError:
        return []


async def reconcile_task_dir(store: TaskStore, lease: Lease, task_id: str, task_dir: Path) -> list[str]:
    """Attach files of ``task_dir`` that the task does not list yet; returns their names."""
    on_disk = await asyncio.to_thread(_spool_files, task_dir)
    if not on_disk:
        return []
    listed = {f.name for f in await store.files(task_id)}
    attached = []
    for path in on_disk:
        if path.name in listed:
            continue
        m = _PART.search(path.stem)
        file = await recover_file(path, path.name, int(m.group(1)) if m else 1, _KINDS.get(path.suffix, "media"))
        if file is not None:
            await store.attach_file(task_id, lease, file)
            attached.append(path.name)
    return attached


def spool_task_ids(spool_dir: Path) -> list[str]:
    try:
        return sorted(p.name for p in spool_dir.iterdir() if p.is_dir())
    except FileNotFoundError:
        return []
