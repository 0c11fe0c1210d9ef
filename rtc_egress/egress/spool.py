"""Spool reconciliation: every media file in a task's spool directory ends up in the task's file list.

A recorder that crashed leaves the file it was writing (a fragmented MP4 plays up to its last fragment); a
recorder whose supervisor died finalizes its files but cannot announce them. Whoever looks at the task's
directory next (the supervisor when its recorder ended, the instance running a later part on a shared spool, or
any instance once the task has ended) attaches what is there and not yet listed, flagged ``recovered``.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rtc_egress.tasks.model import Lease, TaskFile
from rtc_egress.tasks.store import TaskStore

_PART = re.compile(r"_part(\d+)")
_KINDS = {".m3u8": "playlist", ".jpg": "snapshot", ".jpeg": "snapshot"}


def _spool_files(task_dir: Path) -> list[Path]:
    try:
        return sorted(p for p in task_dir.iterdir() if p.is_file() and not p.name.endswith(".tmp"))
    except FileNotFoundError:
        return []


def _size_and_sha256(path: Path) -> tuple[int, str] | None:
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
    except FileNotFoundError:
        return None
    return size, digest.hexdigest()


async def reconcile_task_dir(
    store: TaskStore,
    lease: Lease,
    task_id: str,
    task_dir: Path,
    opened: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[str]:
    """Attach files of ``task_dir`` that the task does not list yet; returns their names.

    ``opened``: the recorder's ``file_opened`` events by file name, which say a file's part and kind; without
    one, the part comes from a ``_part{n}`` in the name (else 1) and the kind from the extension.
    """
    on_disk = await asyncio.to_thread(_spool_files, task_dir)
    if not on_disk:
        return []
    listed = {f.name for f in await store.files(task_id)}
    attached = []
    for path in on_disk:
        if path.name in listed:
            continue
        found = await asyncio.to_thread(_size_and_sha256, path)
        if found is None or found[0] == 0:
            continue
        hint = (opened or {}).get(path.name, {})
        named_part = _PART.search(path.stem)
        file = TaskFile(
            name=path.name,
            path=str(path),
            bytes=found[0],
            sha256=found[1],
            part=int(hint.get("part") or (named_part.group(1) if named_part else 1)),
            kind=str(hint.get("kind") or _KINDS.get(path.suffix, "media")),
            extra={"recovered": True},
        )
        await store.attach_file(task_id, lease, file)
        attached.append(path.name)
    return attached


def spool_task_ids(spool_dir: Path) -> list[str]:
    try:
        return sorted(p.name for p in spool_dir.iterdir() if p.is_dir())
    except FileNotFoundError:
        return []
