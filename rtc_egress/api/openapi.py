"""The OpenAPI 3.1 document, generated from the route table and the pydantic models that validate requests."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from rtc_egress import __version__
from rtc_egress.api.routes import ROUTES, RouteSpec
from rtc_egress.api.schemas import ErrorResponse
from rtc_egress.tasks.validation import TaskPath

_REF = "#/components/schemas/{model}"
_STATUS_TEXT = {
    400: "Invalid request: the error names the field and the rule",
    401: "Missing or invalid bearer token",
    404: "No such task for this app_id",
    409: "Conflict: the channel already has an active task of this cmd, or the request_id was used for another task",
    413: "Body larger than api.max_body_bytes",
    415: "Content-Type is not application/json",
}


def build_openapi(routes: tuple[RouteSpec, ...] = ROUTES) -> dict[str, Any]:
    models: list[tuple[type[BaseModel], Any]] = [(ErrorResponse, "serialization")]
    for r in routes:
        if r.body is not None:
            models.append((r.body, "validation"))
        if r.query is not None:
            models.append((r.query, "validation"))  # so the enums its parameters refer to are in components
        if r.response is not BaseModel:
            models.append((r.response, "serialization"))
    refs, defs = models_json_schema(models, ref_template=_REF)
    error_ref = refs[(ErrorResponse, "serialization")]
    path_params = TaskPath.model_json_schema()["properties"]

    paths: dict[str, dict[str, Any]] = {}
    for r in routes:
        op: dict[str, Any] = {"operationId": r.handler, "summary": r.summary}
        params = [
            {"name": name, "in": "path", "required": True, "schema": _param_schema(path_params[name])}
            for name in re.findall(r"{(\w+)}", r.path)
        ]
        if r.query is not None:
            query_schema = r.query.model_json_schema(ref_template=_REF)["properties"]
            params += [
                {"name": name, "in": "query", "required": False, "schema": _param_schema(s)}
                for name, s in query_schema.items()
            ]
        if params:
            op["parameters"] = params
        if r.body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(r.body, "validation")]}},
            }
        ok: dict[str, Any] = {"description": "OK"}
        if r.response is BaseModel:
            ok["content"] = {"application/json": {"schema": {"type": "object"}}}
        else:
            ok["content"] = {"application/json": {"schema": refs[(r.response, "serialization")]}}
        responses: dict[str, Any] = {"200": ok}
        for status in r.errors:
            responses[str(status)] = {
                "description": _STATUS_TEXT[status],
                "content": {"application/json": {"schema": error_ref}},
            }
        op["responses"] = responses
        if not r.auth:
            op["security"] = []
        paths.setdefault(r.path, {})[r.method.lower()] = op

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "rtc-egress task API",
            "version": __version__,
            "description": "Record real-time channels and web pages. Upstream-compatible routes plus extensions.",
        },
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearerAuth": []}],
    }


def _param_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema without pydantic's title; an optional one is given by leaving it out, not as null."""
    out = {k: v for k, v in schema.items() if k != "title"}
    if "anyOf" in out:
        branches = [b for b in out.pop("anyOf") if b.get("type") != "null"]
        if len(branches) == 1:
            out.update(branches[0])
            if out.get("default", 0) is None:
                del out["default"]
        else:
            out["anyOf"] = branches
    return out
