"""Configuration model: every key, its default and its rule.

Sources, lowest to highest precedence: defaults < YAML file < environment < CLI flags.
(The loader that merges the sources lives in ``config_sources.py``.)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from rtc_egress.components import available_components
from rtc_egress.egress.config import EgressConfig
from rtc_egress.runtime.component import COMPONENT_NAMES

_GO_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)(h|ms|m|s))+$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_UNIT_S = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration_s(value: object) -> object:
    """Seconds as a number, or a Go-style duration string (``90s``, ``24h``, ``1h30m``) as upstream wrote them."""
    if isinstance(value, str) and _GO_DURATION.match(value.strip()):
        return sum(float(n) * _UNIT_S[u] for n, u in _DURATION_PART.findall(value.strip()))
    return value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class RedisConfig(_Section):
    """Where Redis is. Nothing set = a private embedded ``redis-server`` under the data dir."""

    url: SecretStr | None = Field(
        None, description="redis://, rediss:// or unix:// URL (REDIS_URL); wins over addr/host"
    )
    addr: str | None = Field(None, description="host:port (REDIS_ADDR); wins over host/port")
    host: str | None = Field(None, description="host (REDIS_HOST), with port")
    port: int = Field(6379, ge=1, le=65535, description="port (REDIS_PORT)")
    password: SecretStr | None = Field(None, description="password (REDIS_PASSWORD); a password in the URL wins")
    db: int = Field(0, ge=0, le=15, description="database number (REDIS_DB); a /db in the URL wins")
    connect_timeout_s: float = Field(5.0, gt=0, description="timeout of one connection attempt")
    socket_timeout_s: float = Field(
        10.0, gt=0, description="timeout of one command; blocking reads must block for less than this"
    )
    health_check_interval_s: int = Field(
        10, ge=0, description="an idle connection is PINGed before use after this long (0 = never)"
    )
    retries: int = Field(3, ge=0, le=20, description="retries of a command on a connection error (backoff)")
    embedded_binary: str = Field(
        "redis-server", description="redis-server binary for the embedded Redis (a name on PATH or a path)"
    )
    embedded_start_timeout_s: float = Field(
        10.0, gt=0, description="how long the embedded Redis may take to answer PING"
    )

    @property
    def external(self) -> bool:
        return bool(self.url or self.addr or self.host)

    @field_validator("url")
    @classmethod
    def _url_scheme(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None:
            return v
        parts = urlsplit(v.get_secret_value())
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        if parts.scheme == "unix" and not parts.path:
            raise ValueError("a unix:// URL needs a socket path, e.g. unix:///run/redis.sock")
        if parts.scheme != "unix" and not parts.hostname:
            raise ValueError("must name a host, e.g. redis://redis:6379/0")
        return v

    @field_validator("addr")
    @classmethod
    def _addr_form(cls, v: str | None) -> str | None:
        if v is None:
            return v
        split_host_port(v)
        return v


def split_host_port(addr: str) -> tuple[str, int]:
    """``host:port`` or ``[v6]:port`` -> (host, port); ValueError naming the rule otherwise."""
    host, sep, port = addr.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError("must be host:port with a port 1-65535, e.g. redis:6379")
    return host, int(port)


class ApiConfig(_Section):
    host: str = Field("0.0.0.0", description="address the task API listens on")  # noqa: S104
    port: int = Field(8080, ge=0, le=65535, description="task API port (API_PORT); 0 = any free port")
    max_body_bytes: int = Field(65536, ge=1024, description="larger request bodies get 413")
    auth_tokens: list[SecretStr] = Field(
        default_factory=list, description="bearer tokens accepted for every app_id; none (and no app_tokens) = open"
    )
    app_tokens: dict[str, list[SecretStr]] = Field(
        default_factory=dict, description="bearer tokens accepted only for the given app_id"
    )


class HealthConfig(_Section):
    host: str = Field("0.0.0.0", description="address of /health, /ready and /metrics")  # noqa: S104
    port: int = Field(8182, ge=0, le=65535, description="health and metrics port (HEALTH_PORT); 0 = any free port")
    ready_timeout_s: float = Field(2.0, gt=0, le=30, description="how long /ready waits for Redis to answer PING")
    queue_depth_interval_s: float = Field(
        5.0, gt=0, le=300, description="how often the queue depth gauge is refreshed from Redis"
    )


class TasksConfig(_Section):
    region: str = Field("global", pattern=r"^[a-z0-9][a-z0-9-]{0,31}$", description="this instance's region")
    task_ttl_s: int = Field(
        86400, ge=60, description="how long a finished task is kept (TASK_TTL; seconds or a duration like 24h)"
    )
    task_timeout_s: float = Field(30.0, gt=0, description="an ENQUEUED task not claimed within this is TIMEOUT")
    max_attempts: int = Field(3, ge=1, le=100, description="runs of a task before it is FAILED")
    lease_s: float = Field(15.0, ge=0.5, description="a claimed task's lease; renewed every lease_s/3")
    sweep_interval_s: float = Field(1.0, gt=0, le=60, description="how often expired leases and timeouts are swept")
    events_max_len: int = Field(1_000_000, ge=1000, description="approximate length kept of the event stream")

    @field_validator("task_ttl_s", mode="before")
    @classmethod
    def _ttl_duration(cls, v: object) -> object:
        return parse_duration_s(v)


class LogConfig(_Section):
    level: Literal["debug", "info", "warning", "error"] = Field("info", description="lowest level logged")
    format: Literal["auto", "json", "console"] = Field("auto", description="auto = console on a TTY, else JSON")

    @field_validator("level", "format", mode="before")
    @classmethod
    def _lower(cls, v: object) -> object:
        return v.strip().lower() if isinstance(v, str) else v


class AgoraConfig(_Section):
    app_id: str | None = Field(None, description="default Agora app id (AGORA_APP_ID)")
    sdk_dir: Path | None = Field(None, description="directory of the Agora Linux server SDK (AGORA_SDK_DIR)")


class StorageConfig(_Section):
    """Where uploaded files go. No bucket = ``file://`` storage under the data dir."""

    bucket: str | None = Field(None, description="S3 bucket (S3_BUCKET)")
    region: str | None = Field(None, description="S3 region (S3_REGION)")
    access_key: SecretStr | None = Field(None, description="S3 access key (S3_ACCESS_KEY)")
    secret_key: SecretStr | None = Field(None, description="S3 secret key (S3_SECRET_KEY)")
    endpoint: str | None = Field(None, description="S3-compatible endpoint URL (S3_ENDPOINT)")
    prefix: str = Field("", description="object key prefix")

    @field_validator("endpoint")
    @classmethod
    def _endpoint_url(cls, v: str | None) -> str | None:
        return _http_url(v)

    @model_validator(mode="after")
    def _keys_in_pairs(self) -> StorageConfig:
        if bool(self.access_key) != bool(self.secret_key):
            have, missing = ("access_key", "secret_key") if self.access_key else ("secret_key", "access_key")
            raise ValueError(f"storage.{missing} is required when storage.{have} is set (they go together)")
        return self


class WebhookConfig(_Section):
    url: str | None = Field(None, description="default webhook endpoint (WEBHOOK_URL); none = events kept only")
    auth_token: SecretStr | None = Field(None, description="bearer token sent to the endpoint (WEBHOOK_AUTH_TOKEN)")
    secret: SecretStr | None = Field(None, description="HMAC-SHA256 signing secret (WEBHOOK_SECRET)")

    @field_validator("url")
    @classmethod
    def _webhook_url(cls, v: str | None) -> str | None:
        return _http_url(v)


def _http_url(v: str | None) -> str | None:
    if v is None:
        return v
    parts = urlsplit(v)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    return v


class Config(_Section):
    components: list[str] = Field(
        default_factory=lambda: list(available_components()),
        description="components this process runs (RTC_EGRESS_COMPONENTS, comma separated); "
        "default: every component this build has",
    )
    data_dir: Path = Field(Path("./var"), description="spool, embedded Redis and file storage (RTC_EGRESS_DATA_DIR)")
    instance_id: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$",
        description="this process's owner id in leases; default {hostname}-{pid}-{4 random hex}",
    )
    shutdown_grace_s: float = Field(30.0, ge=0, description="how long components may drain on SIGTERM")
    redis: RedisConfig = Field(default_factory=RedisConfig)
    api: ApiConfig = Field(default_factory=ApiConfig)
    health: HealthConfig = Field(default_factory=HealthConfig)
    tasks: TasksConfig = Field(default_factory=TasksConfig)
    log: LogConfig = Field(default_factory=LogConfig)
    agora: AgoraConfig = Field(default_factory=AgoraConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    webhook: WebhookConfig = Field(default_factory=WebhookConfig)
    egress: EgressConfig = Field(default_factory=EgressConfig)

    @field_validator("components", mode="before")
    @classmethod
    def _split_components(cls, v: object) -> object:
        if isinstance(v, str):
            return [p.strip() for p in v.split(",") if p.strip()]
        return v

    @field_validator("components")
    @classmethod
    def _known_components(cls, v: list[str]) -> list[str]:
        unknown = [c for c in v if c not in COMPONENT_NAMES]
        if unknown:
            raise ValueError(f"unknown component(s) {', '.join(unknown)}; known: {', '.join(COMPONENT_NAMES)}")
        if not v:
            raise ValueError("at least one component is required")
        return sorted(set(v), key=COMPONENT_NAMES.index)  # start order, whatever order they were named in

    def secret_values(self) -> list[str]:
        """Every configured secret, for the log redactor (URL passwords included)."""
        values: list[str] = []
        for s in (
            self.redis.password,
            self.storage.access_key,
            self.storage.secret_key,
            self.webhook.auth_token,
            self.webhook.secret,
            *self.api.auth_tokens,
            *(t for tokens in self.api.app_tokens.values() for t in tokens),
        ):
            if s is not None and s.get_secret_value():
                values.append(s.get_secret_value())
        if self.redis.url is not None:
            password = urlsplit(self.redis.url.get_secret_value()).password
            if password:
                values.append(password)
        return values
