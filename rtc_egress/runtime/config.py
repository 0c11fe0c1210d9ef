"""Configuration model: every key, its default and its rule.

Sources, lowest to highest precedence: defaults < YAML file < environment < CLI flags.
(The loader that merges the sources lives in ``config_sources.py``.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from rtc_egress.runtime.component import COMPONENT_NAMES


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class RedisConfig(_Section):
    """Where Redis is. Nothing set = a private embedded ``redis-server`` under the data dir."""

    url: SecretStr | None = Field(None, description="redis:// or unix:// URL (REDIS_URL); wins over addr/host")
    addr: str | None = Field(None, description="host:port (REDIS_ADDR)")
    host: str | None = Field(None, description="host (REDIS_HOST), with port")
    port: int = Field(6379, ge=1, le=65535, description="port (REDIS_PORT)")
    password: SecretStr | None = Field(None, description="password (REDIS_PASSWORD)")
    db: int = Field(0, ge=0, le=15, description="database number (REDIS_DB)")
    embedded_binary: str = Field("redis-server", description="redis-server binary for the embedded Redis")

    @property
    def external(self) -> bool:
        return bool(self.url or self.addr or self.host)


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


class TasksConfig(_Section):
    region: str = Field("global", pattern=r"^[a-z0-9][a-z0-9-]{0,31}$", description="this instance's region")
    task_ttl_s: int = Field(86400, ge=60, description="how long a finished task is kept (TASK_TTL)")
    task_timeout_s: float = Field(30.0, gt=0, description="an ENQUEUED task not claimed within this is TIMEOUT")
    max_attempts: int = Field(3, ge=1, le=100, description="runs of a task before it is FAILED")
    lease_s: float = Field(15.0, ge=0.5, description="a claimed task's lease; renewed every lease_s/3")
    sweep_interval_s: float = Field(1.0, gt=0, le=60, description="how often expired leases and timeouts are swept")
    events_max_len: int = Field(1_000_000, ge=1000, description="approximate length kept of the event stream")


class LogConfig(_Section):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["auto", "json", "console"] = Field("auto", description="auto = console on a TTY, else JSON")


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


class WebhookConfig(_Section):
    url: str | None = Field(None, description="default webhook endpoint (WEBHOOK_URL); none = events kept only")
    auth_token: SecretStr | None = Field(None, description="bearer token sent to the endpoint (WEBHOOK_AUTH_TOKEN)")
    secret: SecretStr | None = Field(None, description="HMAC-SHA256 signing secret (WEBHOOK_SECRET)")


class Config(_Section):
    components: list[str] = Field(
        default_factory=lambda: list(COMPONENT_NAMES),
        description="components this process runs (RTC_EGRESS_COMPONENTS, comma separated)",
    )
    data_dir: Path = Field(Path("./var"), description="spool, embedded Redis and file storage (RTC_EGRESS_DATA_DIR)")
    instance_id: str | None = Field(None, description="this process's owner id in leases; default host-pid-random")
    shutdown_grace_s: float = Field(30.0, ge=0, description="how long components may drain on SIGTERM")
    redis: RedisConfig = Field(default_factory=RedisConfig)
    api: ApiConfig = Field(default_factory=ApiConfig)
    health: HealthConfig = Field(default_factory=HealthConfig)
    tasks: TasksConfig = Field(default_factory=TasksConfig)
    log: LogConfig = Field(default_factory=LogConfig)
    agora: AgoraConfig = Field(default_factory=AgoraConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    webhook: WebhookConfig = Field(default_factory=WebhookConfig)

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
        return list(dict.fromkeys(v))
