"""API errors: one exception type carrying the HTTP status, turned into ``{"error", "request_id"}`` JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from rtc_egress.tasks.validation import FieldError


def json_response(body: Mapping[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """Compact JSON, the one way every route and error of the API answers."""
    return web.Response(
        status=status,
        body=json.dumps(body, separators=(",", ":")).encode(),
        content_type="application/json",
        headers=headers,
    )


class ApiError(Exception):
    """An error answered to the caller as JSON; ``extra`` adds fields (e.g. the running ``task_id`` on 409)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        request_id: str | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.request_id = request_id
        self.errors = errors
        self.headers = headers
        self.extra = extra

    @classmethod
    def invalid(cls, errors: list[FieldError], request_id: str | None = None) -> ApiError:
        """400 naming every field that broke a rule."""
        return cls(400, "; ".join(str(e) for e in errors), request_id=request_id, errors=errors)

    def body(self, request_id: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.message, "request_id": self.request_id or request_id}
        if self.errors:
            out["errors"] = [{"field": e.field, "message": e.message} for e in self.errors]
        out.update(self.extra)
        return out
