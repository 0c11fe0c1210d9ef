"""The ``egress`` section of the configuration."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_SOURCES = ("agora", "synthetic", "url")


class EgressConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    recorder_binary: Path | None = Field(
        None, description="rtc-egress-recorder to run; default: native/build of this checkout, else on PATH"
    )
    capacity: float = Field(
        default_factory=lambda: float(os.cpu_count() or 1),
        gt=0,
        description="capacity units of this instance (1 unit ~ one 720p30 composite recording; default: CPU cores)",
    )
    max_tasks: int = Field(8, ge=1, le=256, description="most tasks this instance runs at once")
    costs: dict[str, float] = Field(
        default_factory=lambda: {"record": 1.0, "snapshot": 0.25},
        description="base cost per cmd in capacity units; a record task scales with its pixel rate vs 720p30",
    )
    on_shutdown: Literal["stop", "requeue"] = Field(
        "stop", description="on SIGTERM: end running tasks STOPPED (reason shutdown), or requeue them to resume"
    )
    stats_timeout_s: float = Field(20.0, gt=0, description="a recorder silent for this long is killed (hung)")
    stop_timeout_s: float = Field(
        30.0, gt=0, description="a stopped recorder that has not finished by then is killed (big MP4s take a while)"
    )
    allowed_sources: list[str] = Field(
        default_factory=lambda: list(_SOURCES),
        description="media sources tasks may use; production may allow only agora",
    )
    allow_local_inputs: bool = Field(
        False, description="url-source inputs may be local files (file:// or a path); off: only network inputs"
    )
    hls_segment_s: float = Field(4.0, gt=0, le=60, description="HLS segment duration")
    x264_preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium"] = Field(
        "veryfast", description="libx264 preset (faster = less CPU, bigger files)"
    )
    mp4_max_file_s: float | None = Field(None, gt=0, description="rotate MP4 files at this length (none = never)")
    min_free_disk_mb: int = Field(
        1024, ge=0, description="claim no new task while the spool's filesystem has less free space (MiB)"
    )
    critical_free_disk_mb: int = Field(
        256,
        ge=0,
        description="below this free space (MiB) running recordings are finalized and requeued to resume elsewhere",
    )

    @model_validator(mode="after")
    def _disk_thresholds(self) -> EgressConfig:
        if self.critical_free_disk_mb > self.min_free_disk_mb:
            raise ValueError(
                f"critical_free_disk_mb ({self.critical_free_disk_mb}) must not exceed min_free_disk_mb "
                f"({self.min_free_disk_mb})"
            )
        return self

    @field_validator("allowed_sources")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        bad = [s for s in v if s not in _SOURCES]
        if bad:
            raise ValueError(f"unknown source(s) {', '.join(bad)}; known: {', '.join(_SOURCES)}")
        return v

    @field_validator("costs")
    @classmethod
    def _positive(cls, v: dict[str, float]) -> dict[str, float]:
        for cmd, cost in v.items():
            if cost <= 0:
                raise ValueError(f"cost of {cmd!r} must be > 0")
        return v
