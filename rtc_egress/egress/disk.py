"""Free space of the spool's filesystem, and what it allows.

Recordings are written to the spool until uploaded; a full disk would fail every one of them at once. Below
``min_free`` the instance claims nothing new (the work stays queued for instances with room); below
``critical_free`` its running recordings are finalized and handed back to the queue, to continue as a new part
elsewhere, while there is still room to finish their files.
"""

from __future__ import annotations

import shutil
from enum import StrEnum
from pathlib import Path


class DiskState(StrEnum):
    OK = "ok"
    LOW = "low"  # no new claims
    CRITICAL = "critical"  # running recordings hand over


def free_bytes(path: Path) -> int:
    return shutil.disk_usage(path).free


def disk_state(free: int, min_free: int, critical_free: int) -> DiskState:
    if free < critical_free:
        return DiskState.CRITICAL
    if free < min_free:
        return DiskState.LOW
    return DiskState.OK
