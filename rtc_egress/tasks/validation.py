"""Request bodies of the task API and the task payload, as pydantic models.

The same models validate API requests, re-validate stored payloads when a worker claims a task, and generate
the OpenAPI document. Every constrained field carries its rule as text (``x-rule`` in its JSON schema), and
:func:`field_errors` reports a failure as ``<field path>: <rule>`` whatever pydantic's own wording, e.g.
``payload.video.width: must be an even number between 16 and 3840``.

Numbers are strict (``true`` is not 1, ``"42"`` is not 42): the hot path validates JSON bytes in pydantic-core,
and only the few cross-field rules run in Python.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    JsonValue,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError, PydanticUndefined

from rtc_egress.tasks.model import TaskCmd, TaskKind, TaskState

# --- patterns (pydantic-core's regex engine: no look-around) --------------------------------------------------
REQUEST_ID_PATTERN = r"^[0-9a-zA-Z]{1,32}$"
CHANNEL_PATTERN = r"^[a-zA-Z0-9_\-.]{1,64}$"
USER_ID_PATTERN = r"^[a-zA-Z0-9_\-]{1,32}$"
APP_ID_PATTERN = r"^[a-zA-Z0-9_\-.]{1,64}$"
TASK_ID_PATTERN = r"^[0-9a-f]{16}$"
REGION_PATTERN = r"^[a-z0-9][a-z0-9-]{0,31}$"
HTTP_URL_PATTERN = r"^[hH][tT][tT][pP][sS]?://[^\s/?#]+[^\s]*$"
#: Inputs of the ``url`` source: anything libavformat reads over these protocols, or an absolute path.
MEDIA_URL_PATTERN = r"^(?:(?:[hH][tT][tT][pP][sS]?|rtmps?|rtsps?|srt|udp|tcp|file)://\S+|/\S*)$"
FILENAME_PLACEHOLDERS = ("task_id", "channel", "uid", "date", "time", "index", "part")
FILENAME_PATTERN = r"^(?:[A-Za-z0-9_\-.]|\{(?:" + "|".join(FILENAME_PLACEHOLDERS) + r")\}){1,128}$"
UNSUPPORTED_CMDS = frozenset({"rtmp", "whip"})

_RULE_KEY = "x-rule"
_CHARS_USER = "a-z, A-Z, 0-9, _ and -"


def ruled(
    rule: str, default: Any = PydanticUndefined, *, doc: str, schema: dict[str, Any] | None = None, **constraints: Any
) -> Any:
    """A pydantic ``Field`` that knows its rule: shown in the schema and used as the error message."""
    extra: dict[str, Any] = {_RULE_KEY: rule, **(schema or {})}
    return Field(default, description=f"{doc}; {rule}", json_schema_extra=extra, **constraints)


def _rule_error(field: str, rule: str) -> PydanticCustomError:
    """A cross-field error, reported as ``<model path>.<field>: <rule>``."""
    return PydanticCustomError("field_rule", "{rule}", {"field": field, "rule": rule})


def _user_list(value: Any) -> Any:
    """Upstream sends users as a list or as a single string; numeric uids are accepted as strings."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
    return value


UserId = Annotated[str, Field(pattern=USER_ID_PATTERN)]
UserList = Annotated[list[UserId], BeforeValidator(_user_list)]
_USERS_RULE = f"must be a list of at most 32 user ids, each 1-32 characters of {_CHARS_USER}"
_EVEN_W = "must be an even number between 16 and 3840"
_EVEN_H = "must be an even number between 16 and 2160"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _finite(value: Any) -> Any:
    """Free-form JSON kept in the task must stay JSON: no NaN or Infinity (the parser accepts them)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, float) and not math.isfinite(v):
            raise PydanticCustomError("rule", "must not contain NaN or Infinity")
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return value


#: Free-form JSON passed through to a worker (upstream options, recorder scripting keys).
FreeJson = Annotated[JsonValue, AfterValidator(_finite)]


def _int_only(value: Any) -> Any:
    """Integer literals match ``true`` and ``2.0`` in pydantic; the API wants a JSON integer."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError("not an integer")
    return value


_INT_ONLY = BeforeValidator(_int_only)


class Video(_Model):
    width: int | None = ruled(_EVEN_W, None, doc="output width in pixels", ge=16, le=3840, multiple_of=2, strict=True)
    height: int | None = ruled(_EVEN_H, None, doc="output height in pixels", ge=16, le=2160, multiple_of=2, strict=True)
    frameRate: int | None = ruled(
        "must be an integer between 1 and 60", None, doc="frames per second", ge=1, le=60, strict=True
    )
    bitrate: int | None = ruled(
        "must be an integer between 50 and 20000", None, doc="video bitrate in kbps", ge=50, le=20000, strict=True
    )


class Audio(_Model):
    sampleRate: Annotated[Literal[8000, 16000, 22050, 24000, 32000, 44100, 48000] | None, _INT_ONLY] = ruled(
        "must be one of 8000, 16000, 22050, 24000, 32000, 44100, 48000", None, doc="sample rate in Hz"
    )
    channels: Annotated[Literal[1, 2] | None, _INT_ONLY] = ruled("must be 1 or 2", None, doc="1 = mono, 2 = stereo")
    bitrate: int | None = ruled(
        "must be an integer between 16 and 512", None, doc="audio bitrate in kbps", ge=16, le=512, strict=True
    )


_UNIT = "must be a number between 0 and 1"


class Region(_Model):
    """Where one user's video goes on the canvas (layout ``customized``); fractions of the canvas size."""

    uid: str = ruled(f"must be 1-32 characters of {_CHARS_USER}", doc="user id", pattern=USER_ID_PATTERN)
    x: float = ruled(_UNIT, doc="left edge", ge=0, le=1, strict=True)
    y: float = ruled(_UNIT, doc="top edge", ge=0, le=1, strict=True)
    w: float = ruled("must be a number greater than 0 and at most 1", doc="width", gt=0, le=1, strict=True)
    h: float = ruled("must be a number greater than 0 and at most 1", doc="height", gt=0, le=1, strict=True)
    z: int = ruled("must be an integer between 0 and 100", 0, doc="stacking order", ge=0, le=100, strict=True)

    @model_validator(mode="after")
    def _fits(self) -> Region:
        if self.x + self.w > 1.000001:
            raise _rule_error("w", "x + w must be at most 1 (the region must fit in the canvas)")
        if self.y + self.h > 1.000001:
            raise _rule_error("h", "y + h must be at most 1 (the region must fit in the canvas)")
        return self


_SECONDS = "must be a number between 0 and 86400"


class SyntheticUser(BaseModel):
    """One scripted user of the ``synthetic`` source; further scripting keys are passed to the recorder as is."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)
    __pydantic_extra__: dict[str, FreeJson] = Field(init=False)

    uid: str = ruled(f"must be 1-32 characters of {_CHARS_USER}", doc="user id", pattern=USER_ID_PATTERN)
    join_at_s: float | None = ruled(_SECONDS, None, doc="joins at this source time", ge=0, le=86400, strict=True)
    leave_at_s: float | None = ruled(_SECONDS, None, doc="leaves at this source time", ge=0, le=86400, strict=True)
    video: bool | None = ruled("must be true or false", None, doc="publishes video", strict=True)
    audio: bool | None = ruled("must be true or false", None, doc="publishes audio", strict=True)
    width: int | None = ruled(_EVEN_W, None, doc="source width", ge=16, le=3840, multiple_of=2, strict=True)
    height: int | None = ruled(_EVEN_H, None, doc="source height", ge=16, le=2160, multiple_of=2, strict=True)

    @model_validator(mode="after")
    def _leaves_after_join(self) -> SyntheticUser:
        if self.leave_at_s is not None and self.leave_at_s <= (self.join_at_s or 0):
            raise _rule_error("leave_at_s", "must be later than join_at_s")
        return self


class UrlInput(_Model):
    uid: str = ruled(f"must be 1-32 characters of {_CHARS_USER}", doc="user id", pattern=USER_ID_PATTERN)
    url: str = ruled(
        "must be an absolute path or a http, https, rtmp, rtmps, rtsp, rtsps, srt, udp, tcp or file URL "
        "without whitespace, at most 2048 characters",
        doc="media input read with libavformat",
        max_length=2048,
        pattern=MEDIA_URL_PATTERN,
    )


#: Tags of the discriminated unions above; pydantic puts them in an error's location, the path leaves them out.
_UNION_TAGS = frozenset({"count", "list"})


def _synthetic_users_tag(value: Any) -> str:
    return "list" if isinstance(value, list) else "count"


SyntheticUsers = Annotated[
    Annotated[int, Tag("count"), Field(ge=1, le=32, strict=True)]
    | Annotated[list[SyntheticUser], Tag("list"), Field(min_length=1, max_length=32)],
    Discriminator(_synthetic_users_tag),
]


class Source(_Model):
    """Where the media comes from: the Agora channel (default), synthetic test users or media URLs."""

    type: Literal["agora", "synthetic", "url"] = ruled(
        "must be one of agora, synthetic, url", "agora", doc="source type"
    )
    users: SyntheticUsers | None = ruled(
        "must be a number of users between 1 and 32, or a list of 1 to 32 users {uid, join_at_s, leave_at_s, "
        "video, audio, width, height}",
        None,
        doc="synthetic users (type synthetic only)",
    )
    inputs: list[UrlInput] | None = ruled(
        "must be a list of 1 to 32 inputs {uid, url}",
        None,
        doc="media inputs (type url only)",
        min_length=1,
        max_length=32,
    )

    @model_validator(mode="after")
    def _fields_of_type(self) -> Source:
        if self.type == "synthetic" and self.users is None:
            raise _rule_error("users", "is required when type is synthetic")
        if self.type == "url" and not self.inputs:
            raise _rule_error("inputs", "is required when type is url")
        if self.type != "synthetic" and self.users is not None:
            raise _rule_error("users", "is only allowed when type is synthetic")
        if self.type != "url" and self.inputs is not None:
            raise _rule_error("inputs", "is only allowed when type is url")
        if self.inputs is not None:
            uids = [i.uid for i in self.inputs]
            if len(set(uids)) != len(uids):
                raise _rule_error("inputs", "each input must have a distinct uid")
        return self


def _no_parent_dir(value: str | None) -> str | None:
    if value is not None and ".." in value:
        raise PydanticCustomError("rule", "must not contain '..'")
    return value


_HTTP_URL_RULE = "must be a http or https URL without whitespace, at most {n} characters"


class Payload(_Model):
    """What to record and how. Field names follow the upstream API; the rest are rtc-egress extensions."""

    layout: Literal["flat", "grid", "spotlight", "customized", "freestyle"] = ruled(
        "must be one of flat, grid, spotlight, customized, freestyle",
        "flat",
        doc="composition; freestyle records the web page in url",
    )
    mode: Literal["composite", "individual"] = ruled(
        "must be composite or individual", "composite", doc="one mixed output, or one output per user"
    )
    channel: str | None = ruled(
        "must be 1-64 characters of a-z, A-Z, 0-9, _, - and .",
        None,
        doc="RTC channel; required for native tasks",
        pattern=CHANNEL_PATTERN,
    )
    access_token: str | None = ruled(
        "must be a string of 10 to 512 characters",
        None,
        doc="RTC token; required with the agora source; stored for the recorder, never returned",
        min_length=10,
        max_length=512,
    )
    workerUid: int | None = ruled(
        "must be an integer between 1 and 999999999",
        None,
        doc="uid the recorder joins with; required with the agora source",
        ge=1,
        le=999_999_999,
        strict=True,
    )
    users: UserList | None = ruled(
        _USERS_RULE, None, doc="users to record (a single id is accepted too); none = everyone", max_length=32
    )
    uid: UserList | None = ruled(
        _USERS_RULE, None, doc="deprecated upstream alias of users", max_length=32, schema={"deprecated": True}
    )
    format: Literal["mp4", "hls"] | None = ruled("must be mp4 or hls", None, doc="record output; default mp4")
    filename_pattern: Annotated[str | None, AfterValidator(_no_parent_dir)] = ruled(
        "must be 1-128 characters of a-z, A-Z, 0-9, _, - and . with the placeholders "
        + " ".join("{" + p + "}" for p in FILENAME_PLACEHOLDERS)
        + ", and no '/' or '..'",
        None,
        doc="output file name without extension",
        pattern=FILENAME_PATTERN,
    )
    interval_in_ms: int | None = ruled(
        "must be an integer between 1000 and 300000",
        None,
        doc="snapshot interval",
        ge=1000,
        le=300_000,
        strict=True,
    )
    video: Video | None = ruled("must be an object {width, height, frameRate, bitrate}", None, doc="video output")
    audio: Audio | None = ruled("must be an object {sampleRate, channels, bitrate}", None, doc="audio output")
    regions: list[Region] | None = ruled(
        "must be a list of 1 to 32 regions {uid, x, y, w, h, z}",
        None,
        doc="user placement for layout customized",
        min_length=1,
        max_length=32,
    )
    background: str | None = ruled(
        "must be a colour #rrggbb", None, doc="canvas background colour", pattern=r"^#[0-9a-fA-F]{6}$"
    )
    url: str | None = ruled(
        _HTTP_URL_RULE.format(n=2048),
        None,
        doc="web page to record (a web task)",
        max_length=2048,
        pattern=HTTP_URL_PATTERN,
    )
    max_duration_s: int | None = ruled(
        "must be an integer between 1 and 86400", None, doc="stop after this long", ge=1, le=86400, strict=True
    )
    idle_timeout_s: int | None = ruled(
        "must be an integer between 1 and 86400",
        None,
        doc="stop after nobody published for this long",
        ge=1,
        le=86400,
        strict=True,
    )
    hls_segment_s: int | None = ruled(
        "must be an integer between 1 and 60", None, doc="HLS segment length", ge=1, le=60, strict=True
    )
    mp4_max_file_s: int | None = ruled(
        "must be an integer between 10 and 86400",
        None,
        doc="start a new MP4 file after this long",
        ge=10,
        le=86400,
        strict=True,
    )
    region: str | None = ruled(
        "must be 1-32 characters of a-z, 0-9 and -, starting with a letter or digit",
        None,
        doc="queue region; default: the API instance's region",
        pattern=REGION_PATTERN,
    )
    source: Source = ruled(
        "must be an object {type, users, inputs}",
        doc="where media comes from (native tasks); default agora",
        default_factory=Source,
    )
    webhook_url: str | None = ruled(
        _HTTP_URL_RULE.format(n=2048),
        None,
        doc="also notify this endpoint about this task",
        max_length=2048,
        pattern=HTTP_URL_PATTERN,
    )
    # Upstream keys: accepted so today's clients keep working.
    app_id: FreeJson = Field(None, description="upstream; replaced by the app_id of the path")
    webGL: FreeJson = Field(None, description="upstream web recorder option; kept")
    web_recorder: FreeJson = Field(None, description="upstream web recorder options; kept")
    freestyleCanvasUrl: str | None = ruled(
        _HTTP_URL_RULE.format(n=1024),
        None,
        doc="upstream canvas URL; kept",
        max_length=1024,
        pattern=HTTP_URL_PATTERN,
    )
    task_id: FreeJson = Field(None, description="upstream; ignored")

    @model_validator(mode="after")
    def _cross_field_rules(self) -> Payload:
        if self.uid is not None:
            if self.users is not None:
                raise _rule_error("uid", "is a deprecated alias of users; send only users")
            self.users, self.uid = self.uid, None
        if self.layout == "customized" and not self.regions:
            raise _rule_error("regions", "is required when layout is customized")
        if self.regions is not None and self.layout != "customized":
            raise _rule_error("regions", "is only allowed when layout is customized")
        if self.layout == "freestyle" and not self.url:
            raise _rule_error("url", "is required when layout is freestyle (the web page to record)")
        if self.kind is TaskKind.WEB:
            if self.source.type != "agora":
                raise _rule_error("source", "only applies to native tasks (a web task records payload.url)")
            return self
        if not self.channel:
            raise _rule_error("channel", "is required for native tasks")
        if self.source.type == "agora":
            if not self.access_token:
                raise _rule_error("access_token", "is required with the agora source")
            if self.workerUid is None:
                raise _rule_error("workerUid", "is required with the agora source")
        return self

    @property
    def kind(self) -> TaskKind:
        """Web when the layout is freestyle or a page url is given; native otherwise."""
        return TaskKind.WEB if self.layout == "freestyle" or self.url else TaskKind.NATIVE

    def stored(self, app_id: str) -> dict[str, Any]:
        """The payload as kept in the task: normalized, defaults filled, ``app_id`` from the path."""
        out = self.model_dump(mode="json", exclude_none=True, exclude={"task_id", "uid", "app_id"})
        out["app_id"] = app_id
        return out


def _supported_cmd(value: Any) -> Any:
    if isinstance(value, str) and value in UNSUPPORTED_CMDS:
        raise PydanticCustomError("rule", "{cmd} is not supported (supported: record, snapshot)", {"cmd": value})
    return value


_REQUEST_ID_RULE = "must be 1-32 characters of 0-9, a-z, A-Z"


class StartRequest(_Model):
    """Body of ``POST /egress/v1/{app_id}/tasks``."""

    request_id: str = ruled(
        _REQUEST_ID_RULE, doc="caller's idempotency key: the same one returns the same task", pattern=REQUEST_ID_PATTERN
    )
    cmd: Annotated[Literal["record", "snapshot"], BeforeValidator(_supported_cmd)] = ruled(
        "must be one of record, snapshot", doc="what to do"
    )
    action: str | None = Field(None, description='upstream; ignored (always "start")')
    task_id: str | None = Field(None, description="upstream; ignored")
    payload: Payload = ruled("must be an object", doc="what to record and how")

    @field_validator("payload", mode="before")
    @classmethod
    def _payload_present(cls, value: Any) -> Any:
        if value is None:
            raise PydanticCustomError("rule", "is required")
        return value


class IdRequest(BaseModel):
    """Body of the stop and status routes. Other keys are ignored, as upstream did."""

    model_config = ConfigDict(extra="ignore")

    request_id: str = ruled(_REQUEST_ID_RULE, doc="caller's request id, echoed back", pattern=REQUEST_ID_PATTERN)


class TaskPath(_Model):
    app_id: str = ruled("must be 1-64 characters of a-z, A-Z, 0-9, _, - and .", doc="app", pattern=APP_ID_PATTERN)
    task_id: str | None = ruled("must be 16 lowercase hex characters", None, doc="task", pattern=TASK_ID_PATTERN)


class ListQuery(_Model):
    """Query of ``GET /egress/v1/{app_id}/tasks``."""

    state: TaskState | None = ruled("must be one of " + ", ".join(TaskState), None, doc="only tasks in this state")
    channel: str | None = ruled(
        "must be 1-64 characters of a-z, A-Z, 0-9, _, - and .",
        None,
        doc="only tasks of this channel",
        pattern=CHANNEL_PATTERN,
    )
    cmd: TaskCmd | None = ruled("must be one of record, snapshot", None, doc="only tasks of this cmd")
    limit: int = ruled("must be an integer between 1 and 200", 50, doc="page size", ge=1, le=200)
    cursor: str | None = ruled(
        "must be a cursor returned by a previous page", None, doc="next_cursor of the previous page", max_length=256
    )


class EventsQuery(_Model):
    """Query of ``GET /egress/v1/{app_id}/tasks/{task_id}/events``."""

    after: int = ruled(
        "must be an integer between 0 and 1000000000", 0, doc="only events with a greater seq", ge=0, le=10**9
    )
    limit: int = ruled("must be an integer between 1 and 1000", 100, doc="at most this many", ge=1, le=1000)


# --- error reporting -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str  # dotted path, e.g. payload.users[3]; "" for the whole body
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def field_errors(exc: ValidationError, model: type[BaseModel], prefix: str = "") -> list[FieldError]:
    """Turn a pydantic error into ``<field path>: <rule>`` messages, one per problem."""
    out: list[FieldError] = []
    for err in exc.errors(include_url=False):
        path, rule = _walk(model, err["loc"])
        if prefix:
            path = f"{prefix}.{path}" if path else prefix
        etype = err["type"]
        ctx = err.get("ctx") or {}
        if etype == "field_rule":
            path = f"{path}.{ctx['field']}" if path else str(ctx["field"])
            message = str(ctx["rule"])
        elif etype == "rule":
            message = err["msg"]
        elif etype == "missing":
            message = "is required"
        elif etype == "extra_forbidden":
            message = "is not a known field"
        elif etype == "json_invalid":
            message = f"body is not valid JSON ({ctx.get('error', 'parse error')})"
        elif etype in ("model_type", "model_attributes_type", "dict_type") and rule is None:
            message = "must be a JSON object"
        elif rule is not None:
            message = rule
        else:
            message = err["msg"][:1].lower() + err["msg"][1:]
        out.append(FieldError(path, message))
    return out


def _walk(model: type[BaseModel], loc: tuple[int | str, ...]) -> tuple[str, str | None]:
    """The printable path of ``loc`` and the rule of the last field on it."""
    parts: list[str] = []
    rule: str | None = None
    current: type[BaseModel] | None = model
    for el in loc:
        if isinstance(el, int):
            if parts:
                parts[-1] += f"[{el}]"
            continue
        fields = current.model_fields if current is not None else {}
        if el in fields:
            info = fields[el]
            parts.append(el)
            extra = info.json_schema_extra
            rule = extra.get(_RULE_KEY) if isinstance(extra, dict) else None  # type: ignore[assignment]
            current = _model_in(info.annotation)
        elif el not in _UNION_TAGS:  # an unknown key, or an extra key of a model that allows them
            parts.append(el)
            rule, current = None, None
    return ".".join(parts), rule


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class a field's annotation holds (through Optional, list and Annotated), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is None and not isinstance(annotation, types.UnionType):
        return None
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
