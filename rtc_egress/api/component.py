"""The ``api-server`` component: serves the task API on api.host:api.port."""

from __future__ import annotations

from typing import ClassVar

from aiohttp import web

from rtc_egress.api.app import create_app
from rtc_egress.runtime.component import ComponentHealth, RuntimeContext
from rtc_egress.runtime.logging import get_logger

log = get_logger(__name__)


class ApiServerComponent:
    name: ClassVar[str] = "api-server"

    def __init__(self, ctx: RuntimeContext) -> None:
        self.ctx = ctx
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.port: int | None = None  # the bound port (api.port 0 = any free port)

    async def start(self) -> None:
        cfg = self.ctx.config
        app = create_app(store=self.ctx.store, api=cfg.api, region=cfg.tasks.region, registry=self.ctx.metrics)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=cfg.shutdown_grace_s)
        await runner.setup()
        site = web.TCPSite(runner, cfg.api.host, cfg.api.port, reuse_address=True)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner, self._site = runner, site
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else cfg.api.port
        log.info("task API listening", host=cfg.api.host, port=self.port)

    async def stop(self, grace: float) -> None:
        """Stop accepting connections; requests in flight get up to ``grace`` seconds to finish."""
        runner, self._runner, self._site = self._runner, None, None
        if runner is None:
            return
        runner._shutdown_timeout = grace  # the grace is known only now; cleanup() reads it
        await runner.cleanup()

    def health(self) -> ComponentHealth:
        return ComponentHealth(ok=self._site is not None, detail={"port": self.port})
