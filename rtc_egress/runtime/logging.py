"""Structured logging: JSON lines (or a readable console on a TTY) for our code and for stdlib loggers.

Every line passes through :class:`Redactor`, which replaces secrets with ``***``: the value of any key that names
a secret (``access_token``, ``password``, ``authorization``, ...) at any depth, the configured secret values
wherever they appear inside text, URL passwords, ``token=...`` query parameters and ``Bearer`` credentials.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

REDACTED = "***"

#: Keys (normalised to snake_case) whose values are always secrets.
SECRET_KEYS = frozenset(
    {
        "access_token", "token", "tokens", "password", "passwd", "pwd", "secret", "secrets", "secret_key",
        "access_key", "secret_access_key", "authorization", "proxy_authorization", "auth", "auth_token",
        "auth_tokens", "api_key", "apikey", "x_api_key", "private_key", "credentials", "cookie", "set_cookie",
        "app_certificate", "signing_key",
    }
)  # fmt: skip
_SECRET_SUFFIXES = ("_token", "_tokens", "_secret", "_password", "_passwd", "_secret_key", "_access_key", "_api_key")
_SECRET_WORDS = "|".join(sorted((re.escape(k) for k in SECRET_KEYS), key=len, reverse=True))

_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:@/\s]*:)[^@/\s]+@")
_KV_SECRET = re.compile(rf"(?i)(?P<head>\b(?:[a-z0-9]+[_-])*(?:{_SECRET_WORDS})=)[^&\s\"',;]+")
_JSON_SECRET = re.compile(rf"(?i)(?P<head>\"(?:[a-z0-9]+_)*(?:{_SECRET_WORDS})\"\s*:\s*\")(?:[^\"\\]|\\.)+")
_BEARER = re.compile(r"(?i)(?P<head>\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

#: Shorter secret values are not searched for inside text (they would mask ordinary words).
MIN_SECRET_LEN = 4
_MAX_DEPTH = 32


def is_secret_key(key: object) -> bool:
    if not isinstance(key, str):
        return False
    norm = _CAMEL.sub("_", key).lower().replace("-", "_")
    return norm in SECRET_KEYS or norm.endswith(_SECRET_SUFFIXES)


class Redactor:
    """A structlog processor that masks secrets; also usable on any value via :meth:`redact`."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._values_re: re.Pattern[str] | None = None

    def add_values(self, values: Iterable[str]) -> None:
        """Secret values to mask wherever they appear in text (e.g. configured passwords, a task's token)."""
        new = {v for v in values if v and len(v) >= MIN_SECRET_LEN} - self._values
        if new:
            self._values |= new
            self._compile()

    def discard_values(self, values: Iterable[str]) -> None:
        before = len(self._values)
        self._values -= set(values)
        if len(self._values) != before:
            self._compile()

    def _compile(self) -> None:
        ordered = sorted(self._values, key=len, reverse=True)
        self._values_re = re.compile("|".join(re.escape(v) for v in ordered)) if ordered else None

    def redact_text(self, text: str) -> str:
        if self._values_re is not None:
            text = self._values_re.sub(REDACTED, text)
        text = _URL_PASSWORD.sub(rf"\g<head>{REDACTED}@", text)
        text = _KV_SECRET.sub(rf"\g<head>{REDACTED}", text)
        text = _JSON_SECRET.sub(rf"\g<head>{REDACTED}", text)
        return _BEARER.sub(rf"\g<head>{REDACTED}", text)

    def redact(self, value: Any, depth: int = 0) -> Any:
        if isinstance(value, str):
            return self.redact_text(value)
        if depth >= _MAX_DEPTH:
            return value
        if isinstance(value, Mapping):
            return {k: self._redact_item(k, v, depth) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.redact(v, depth + 1) for v in value]
        return value

    def _redact_item(self, key: Any, value: Any, depth: int) -> Any:
        if is_secret_key(key) and value not in (None, "", [], {}):
            return REDACTED
        return self.redact(value, depth + 1)

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        return {k: self._redact_item(k, v, 0) for k, v in event_dict.items()}


#: The process-wide redactor every log line passes through.
REDACTOR = Redactor()


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler configure_logging installs (so a second call replaces it)."""


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def configure_logging(
    level: str = "info",
    fmt: str = "auto",
    *,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> None:
    """Route structlog and stdlib logging (aiohttp's access log included) through one redacting renderer.

    ``fmt``: ``json``, ``console``, or ``auto`` (console when the stream is a TTY). Safe to call again.
    """
    out = sys.stderr if stream is None else stream
    REDACTOR.add_values(secrets)
    console = fmt == "console" or (fmt == "auto" and out.isatty())
    renderer: Processor = (
        structlog.dev.ConsoleRenderer(colors=out.isatty()) if console else structlog.processors.JSONRenderer()
    )
    shared = _shared_processors()
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,  # tracebacks become text, so the redactor sees them
            REDACTOR,
            renderer,
        ],
    )
    handler = _OurHandler(out)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in root.handlers[:]:
        if isinstance(old, _OurHandler):  # reconfiguring replaces ours; other handlers are left alone
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger


class TaskLike(Protocol):
    @property
    def task_id(self) -> str: ...
    @property
    def app_id(self) -> str: ...
    @property
    def channel(self) -> str: ...


def _task_fields(task: TaskLike | None, task_id: str | None, app_id: str | None, channel: str | None) -> dict[str, Any]:
    if task is not None:
        return {"task_id": task.task_id, "app_id": task.app_id, "channel": task.channel}
    return {"task_id": task_id, "app_id": app_id, "channel": channel}


def bind_task(
    logger: structlog.stdlib.BoundLogger,
    task: TaskLike | None = None,
    *,
    task_id: str | None = None,
    app_id: str | None = None,
    channel: str | None = None,
) -> structlog.stdlib.BoundLogger:
    """``logger`` with task_id, app_id and channel bound (from ``task`` or the keywords)."""
    return logger.bind(**_task_fields(task, task_id, app_id, channel))


@contextmanager
def task_log_context(
    task: TaskLike | None = None,
    *,
    task_id: str | None = None,
    app_id: str | None = None,
    channel: str | None = None,
) -> Iterator[None]:
    """Every line logged inside (and by asyncio tasks created inside) carries the task's three fields."""
    with structlog.contextvars.bound_contextvars(**_task_fields(task, task_id, app_id, channel)):
        yield
