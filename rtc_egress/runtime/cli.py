"""``rtc-egress serve`` (also ``python -m rtc_egress``) and ``rtc-egress config show``."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import click
import yaml
from pydantic import BaseModel, SecretStr

from rtc_egress.components import unavailable
from rtc_egress.runtime.config import Config
from rtc_egress.runtime.config_sources import ConfigError, LoadedConfig, Problem, load_config
from rtc_egress.runtime.logging import REDACTED, configure_logging
from rtc_egress.runtime.runner import EXIT_USAGE, Runtime

F = TypeVar("F", bound=Callable[..., Any])

_FLAGS: list[tuple[str, str, str]] = [
    ("--components", "components", "comma separated components to run (default: all of this build)"),
    ("--api-port", "api_port", "task API port (0 = any free port)"),
    ("--health-port", "health_port", "port of /health, /ready and /metrics (0 = any free port)"),
    ("--data-dir", "data_dir", "spool, embedded Redis and file storage directory"),
    ("--redis-url", "redis_url", "external Redis (redis://, rediss://, unix://); none = embedded"),
    ("--log-level", "log_level", "debug, info, warning or error"),
    ("--log-format", "log_format", "auto (console on a TTY, else JSON), json or console"),
    ("--instance-id", "instance_id", "owner id in leases (default {hostname}-{pid}-{random})"),
]


def config_options(f: F) -> F:
    """The flags that choose and override configuration, shared by ``serve`` and ``config show``."""
    for flag, dest, help_text in reversed(_FLAGS):
        f = click.option(flag, dest, default=None, metavar="VALUE", help=help_text)(f)
    return click.option(
        "--config",
        "config_file",
        default=None,
        metavar="FILE",
        help="YAML configuration file (else RTC_EGRESS_CONFIG, else config/rtc_egress.yaml if it exists)",
    )(f)


def _fail(problems: list[Problem]) -> None:
    for p in problems:
        click.echo(f"config error: {p}", err=True)
    sys.exit(EXIT_USAGE)


def _load(config_file: str | None, flags: dict[str, Any]) -> LoadedConfig:
    cli = {flag: flags[dest] for flag, dest, _ in _FLAGS}
    try:
        return load_config(config_file=config_file, cli=cli)
    except ConfigError as e:
        _fail(e.problems)
        raise AssertionError("unreachable") from e


def _run(runtime_config: Config) -> int:
    async def main() -> int:
        return await Runtime(runtime_config).run()

    loop_factory = None
    try:
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        pass
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(main())


@click.command()
@config_options
def serve(config_file: str | None, **flags: Any) -> None:
    """Run the selected components (default: all of this build) until SIGTERM or SIGINT."""
    loaded = _load(config_file, flags)
    config = loaded.config
    missing = unavailable(config.components)
    if missing:
        _fail([Problem("components", loaded.source_of(("components",)), m) for m in missing])
    configure_logging(config.log.level, config.log.format, secrets=config.secret_values())
    try:
        code = _run(config)
    except KeyboardInterrupt:  # a Ctrl-C before the signal handlers were installed
        code = 130
    sys.exit(code)


@click.group("config")
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("show")
@config_options
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of YAML")
def show(config_file: str | None, as_json: bool, **flags: Any) -> None:
    """Print the effective configuration (defaults < YAML < environment < flags); secrets show as ***."""
    loaded = _load(config_file, flags)
    data = masked(loaded.config)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    source = f" (file: {loaded.file})" if loaded.file is not None else ""
    click.echo(f"# effective rtc-egress configuration{source}; secrets are shown as {REDACTED}")
    click.echo(yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True), nl=False)


def _mask_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    netloc = f"{user}:{REDACTED}@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def masked(config: BaseModel) -> dict[str, Any]:
    """The configuration as plain data, every secret replaced by ``***`` (a Redis URL keeps all but its password)."""
    return {name: _plain(getattr(config, name), name) for name in type(config).model_fields}


def _plain(value: Any, name: str) -> Any:
    if isinstance(value, SecretStr):
        secret = value.get_secret_value()
        return _mask_url(secret) if name == "url" and "://" in secret else REDACTED
    if isinstance(value, BaseModel):
        return masked(value)
    if isinstance(value, dict):
        return {k: _plain(v, name) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, name) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value
