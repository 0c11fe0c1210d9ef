"""The OpenAPI document served at /openapi.json matches the app's routes and the validating models."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis

from rtc_egress.api.app import create_app
from rtc_egress.api.openapi import build_openapi
from rtc_egress.runtime.config import ApiConfig
from rtc_egress.tasks.store import TaskStore
from rtc_egress.tasks.validation import StartRequest
from tests.support.api_server import RunningApi, running_api


@pytest.fixture
async def spec(redis: aioredis.Redis) -> AsyncIterator[dict[str, Any]]:
    api: RunningApi
    async with running_api(redis) as api, aiohttp.ClientSession() as s, s.get(api.url + "/openapi.json") as resp:
        assert resp.status == 200 and resp.content_type == "application/json"
        yield await resp.json()


def app_routes(redis: aioredis.Redis) -> set[tuple[str, str]]:
    app = create_app(store=TaskStore(redis), api=ApiConfig(), region="global")
    out = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        out.add((route.method.lower(), info.get("formatter") or info.get("path")))
    return out


def spec_routes(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method, path) for path, ops in spec["paths"].items() for method in ops}


async def test_every_route_is_documented_and_every_documented_path_is_a_route(
    redis: aioredis.Redis, spec: dict[str, Any]
) -> None:
    served = app_routes(redis)
    documented = spec_routes(spec)
    assert served - documented == set(), "routes missing from the OpenAPI document"
    assert documented - served == set(), "documented paths the app does not serve"
    assert ("post", "/egress/v1/{app_id}/tasks/{task_id}/status") in served  # the upstream routes are there


def test_upstream_routes_are_in_the_document() -> None:
    paths = build_openapi()["paths"]
    assert "post" in paths["/egress/v1/{app_id}/tasks"]
    assert "post" in paths["/egress/v1/{app_id}/tasks/{task_id}/stop"]
    assert "post" in paths["/egress/v1/{app_id}/tasks/{task_id}/status"]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


async def test_every_reference_resolves(spec: dict[str, Any]) -> None:
    refs = _refs(spec)
    assert refs
    schemas = spec["components"]["schemas"]
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in schemas, ref


async def test_request_bodies_are_the_validating_models(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    start_body = spec["paths"]["/egress/v1/{app_id}/tasks"]["post"]["requestBody"]["content"]["application/json"]
    name = start_body["schema"]["$ref"].rsplit("/", 1)[1]
    assert name == "StartRequest"
    start = schemas["StartRequest"]
    assert set(start["required"]) == {"request_id", "cmd", "payload"}
    assert start["properties"]["request_id"]["pattern"] == StartRequest.model_fields["request_id"].metadata[0].pattern
    payload = schemas["Payload"]
    assert payload["additionalProperties"] is False
    width = schemas["Video"]["properties"]["width"]
    assert width["anyOf"][0] == {"maximum": 3840, "minimum": 16, "multipleOf": 2, "type": "integer"}
    assert width["x-rule"] == "must be an even number between 16 and 3840"
    assert set(schemas["Audio"]["properties"]["sampleRate"]["anyOf"][0]["enum"]) == {
        8000, 16000, 22050, 24000, 32000, 44100, 48000,
    }  # fmt: skip


async def test_every_operation_documents_its_errors_and_auth(spec: dict[str, Any]) -> None:
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert "200" in op["responses"], (method, path)
            if path.startswith("/egress/"):
                assert "401" in op["responses"] and "400" in op["responses"], (method, path)
                assert "security" not in op  # the global bearerAuth applies
            else:
                assert op["security"] == []
    start = spec["paths"]["/egress/v1/{app_id}/tasks"]["post"]["responses"]
    assert {"409", "413", "415"} <= set(start)
    query = {p["name"]: p for p in spec["paths"]["/egress/v1/{app_id}/tasks"]["get"]["parameters"]}
    assert set(query) == {"app_id", "state", "channel", "cmd", "limit", "cursor"}
    assert query["limit"]["schema"] == {
        "default": 50, "description": query["limit"]["schema"]["description"], "maximum": 200, "minimum": 1,
        "type": "integer", "x-rule": "must be an integer between 1 and 200",
    }  # fmt: skip


async def test_the_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation import OpenAPIV31SpecValidator

    assert spec["openapi"].startswith("3.1")
    validate(spec, cls=OpenAPIV31SpecValidator)  # raises with the offending path if not
