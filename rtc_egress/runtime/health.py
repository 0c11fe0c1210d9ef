"""The health port: ``/health`` (liveness), ``/ready`` (readiness) and ``/metrics`` (Prometheus text)."""

from __future__ import annotations

import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from rtc_egress import __version__


@dataclass(frozen=True, slots=True)
class ReadyReport:
    ready: bool
    reasons: list[str] = field(default_factory=list)
    components: dict[str, Any] = field(default_factory=dict)


class HealthServer:
    """Answers from the event loop itself, so a ``/health`` answer proves the loop is not stuck."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        registry: CollectorRegistry,
        instance_id: str,
        ready: Callable[[], Awaitable[ReadyReport]],
    ) -> None:
        self.host = host
        self.port = port
        self.registry = registry
        self.instance_id = instance_id
        self._ready = ready
        self._started = time.monotonic()
        self._runner: web.AppRunner | None = None
        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_get("/ready", self._ready_handler)
        app.router.add_get("/metrics", self._metrics)
        self._app = app

    async def start(self) -> int:
        """Listen; returns the bound port (useful with port 0). Raises OSError naming the address if it is taken."""
        runner = web.AppRunner(self._app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        for addr in runner.addresses:
            if isinstance(addr, tuple):
                self.port = int(addr[1])
                break
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _health(self, _: web.Request) -> web.Response:
        return web.json_response(
            {
                "status": "ok",
                "service": "rtc-egress",
                "version": __version__,
                "instance_id": self.instance_id,
                "host": socket.gethostname(),
                "uptime_s": round(time.monotonic() - self._started, 3),
            }
        )

    async def _ready_handler(self, _: web.Request) -> web.Response:
        report = await self._ready()
        body: dict[str, Any] = {
            "status": "ready" if report.ready else "not ready",
            "instance_id": self.instance_id,
            "components": report.components,
        }
        if not report.ready:
            body["reasons"] = report.reasons
        return web.json_response(body, status=200 if report.ready else 503)

    async def _metrics(self, _: web.Request) -> web.Response:
        return web.Response(body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})
