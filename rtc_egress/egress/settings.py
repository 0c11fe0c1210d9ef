"""What the egress component needs to know, resolved once from the configuration."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

#: Where scripts/setup builds the recorder, relative to the repository root.
_BUILD_OUTPUT = Path(__file__).resolve().parents[2] / "native" / "build" / "rtc-egress-recorder"


def find_recorder_binary(configured: Path | None) -> Path | None:
    """The configured binary, else the build output of this checkout, else ``rtc-egress-recorder`` on PATH."""
    if configured is not None:
        return configured if configured.is_file() else None
    if _BUILD_OUTPUT.is_file():
        return _BUILD_OUTPUT
    found = shutil.which("rtc-egress-recorder")
    return Path(found) if found else None


@dataclass(frozen=True, slots=True)
class EgressSettings:
    recorder_binary: Path
    spool_dir: Path
    region: str
    lease_s: float
    capacity: float
    max_tasks: int
    costs: dict[str, float] = field(default_factory=lambda: {"record": 1.0, "snapshot": 0.25})
    on_shutdown: str = "stop"  # stop | requeue
    stats_timeout_s: float = 20.0
    stop_timeout_s: float = 30.0
    reconcile_interval_s: float = 30.0
    allowed_sources: frozenset[str] = frozenset({"agora", "synthetic", "url"})
    allow_local_inputs: bool = False
    recorder_options: dict[str, object] = field(default_factory=dict)  # hls_segment_s, x264_preset, ...
    agora_app_id: str | None = None
    agora_sdk_dir: Path | None = None
    min_free_disk_bytes: int = 1024 << 20
    critical_free_disk_bytes: int = 256 << 20
    disk_check_interval_s: float = 2.0
