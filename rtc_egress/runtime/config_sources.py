"""Builds the effective Config from its sources: defaults < YAML file < environment < CLI flags.

Every value remembers where it came from, so a bad one is reported as one line naming the key, its source
(``env API_PORT``, ``flag --api-port``, the YAML file) and the rule it breaks. Unknown YAML keys and unknown
``RTC_EGRESS_*`` variables are errors: a typo must not be silently ignored.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from rtc_egress.runtime.config import Config

Key = tuple[str, ...]
Shape = Literal["scalar", "list", "dict"]

ENV_PREFIX = "RTC_EGRESS_"
CONFIG_ENV = "RTC_EGRESS_CONFIG"
#: RTC_EGRESS_ variables that are not keys: the file choice, and the ``rtc-egress task`` client's settings
#: (a shell that uses the client may also start the server).
NOT_KEYS = frozenset(
    {CONFIG_ENV, "RTC_EGRESS_URL", "RTC_EGRESS_APP_ID", "RTC_EGRESS_API_TOKEN", "RTC_EGRESS_ACCESS_TOKEN"}
)
DEFAULT_CONFIG_FILE = Path("config/rtc_egress.yaml")

#: The upstream suite's environment names. The ``RTC_EGRESS_`` name of the same key wins over these.
UPSTREAM_ENV: dict[str, Key] = {
    "REDIS_URL": ("redis", "url"),
    "REDIS_ADDR": ("redis", "addr"),
    "REDIS_HOST": ("redis", "host"),
    "REDIS_PORT": ("redis", "port"),
    "REDIS_PASSWORD": ("redis", "password"),
    "REDIS_DB": ("redis", "db"),
    "AGORA_APP_ID": ("agora", "app_id"),
    "AGORA_SDK_DIR": ("agora", "sdk_dir"),
    "S3_BUCKET": ("storage", "bucket"),
    "S3_REGION": ("storage", "region"),
    "S3_ACCESS_KEY": ("storage", "access_key"),
    "S3_SECRET_KEY": ("storage", "secret_key"),
    "S3_ENDPOINT": ("storage", "endpoint"),
    "WEBHOOK_URL": ("webhook", "url"),
    "WEBHOOK_AUTH_TOKEN": ("webhook", "auth_token"),
    "WEBHOOK_SECRET": ("webhook", "secret"),
    "API_PORT": ("api", "port"),
    "HEALTH_PORT": ("health", "port"),
    "SERVER_REGION": ("tasks", "region"),
    "TASK_TTL": ("tasks", "task_ttl_s"),
}

#: CLI flags of ``serve`` and ``config show`` that set a key (``--config`` chooses the file instead).
CLI_FLAGS: dict[str, Key] = {
    "--components": ("components",),
    "--data-dir": ("data_dir",),
    "--api-port": ("api", "port"),
    "--health-port": ("health", "port"),
    "--redis-url": ("redis", "url"),
    "--log-level": ("log", "level"),
    "--log-format": ("log", "format"),
    "--instance-id": ("instance_id",),
}


@dataclass(frozen=True, slots=True)
class Problem:
    key: str
    source: str
    rule: str

    def __str__(self) -> str:
        where = f" ({self.source})" if self.source else ""
        return f"{self.key}{where}: {self.rule}"


class ConfigError(Exception):
    """The configuration cannot be used; ``problems`` has one entry per bad value."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    config: Config
    file: Path | None
    sources: dict[Key, str] = field(default_factory=dict)

    def source_of(self, key: Key) -> str:
        return _source_of(self.sources, key)


# --- the model's keys --------------------------------------------------------------------------------


def _leaf_fields(model: type[BaseModel], prefix: Key = ()) -> dict[Key, Any]:
    """Every settable key of ``model`` -> its annotation (sections are walked, not returned)."""
    out: dict[Key, Any] = {}
    for name, info in model.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.update(_leaf_fields(ann, (*prefix, name)))
        else:
            out[(*prefix, name)] = ann
    return out


LEAVES: dict[Key, Any] = _leaf_fields(Config)
SECTIONS: frozenset[str] = frozenset(k[0] for k in LEAVES if len(k) > 1)


def env_name(key: Key) -> str:
    """``("api", "port")`` -> ``RTC_EGRESS_API__PORT``; ``("data_dir",)`` -> ``RTC_EGRESS_DATA_DIR``."""
    return ENV_PREFIX + "__".join(part.upper() for part in key)


ENV_KEYS: dict[str, Key] = {env_name(k): k for k in LEAVES}


def _shape(annotation: Any) -> Shape:
    for candidate in (annotation, *get_args(annotation)):
        origin = get_origin(candidate)
        if origin is list:
            return "list"
        if origin is dict:
            return "dict"
    return "scalar"


def is_secret(key: Key) -> bool:
    ann = LEAVES.get(key)
    return ann is not None and "SecretStr" in repr(ann)


# --- sources -----------------------------------------------------------------------------------------


def _set(tree: dict[str, Any], key: Key, value: Any) -> None:
    node = tree
    for part in key[:-1]:
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            return  # the file has a non-mapping here; validation reports it
        node = child
    node[key[-1]] = value


def _parse_env(name: str, key: Key, raw: str, problems: list[Problem]) -> Any:
    shape = _shape(LEAVES[key])
    value = raw.strip()
    if shape == "scalar":
        return value
    if value.startswith(("[", "{")):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as e:
            problems.append(Problem(".".join(key), f"env {name}", f"is not valid JSON ({e.msg} at character {e.pos})"))
            return None
        return parsed
    if shape == "dict":
        problems.append(Problem(".".join(key), f"env {name}", 'must be a JSON object, e.g. {"app1": ["token"]}'))
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def _read_env(environ: Mapping[str, str], problems: list[Problem]) -> list[tuple[Key, Any, str]]:
    """(key, value, source) from the environment, upstream names first so RTC_EGRESS_ names win."""
    found: list[tuple[Key, Any, str]] = []
    for name, key in UPSTREAM_ENV.items():
        raw = environ.get(name, "")
        if raw.strip():
            found.append((key, _parse_env(name, key, raw, problems), f"env {name}"))
    for name in sorted(environ):
        if not name.startswith(ENV_PREFIX) or name in NOT_KEYS:
            continue
        env_key = ENV_KEYS.get(name)
        if env_key is None:
            hint = difflib.get_close_matches(name, [*ENV_KEYS, CONFIG_ENV], n=1)
            rule = f"unknown setting (did you mean {hint[0]}?)" if hint else "unknown setting"
            problems.append(Problem(name, "env", rule))
            continue
        if environ[name].strip():
            found.append((env_key, _parse_env(name, env_key, environ[name], problems), f"env {name}"))
    return found


def _read_yaml(path: Path, label: str, problems: list[Problem]) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(Problem("config", label, f"file {str(path)!r} does not exist"))
        return {}
    except OSError as e:
        problems.append(Problem("config", label, f"cannot read {str(path)!r}: {e.strerror}"))
        return {}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        what = getattr(e, "problem", None) or "syntax error"
        problems.append(Problem("config", str(path), f"is not valid YAML{where}: {what}"))
        return {}
    if data is None:
        return {}
    if not isinstance(data, dict):
        problems.append(Problem("config", str(path), "must be a mapping of sections and keys"))
        return {}
    return data


def _yaml_sources(tree: Mapping[str, Any], label: str, prefix: Key = ()) -> dict[Key, str]:
    out: dict[Key, str] = {}
    for k, v in tree.items():
        key = (*prefix, str(k))
        out[key] = label
        if not prefix and str(k) in SECTIONS and isinstance(v, dict):
            out.update(_yaml_sources(v, label, key))
    return out


def resolve_config_file(flag: str | None, environ: Mapping[str, str]) -> tuple[Path | None, str]:
    """The YAML file to read and how it was chosen: ``--config``, RTC_EGRESS_CONFIG, or the default if present."""
    if flag:
        return Path(flag), "flag --config"
    if environ.get(CONFIG_ENV, "").strip():
        return Path(environ[CONFIG_ENV].strip()), f"env {CONFIG_ENV}"
    if DEFAULT_CONFIG_FILE.is_file():
        return DEFAULT_CONFIG_FILE, "default file"
    return None, ""


def load_config(
    *,
    config_file: str | None = None,
    cli: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> LoadedConfig:
    """Merge every source and validate; raises ConfigError listing every problem at once.

    ``cli`` maps a flag of CLI_FLAGS (e.g. ``"--api-port"``) to its value; None values are ignored.
    """
    env = os.environ if environ is None else environ
    problems: list[Problem] = []
    tree: dict[str, Any] = {}
    sources: dict[Key, str] = {}

    path, how = resolve_config_file(config_file, env)
    if path is not None:
        tree = _read_yaml(path, how, problems)
        sources.update(_yaml_sources(tree, f"yaml {path}"))

    for key, value, source in _read_env(env, problems):
        if value is not None:
            _set(tree, key, value)
            sources[key] = source

    for flag, value in (cli or {}).items():
        if value is not None:
            key = CLI_FLAGS[flag]
            _set(tree, key, value)
            sources[key] = f"flag {flag}"

    config: Config | None = None
    try:
        config = Config.model_validate(tree)
    except ValidationError as e:
        problems.extend(_problems_from(e, sources))
    if problems or config is None:
        raise ConfigError(problems)
    return LoadedConfig(config=config, file=path, sources=sources)


# --- error reporting ---------------------------------------------------------------------------------


def _source_of(sources: Mapping[Key, str], key: Key) -> str:
    if key in LEAVES and key not in sources:
        return "default"
    for n in range(len(key), 0, -1):
        if key[:n] in sources:
            return sources[key[:n]]
    below = sorted({s for k, s in sources.items() if k[: len(key)] == key})
    return ", ".join(below) if below else "default"


def _problems_from(error: ValidationError, sources: Mapping[Key, str]) -> list[Problem]:
    problems: list[Problem] = []
    for err in error.errors(include_url=False):
        loc = tuple(str(p) for p in err["loc"])
        key: Key = tuple(p for p in loc if not p.isdigit())  # list indexes name the key's item, not a key
        name = ".".join(loc) or "config"
        source = _source_of(sources, key)
        if err["type"] == "extra_forbidden":
            problems.append(Problem(name, source, _unknown_key_rule(loc)))
            continue
        rule = str(err["msg"]).removeprefix("Value error, ")
        secret = any(is_secret(key[:n]) for n in range(1, len(key) + 1))
        value = err.get("input")
        if not secret and isinstance(value, str | int | float | bool):
            rule = f"{rule}; got {value!r}"
        problems.append(Problem(name, source, rule))
    return problems


def _unknown_key_rule(loc: tuple[str, ...]) -> str:
    parent, name = loc[:-1], loc[-1]
    siblings = sorted({k[len(parent)] for k in LEAVES if k[: len(parent)] == parent and len(k) > len(parent)})
    hint = difflib.get_close_matches(name, siblings, n=1)
    return f"unknown key (did you mean {hint[0]!r}?)" if hint else f"unknown key (known: {', '.join(siblings)})"
