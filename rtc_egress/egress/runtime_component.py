"""The egress worker as a runtime component (configuration in, EgressWorker out)."""

from __future__ import annotations

from typing import ClassVar

from rtc_egress.egress.component import EgressWorker
from rtc_egress.egress.metrics import EgressMetrics
from rtc_egress.egress.settings import EgressSettings, find_recorder_binary
from rtc_egress.runtime.component import ComponentHealth, ComponentStartError, RuntimeContext


class RecorderMissing(ComponentStartError):
    pass


class EgressComponent:
    name: ClassVar[str] = "egress"

    def __init__(self, ctx: RuntimeContext) -> None:
        cfg = ctx.config
        eg = cfg.egress
        binary = find_recorder_binary(eg.recorder_binary)
        if binary is None:
            where = eg.recorder_binary or "native/build/rtc-egress-recorder or PATH"
            raise RecorderMissing(
                f"egress.recorder_binary: rtc-egress-recorder not found at {where}; run scripts/setup to build it"
            )
        options: dict[str, object] = {"hls_segment_s": eg.hls_segment_s, "x264_preset": eg.x264_preset}
        if eg.mp4_max_file_s:
            options["mp4_max_file_s"] = eg.mp4_max_file_s
        self.worker = EgressWorker(
            ctx.store,
            ctx.instance_id,
            EgressSettings(
                recorder_binary=binary,
                spool_dir=cfg.data_dir / "spool",
                region=cfg.tasks.region,
                lease_s=cfg.tasks.lease_s,
                capacity=eg.capacity,
                max_tasks=eg.max_tasks,
                costs=dict(eg.costs),
                on_shutdown=eg.on_shutdown,
                stats_timeout_s=eg.stats_timeout_s,
                stop_timeout_s=eg.stop_timeout_s,
                allowed_sources=frozenset(eg.allowed_sources),
                allow_local_inputs=eg.allow_local_inputs,
                recorder_options=options,
                agora_app_id=cfg.agora.app_id,
                agora_sdk_dir=cfg.agora.sdk_dir,
                min_free_disk_bytes=eg.min_free_disk_mb << 20,
                critical_free_disk_bytes=eg.critical_free_disk_mb << 20,
            ),
            metrics=EgressMetrics(ctx.metrics),
        )

    async def start(self) -> None:
        await self.worker.start()

    async def stop(self, grace: float) -> None:
        await self.worker.stop(grace)

    def health(self) -> ComponentHealth:
        return self.worker.health()
