"""Files a recorder opened but never announced closed (it crashed or was killed): attach what is on disk.

A fragmented MP4 is playable up to its last fragment and an HLS segment is complete once the next one opens,
so what a crashed recorder left is kept and listed, flagged ``recovered``.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from rtc_egress.tasks.model import TaskFile


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


async def recover_file(path: Path, name: str, part: int, kind: str) -> TaskFile | None:
    """A TaskFile for what is on disk at ``path``, or None if nothing (or nothing but an empty file) is there."""
    found = await asyncio.to_thread(_size_and_sha256, path)
    if found is None or found[0] == 0:
        return None
    size, sha = found
    return TaskFile(name=name, path=str(path), bytes=size, part=part, sha256=sha, kind=kind, extra={"recovered": True})
