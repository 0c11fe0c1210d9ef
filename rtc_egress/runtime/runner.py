"""Runs the selected components in one asyncio process, from start-up to a clean exit on SIGTERM/SIGINT.

Order: health port (``/health`` answers while the rest starts) -> embedded Redis (if no Redis is configured) ->
Redis client and task store -> components, in COMPONENT_NAMES order -> sweeper. On the first signal ``/ready``
turns 503, the sweeper stops, and the components are stopped in reverse order within ``shutdown_grace_s``; a
second signal cuts the drain short.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import os
import secrets
import signal
import socket
import time
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
import structlog
from prometheus_client import CollectorRegistry
from redis.exceptions import RedisError

from rtc_egress import __version__
from rtc_egress.components import load_factory
from rtc_egress.runtime.component import (
    Component,
    ComponentFactory,
    ComponentHealth,
    ComponentStartError,
    RuntimeContext,
)
from rtc_egress.runtime.config import Config
from rtc_egress.runtime.embedded_redis import EmbeddedRedis, EmbeddedRedisError
from rtc_egress.runtime.health import HealthServer, ReadyReport
from rtc_egress.runtime.logging import REDACTOR, get_logger
from rtc_egress.runtime.metrics import RuntimeMetrics
from rtc_egress.runtime.redis_client import create_redis, describe
from rtc_egress.runtime.sweeper import Sweeper
from rtc_egress.tasks.store import TaskStore

log = get_logger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class StartupError(Exception):
    """Start-up cannot go on; ``usage`` = the operator must fix configuration or installation (exit code 2)."""

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.exit_code = EXIT_USAGE if usage else EXIT_FAILED


def make_instance_id(config: Config) -> str:
    """The configured id, or ``{hostname}-{pid}-{4 random hex}``: unique per process, readable in leases."""
    if config.instance_id:
        return config.instance_id
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(2)}"


@dataclass
class _Running:
    name: str
    component: Component
    started: bool = False


class Runtime:
    def __init__(self, config: Config, *, factories: dict[str, ComponentFactory] | None = None) -> None:
        self.config = config
        self.instance_id = make_instance_id(config)
        self.metrics = RuntimeMetrics(CollectorRegistry())
        self._factories = factories
        self._components: list[_Running] = []
        self._embedded: EmbeddedRedis | None = None
        self._redis: aioredis.Redis | None = None
        self._probe: aioredis.Redis | None = None
        self._health: HealthServer | None = None
        self._sweeper_task: asyncio.Task[None] | None = None
        self._sweeper_stop = asyncio.Event()
        self._stop = asyncio.Event()
        self._force = asyncio.Event()
        self._signals = 0
        self._phase = "starting"

    # --- signals ----------------------------------------------------------------------------------
    def request_stop(self, signame: str = "request") -> None:
        self._signals += 1
        if self._signals == 1:
            log.info("stopping", signal=signame, grace_s=self.config.shutdown_grace_s)
            self._stop.set()
        else:
            log.warning("second stop signal: cutting the drain short", signal=signame)
            self._force.set()

    def _install_signal_handlers(self) -> list[signal.Signals]:
        loop = asyncio.get_running_loop()
        installed = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.request_stop, sig.name)
                installed.append(sig)
        return installed

    # --- the whole life -------------------------------------------------------------------------
    async def run(self) -> int:
        structlog.contextvars.bind_contextvars(instance_id=self.instance_id)
        installed = self._install_signal_handlers()
        try:
            startup = asyncio.create_task(self._start(), name="startup")
            stop_wait = asyncio.create_task(self._stop.wait())
            await asyncio.wait({startup, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
            if not startup.done():  # a signal during start-up: abandon it and stop what is already up
                startup.cancel()
            try:
                await startup
            except asyncio.CancelledError:
                if not self._stop.is_set():
                    raise
            except StartupError as e:
                log.error(str(e))
                stop_wait.cancel()
                await self._shutdown(grace=0)
                return e.exit_code
            except Exception:
                log.exception("start-up failed")
                stop_wait.cancel()
                await self._shutdown(grace=0)
                return EXIT_FAILED
            await stop_wait
            await self._shutdown(grace=self.config.shutdown_grace_s)
            return EXIT_OK
        finally:
            loop = asyncio.get_running_loop()
            for sig in installed:
                loop.remove_signal_handler(sig)

    async def _start(self) -> None:
        cfg = self.config
        started_at = time.monotonic()
        try:
            cfg.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StartupError(f"data_dir: cannot create {cfg.data_dir}: {e.strerror}", usage=True) from e

        self._health = HealthServer(
            host=cfg.health.host,
            port=cfg.health.port,
            registry=self.metrics.registry,
            instance_id=self.instance_id,
            ready=self.readiness,
        )
        try:
            health_port = await self._health.start()
        except OSError as e:
            self._health = None
            where = f"{cfg.health.host}:{cfg.health.port}"
            raise StartupError(f"health.port: cannot listen on {where}: {e.strerror}") from e

        unix_socket: str | None = None
        if not cfg.redis.external:
            self._embedded = EmbeddedRedis(
                cfg.data_dir, cfg.redis.embedded_binary, start_timeout_s=cfg.redis.embedded_start_timeout_s
            )
            try:
                await self._embedded.start()
            except EmbeddedRedisError as e:
                raise StartupError(str(e), usage=e.usage) from e
            unix_socket = str(self._embedded.socket_path)

        self._redis = create_redis(cfg.redis, unix_socket=unix_socket, client_name=f"rtc-egress:{self.instance_id}")
        self._probe = create_redis(cfg.redis.model_copy(update={"retries": 0}), unix_socket=unix_socket)
        where = describe(cfg.redis, unix_socket=unix_socket)
        try:
            await asyncio.wait_for(self._probe.ping(), cfg.health.ready_timeout_s)
            self.metrics.redis_up.set(1)
        except (RedisError, OSError, TimeoutError) as e:
            self.metrics.redis_up.set(0)
            log.warning("redis is not reachable yet; /ready stays 503 until it is", redis=where, error=str(e))

        store = TaskStore(
            self._redis,
            task_ttl_s=cfg.tasks.task_ttl_s,
            task_timeout_s=cfg.tasks.task_timeout_s,
            max_attempts=cfg.tasks.max_attempts,
            events_max_len=cfg.tasks.events_max_len,
        )
        ctx = RuntimeContext(
            config=cfg, redis=self._redis, store=store, instance_id=self.instance_id, metrics=self.metrics.registry
        )
        await self._start_components(ctx)

        sweeper = Sweeper(
            store,
            self.metrics,
            interval_s=cfg.tasks.sweep_interval_s,
            queue_depth_interval_s=cfg.health.queue_depth_interval_s,
        )
        self._sweeper_task = asyncio.create_task(sweeper.run(self._sweeper_stop), name="sweeper")
        # The start-up heap (imports, config, app) lives as long as the process: keep it out of the collector's
        # full passes, which otherwise stall the loop for tens of milliseconds under load.
        gc.collect()
        gc.freeze()
        self._phase = "running"
        log.info(
            "rtc-egress started",
            version=__version__,
            components=[r.name for r in self._components],
            health_port=health_port,
            redis=where,
            data_dir=str(cfg.data_dir),
            event_loop=type(asyncio.get_running_loop()).__module__.split(".")[0],
            startup_s=round(time.monotonic() - started_at, 3),
        )

    async def _start_components(self, ctx: RuntimeContext) -> None:
        for name in self.config.components:
            factory = self._factories[name] if self._factories is not None else load_factory(name)
            with structlog.contextvars.bound_contextvars(component=name):
                try:
                    component = factory(ctx)
                except ComponentStartError as e:
                    raise StartupError(f"{name}: {e}", usage=e.usage) from e
                running = _Running(name, component)
                self._components.append(running)
                self.metrics.component_up.labels(name).set_function(functools.partial(self._up, running))
                try:
                    await component.start()
                except OSError as e:
                    raise StartupError(f"{name}: cannot start: {e}") from e
                except ComponentStartError as e:
                    raise StartupError(f"{name}: {e}", usage=e.usage) from e
                running.started = True
                log.info("component started")

    @staticmethod
    def _health_of(running: _Running) -> ComponentHealth:
        try:
            return running.component.health()
        except Exception as e:  # a broken health report is itself a health problem, not a crash
            return ComponentHealth(ok=False, detail={"error": f"health() raised {type(e).__name__}: {e}"})

    def _up(self, running: _Running) -> float:
        return 1.0 if running.started and self._health_of(running).ok else 0.0

    # --- readiness --------------------------------------------------------------------------------
    async def readiness(self) -> ReadyReport:
        reasons: list[str] = []
        if self._phase != "running":
            reasons.append(self._phase)
        if self._probe is None:
            reasons.append("redis: not connected yet")
        else:
            try:
                await asyncio.wait_for(self._probe.ping(), self.config.health.ready_timeout_s)
            except TimeoutError:
                reasons.append(f"redis: no answer within {self.config.health.ready_timeout_s:g} s")
            except (RedisError, OSError) as e:
                reasons.append(REDACTOR.redact_text(f"redis: unreachable ({e})"))
        components: dict[str, Any] = {}
        for running in self._components:
            h = self._health_of(running)
            components[running.name] = {"started": running.started, "ok": h.ok, **REDACTOR.redact(h.detail)}
            if not running.started:
                reasons.append(f"{running.name}: not started")
            elif not h.ok:
                reasons.append(f"{running.name}: unhealthy")
        return ReadyReport(ready=not reasons, reasons=reasons, components=components)

    # --- shutdown ---------------------------------------------------------------------------------
    async def _shutdown(self, grace: float) -> None:
        self._phase = "shutting down"
        deadline = time.monotonic() + grace
        self._sweeper_stop.set()
        if self._sweeper_task is not None:
            await self._sweeper_task
        for running in reversed(self._components):
            await self._stop_component(running, deadline)
        for client in (self._redis, self._probe):
            if client is not None:
                with contextlib.suppress(RedisError, OSError):
                    await client.aclose()
        if self._embedded is not None:
            await self._embedded.stop()
        if self._health is not None:
            await self._health.stop()
        log.info("rtc-egress stopped")

    async def _stop_component(self, running: _Running, deadline: float) -> None:
        remaining = 0.0 if self._force.is_set() else max(0.0, deadline - time.monotonic())
        with structlog.contextvars.bound_contextvars(component=running.name):
            stopping = asyncio.create_task(running.component.stop(remaining), name=f"stop {running.name}")
            forced = asyncio.create_task(self._force.wait())
            # The component gets its share of the grace, plus a second to close what it finalized.
            done, _ = await asyncio.wait({stopping, forced}, timeout=remaining + 1.0, return_when="FIRST_COMPLETED")
            forced.cancel()
            if stopping not in done:
                stopping.cancel()
                log.error("component did not stop within the grace period; cancelled", grace_s=round(remaining, 3))
            with contextlib.suppress(asyncio.CancelledError):
                try:
                    await stopping
                except Exception:
                    log.exception("component failed while stopping")
            running.started = False
            log.info("component stopped")
