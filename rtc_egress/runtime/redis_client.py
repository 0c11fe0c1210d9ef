"""The process's one Redis client, built from the configuration (or the embedded server's socket)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from rtc_egress.runtime.config import RedisConfig, split_host_port


def create_redis(cfg: RedisConfig, *, unix_socket: str | None = None, client_name: str | None = None) -> aioredis.Redis:
    """``decode_responses=True``; connection errors are retried with exponential backoff and jitter.

    Precedence: ``unix_socket`` (the embedded server) > ``url`` > ``addr`` > ``host``+``port``. A password or db
    written in the URL wins over ``password`` / ``db``.
    """
    common: dict[str, Any] = {
        "decode_responses": True,
        "socket_connect_timeout": cfg.connect_timeout_s,
        "socket_timeout": cfg.socket_timeout_s,
        "health_check_interval": cfg.health_check_interval_s,
        "retry": Retry(ExponentialWithJitterBackoff(base=0.05, cap=2.0), cfg.retries),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError, ConnectionResetError],
        "client_name": client_name,
    }
    password = cfg.password.get_secret_value() if cfg.password is not None else None
    if unix_socket is not None:
        return aioredis.Redis(unix_socket_path=unix_socket, **common)
    if cfg.url is not None:
        # from_url lets the URL's own password and db win over these keywords.
        return aioredis.Redis.from_url(cfg.url.get_secret_value(), password=password, db=cfg.db, **common)
    host, port = split_host_port(cfg.addr) if cfg.addr else (cfg.host or "localhost", cfg.port)
    return aioredis.Redis(host=host, port=port, password=password, db=cfg.db, **common)


def describe(cfg: RedisConfig, *, unix_socket: str | None = None) -> str:
    """Where Redis is, for logs and errors; never includes the password."""
    if unix_socket is not None:
        return f"embedded unix:{unix_socket}"
    if cfg.url is not None:
        parts = urlsplit(cfg.url.get_secret_value())
        if parts.scheme == "unix":
            return f"unix:{parts.path}"
        return f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path or ''}"
    if cfg.addr:
        return f"{cfg.addr}/{cfg.db}"
    return f"{cfg.host}:{cfg.port}/{cfg.db}"
