"""The aiohttp application of the task API: routes from the route table behind one guard middleware.

The guard checks the bearer token, answers every error as ``{"error", "request_id"}`` JSON (aiohttp's own
404/405/413 included), turns unexpected exceptions into a logged 500 without a traceback, and records metrics.
One middleware instead of several keeps the hot path short.
"""

from __future__ import annotations

import time

from aiohttp import web
from prometheus_client import CollectorRegistry
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from rtc_egress.api.auth import TokenAuth
from rtc_egress.api.errors import ApiError, json_response
from rtc_egress.api.metrics import ApiMetrics
from rtc_egress.api.openapi import build_openapi
from rtc_egress.api.routes import CURRENT_REQUEST_ID, ROUTES, Handler, TaskRoutes
from rtc_egress.runtime.config import ApiConfig
from rtc_egress.runtime.logging import get_logger
from rtc_egress.tasks.errors import TaskNotFound
from rtc_egress.tasks.store import TaskStore

log = get_logger(__name__)

_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
ROUTES_KEY = web.AppKey("task_routes", TaskRoutes)


def create_app(
    *, store: TaskStore, api: ApiConfig, region: str, registry: CollectorRegistry | None = None
) -> web.Application:
    """The task API app. ``region`` is where tasks go when the payload names none."""
    metrics = ApiMetrics(registry if registry is not None else CollectorRegistry())
    auth = TokenAuth(api)
    routes = TaskRoutes(
        store, region=region, max_body_bytes=api.max_body_bytes, metrics=metrics, openapi=build_openapi()
    )

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        route = "unmatched"
        status = 500
        try:
            info = request.match_info
            if info.route.resource is not None:
                route = info.route.resource.canonical
            app_id = info.get("app_id")
            if app_id is not None and info.http_exception is None:
                auth.check(request.headers.get("Authorization"), app_id)
            response = await handler(request)
            status = response.status
            return response
        except ApiError as exc:
            status = exc.status
            return json_response(exc.body(CURRENT_REQUEST_ID.get()), status, exc.headers)
        except TaskNotFound as exc:  # unknown task, or a task of another app_id: the same answer
            status = 404
            return json_response({"error": str(exc), "request_id": CURRENT_REQUEST_ID.get()}, status)
        except web.HTTPException as exc:  # aiohttp's own: unknown route, wrong method, body too large
            status = exc.status
            body = {"error": _http_message(request, exc, api.max_body_bytes), "request_id": CURRENT_REQUEST_ID.get()}
            return json_response(body, status, _kept_headers(exc))
        except (RedisConnectionError, RedisTimeoutError) as exc:
            status = 503
            log.error("task store unavailable", error=str(exc), path=request.path)
            body = {"error": "task store unavailable; retry later", "request_id": CURRENT_REQUEST_ID.get()}
            return json_response(body, 503)
        except Exception:
            status = 500
            log.exception("unexpected error in the task API", method=request.method, route=route)
            return json_response({"error": "internal error", "request_id": CURRENT_REQUEST_ID.get()}, 500)
        finally:
            method = request.method if request.method in _METHODS else "other"
            metrics.observe(route, method, status, time.perf_counter() - started)

    app = web.Application(middlewares=[guard], client_max_size=api.max_body_bytes)
    app[ROUTES_KEY] = routes
    for spec in ROUTES:
        app.router.add_route(spec.method, spec.path, getattr(routes, spec.handler), name=spec.handler)
    return app


def _http_message(request: web.Request, exc: web.HTTPException, max_body_bytes: int) -> str:
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(exc.allowed_methods))
        return f"method {request.method} is not allowed on this path (allowed: {allowed})"
    if isinstance(exc, web.HTTPNotFound):
        return f"no route {request.path}"
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        return f"body: must be at most {max_body_bytes} bytes"
    return exc.reason


def _kept_headers(exc: web.HTTPException) -> dict[str, str] | None:
    allow = exc.headers.get("Allow")
    return {"Allow": allow} if allow else None
