"""A real small filesystem (tmpfs) for tests of what happens when the disk fills up."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

MIB = 1 << 20


@contextmanager
def small_disk(path: Path, size_mb: int) -> Iterator[Path]:
    """Mounts a ``size_mb`` MiB tmpfs at ``path`` for the block (skips the test where mounting is not allowed)."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"mounting a {size_mb} MiB tmpfs needs root: {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def leave_free(disk: Path, mib: int) -> None:
    """Allocates a filler file so that about ``mib`` MiB stay free (replacing any earlier filler)."""
    filler = disk / "filler"
    filler.unlink(missing_ok=True)
    size = shutil.disk_usage(disk).free - mib * MIB
    if size > 0:
        fd = os.open(filler, os.O_CREAT | os.O_WRONLY)
        try:
            os.posix_fallocate(fd, 0, size)
        finally:
            os.close(fd)
