"""The component contract: every service object the runtime can run in one process.

Component names are the same everywhere (config, CLI, logs, metrics, Helm labels).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    import redis.asyncio as aioredis
    from prometheus_client import CollectorRegistry

    from rtc_egress.runtime.config import Config
    from rtc_egress.tasks.store import TaskStore

#: Every component name, in start order (stopped in reverse).
COMPONENT_NAMES: tuple[str, ...] = ("api-server", "egress", "flexible-recorder", "uploader", "webhook-notifier")


class ComponentStartError(Exception):
    """Raised by a component's constructor or ``start()`` for a failure the operator must fix.

    The runtime logs the message alone (no traceback) and exits with code 2 if ``usage`` (configuration or
    installation, e.g. a missing binary), else 1. Name the key to change in the message.
    """

    def __init__(self, message: str, *, usage: bool = True) -> None:
        super().__init__(message)
        self.usage = usage


@dataclass(frozen=True, slots=True)
class ComponentHealth:
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RuntimeContext:
    """What a component gets from the runtime: configuration and shared connections."""

    config: Config
    redis: aioredis.Redis
    store: TaskStore
    instance_id: str
    metrics: CollectorRegistry


class Component(Protocol):
    name: ClassVar[str]

    async def start(self) -> None:
        """Start serving; return once the component is ready (or raise)."""

    async def stop(self, grace: float) -> None:
        """Stop accepting work and drain within ``grace`` seconds (recordings are finalized, not killed)."""

    def health(self) -> ComponentHealth:
        """Cheap, synchronous health report for ``/ready``."""


ComponentFactory = Callable[[RuntimeContext], Component]
