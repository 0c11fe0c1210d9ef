"""The task routes: one table (method, path, handler, models) that both the app and the OpenAPI document use."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from rtc_egress.api import schemas
from rtc_egress.api.errors import ApiError, json_response
from rtc_egress.api.metrics import ApiMetrics
from rtc_egress.tasks.errors import ChannelBusy
from rtc_egress.tasks.store import StopOutcome, TaskStore
from rtc_egress.tasks.validation import (
    APP_ID_PATTERN,
    TASK_ID_PATTERN,
    EventsQuery,
    IdRequest,
    ListQuery,
    StartRequest,
    TaskPath,
    field_errors,
)

_APP_ID = re.compile(APP_ID_PATTERN)
_TASK_ID = re.compile(TASK_ID_PATTERN)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
M = TypeVar("M", bound=BaseModel)

#: The request_id of the request being handled, once known (each request runs in its own task and context),
#: so that errors raised later (e.g. Redis down) still echo it.
CURRENT_REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)

TASKS = "/egress/v1/{app_id}/tasks"
TASK = TASKS + "/{task_id}"


@dataclass(frozen=True, slots=True)
class RouteSpec:
    method: str
    path: str
    handler: str  # attribute name on TaskRoutes
    summary: str
    response: type[BaseModel]
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    auth: bool = True


_BODY_ERRORS = (400, 401, 413, 415)
ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec(
        "POST", TASKS, "start", "Start a task (idempotent per request_id)", schemas.StartResponse,
        body=StartRequest, errors=(*_BODY_ERRORS, 409),
    ),
    RouteSpec(
        "GET", TASKS, "list", "List the app's tasks, newest first", schemas.TaskList,
        query=ListQuery, errors=(400, 401),
    ),
    RouteSpec(
        "POST", TASK + "/stop", "stop", "Stop a task", schemas.StopResponse,
        body=IdRequest, errors=(*_BODY_ERRORS, 404),
    ),
    RouteSpec(
        "POST", TASK + "/status", "status", "A task's state, payload and files (upstream form)", schemas.TaskView,
        body=IdRequest, errors=(*_BODY_ERRORS, 404),
    ),
    RouteSpec("GET", TASK, "get", "A task's state, payload and files", schemas.TaskView, errors=(400, 401, 404)),
    RouteSpec(
        "GET", TASK + "/events", "events", "A task's event history", schemas.EventList,
        query=EventsQuery, errors=(400, 401, 404),
    ),
    RouteSpec("GET", "/openapi.json", "openapi", "This document (OpenAPI 3.1)", BaseModel, auth=False),
)  # fmt: skip

_STOP_WORDS: dict[StopOutcome, tuple[str, str]] = {
    StopOutcome.STOPPED: ("enqueued", "Task {id} stopped before it started"),
    StopOutcome.STOPPING: ("enqueued", "Stop task enqueued for task {id}"),
    StopOutcome.ALREADY_STOPPING: ("enqueued", "Stop already in progress for task {id}; the worker was told again"),
    StopOutcome.ALREADY_TERMINAL: ("completed", "Task already in terminal state: {state}"),
}


class TaskRoutes:
    """Handlers of the task API. Every failure is raised as ApiError and answered by the app's middleware."""

    def __init__(
        self, store: TaskStore, *, region: str, max_body_bytes: int, metrics: ApiMetrics, openapi: dict[str, Any]
    ) -> None:
        self.store = store
        self.region = region
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics
        self._openapi = json.dumps(openapi).encode()

    # --- request parsing ------------------------------------------------------------------------------------
    @staticmethod
    def _path(request: web.Request) -> tuple[str, str]:
        info = request.match_info
        app_id, task_id = info["app_id"], info.get("task_id")
        if _APP_ID.fullmatch(app_id) and (task_id is None or _TASK_ID.fullmatch(task_id)):
            return app_id, task_id or ""  # the common case, without building a model
        try:
            TaskPath.model_validate({"app_id": app_id, "task_id": task_id})
        except ValidationError as exc:
            raise ApiError.invalid(field_errors(exc, TaskPath)) from None
        return app_id, task_id or ""

    async def _body(self, request: web.Request, model: type[M]) -> M:
        """The JSON body validated by ``model``: 413 too large, 415 not JSON, 400 invalid."""
        if request.content_length is not None and request.content_length > self.max_body_bytes:
            raise ApiError(413, f"body: must be at most {self.max_body_bytes} bytes")
        if request.content_type != "application/json":
            raise ApiError(415, "content-type: must be application/json")
        raw = await request.read()  # also enforces the limit on bodies without a Content-Length (413)
        try:
            return model.model_validate_json(raw)
        except ValidationError as exc:
            rid = _request_id_of(raw)
            CURRENT_REQUEST_ID.set(rid)
            raise ApiError.invalid(field_errors(exc, model), rid) from None

    @staticmethod
    def _query(request: web.Request, model: type[M]) -> M:
        try:
            return model.model_validate(dict(request.query))
        except ValidationError as exc:
            raise ApiError.invalid(field_errors(exc, model)) from None

    # --- handlers ---------------------------------------------------------------------------------------------
    async def start(self, request: web.Request) -> web.Response:
        app_id, _ = self._path(request)
        body = await self._body(request, StartRequest)
        rid = body.request_id
        CURRENT_REQUEST_ID.set(rid)
        payload = body.payload
        stored = payload.stored(app_id)
        kind = payload.kind
        try:
            result = await self.store.create(
                app_id=app_id,
                request_id=rid,
                cmd=body.cmd,
                kind=kind,
                region=payload.region or self.region,
                channel=payload.channel or "",
                payload=stored,
            )
        except ChannelBusy as busy:
            raise ApiError(
                409,
                f"payload.channel: {busy.channel} already has an active {busy.cmd} task {busy.task_id}",
                task_id=busy.task_id,
            ) from None
        if result.created:
            self.metrics.created(body.cmd, kind.value)
        elif result.existing is not None and (result.existing.cmd != body.cmd or result.existing.payload != stored):
            raise ApiError(
                409,
                f"request_id: {rid} was already used for task {result.task_id} with a different cmd or payload",
                task_id=result.task_id,
            )
        return json_response({"request_id": rid, "task_id": result.task_id, "status": "enqueued"})

    async def stop(self, request: web.Request) -> web.Response:
        app_id, task_id = self._path(request)
        body = await self._body(request, IdRequest)
        CURRENT_REQUEST_ID.set(body.request_id)
        result = await self.store.stop(app_id, task_id, body.request_id)
        status, message = _STOP_WORDS[result.outcome]
        return json_response(
            {
                "request_id": body.request_id,
                "task_id": task_id,
                "status": status,
                "message": message.format(id=task_id, state=result.task.state.value),
                "state": result.task.state.value,
            }
        )

    async def status(self, request: web.Request) -> web.Response:
        app_id, task_id = self._path(request)
        body = await self._body(request, IdRequest)
        CURRENT_REQUEST_ID.set(body.request_id)
        return json_response(await self._task_view(app_id, task_id, body.request_id))

    async def get(self, request: web.Request) -> web.Response:
        app_id, task_id = self._path(request)
        return json_response(await self._task_view(app_id, task_id, None))

    async def _task_view(self, app_id: str, task_id: str, request_id: str | None) -> dict[str, Any]:
        task = await self.store.get_for_app(app_id, task_id)
        return schemas.task_view(task, await self.store.files(task_id), request_id)

    async def list(self, request: web.Request) -> web.Response:
        app_id, _ = self._path(request)
        q = self._query(request, ListQuery)
        try:
            page = await self.store.list(
                app_id, state=q.state, channel=q.channel, cmd=q.cmd, limit=q.limit, cursor=q.cursor
            )
        except ValueError as exc:
            if not str(exc).startswith("cursor"):
                raise
            raise ApiError(400, "cursor: must be a cursor returned by a previous page") from None
        return json_response({"tasks": [schemas.task_summary(t) for t in page.tasks], "next_cursor": page.next_cursor})

    async def events(self, request: web.Request) -> web.Response:
        app_id, task_id = self._path(request)
        q = self._query(request, EventsQuery)
        await self.store.get_for_app(app_id, task_id)  # 404 for an unknown task or another app's
        events = await self.store.events(task_id, after_seq=q.after, limit=q.limit)
        return json_response(
            {
                "task_id": task_id,
                "events": [schemas.event_view(e) for e in events],
                "next_after": events[-1].seq if events else q.after,
            }
        )

    async def openapi(self, request: web.Request) -> web.Response:
        return web.Response(body=self._openapi, content_type="application/json")


def _request_id_of(raw: bytes) -> str | None:
    """The request_id of a body that failed validation, to echo it in the error (if there is one)."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    rid = data.get("request_id") if isinstance(data, dict) else None
    return rid if isinstance(rid, str) and len(rid) <= 64 else None
