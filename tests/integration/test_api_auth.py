"""Bearer-token auth of the task API: global tokens, per-app tokens, and the open mode without tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
import redis.asyncio as aioredis

from tests.support.api_server import ApiClient, RunningApi, running_api

GLOBAL = "global-token-abcdef0123456789"
APP1 = "app1-token-abcdef0123456789"


@pytest.fixture
async def api(redis: aioredis.Redis) -> AsyncIterator[RunningApi]:
    async with running_api(redis, api={"auth_tokens": [GLOBAL], "app_tokens": {"app1": [APP1]}}) as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def body(request_id: str, channel: str) -> dict[str, object]:
    payload = {"channel": channel, "source": {"type": "synthetic", "users": 2}}
    return {"request_id": request_id, "cmd": "record", "payload": payload}


async def test_global_token_works_for_every_app(api: RunningApi, session: aiohttp.ClientSession) -> None:
    client = ApiClient(session, api.url, token=GLOBAL)
    for app_id in ("app1", "app2"):
        reply = await client.call("POST", f"/egress/v1/{app_id}/tasks", body("r1", "c1"))
        assert reply.status == 200
        reply = await client.call("GET", f"/egress/v1/{app_id}/tasks/{reply.body['task_id']}")
        assert reply.status == 200


async def test_app_token_works_only_for_its_app(api: RunningApi, session: aiohttp.ClientSession) -> None:
    client = ApiClient(session, api.url, token=APP1)
    ok = await client.call("POST", "/egress/v1/app1/tasks", body("r1", "c1"))
    assert ok.status == 200
    for method, path, b in (
        ("POST", "/egress/v1/app2/tasks", body("r2", "c2")),
        ("GET", "/egress/v1/app2/tasks", None),
        ("GET", f"/egress/v1/app2/tasks/{ok.body['task_id']}", None),
    ):
        reply = await client.call(method, path, b)
        assert reply.status == 401, path
        assert reply.body["error"] == "authorization: the bearer token is not valid for this app_id"
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await api.store.list("app2")).tasks == []


@pytest.mark.parametrize(
    ("authorization", "error"),
    [
        (None, "authorization: a bearer token is required"),
        ("Basic dXNlcjpwYXNz", "authorization: a bearer token is required"),
        ("Bearer ", "authorization: a bearer token is required"),
        ("Bearer wrong-token", "authorization: the bearer token is not valid for this app_id"),
        (f"Bearer {GLOBAL}x", "authorization: the bearer token is not valid for this app_id"),
    ],
)
async def test_missing_or_wrong_token_is_401(
    api: RunningApi, session: aiohttp.ClientSession, authorization: str | None, error: str
) -> None:
    client = ApiClient(session, api.url)
    headers = {"Authorization": authorization} if authorization else {}
    for method, path, b in (
        ("POST", "/egress/v1/app1/tasks", body("r1", "c1")),
        ("POST", "/egress/v1/app1/tasks/0123456789abcdef/stop", {"request_id": "s1"}),
        ("POST", "/egress/v1/app1/tasks/0123456789abcdef/status", {"request_id": "s1"}),
        ("GET", "/egress/v1/app1/tasks/0123456789abcdef/events", None),
    ):
        reply = await client.call(method, path, b, headers=headers)
        assert reply.status == 401, path
        assert reply.body["error"] == error
        assert "WWW-Authenticate" in reply.headers
    assert (await api.store.list("app1")).tasks == []


async def test_401_comes_before_body_validation(api: RunningApi, session: aiohttp.ClientSession) -> None:
    client = ApiClient(session, api.url)
    reply = await client.call("POST", "/egress/v1/app1/tasks", data=b"not json", headers={"Content-Type": "text/plain"})
    assert reply.status == 401


async def test_openapi_document_needs_no_token(api: RunningApi, session: aiohttp.ClientSession) -> None:
    reply = await ApiClient(session, api.url).call("GET", "/openapi.json")
    assert reply.status == 200 and reply.body["openapi"].startswith("3.1")


async def test_without_tokens_the_api_is_open(redis: aioredis.Redis) -> None:
    async with running_api(redis) as api, aiohttp.ClientSession() as s:
        reply = await ApiClient(s, api.url).call("POST", "/egress/v1/app1/tasks", body("r1", "c1"))
        assert reply.status == 200


async def test_tokens_never_appear_in_responses(api: RunningApi, session: aiohttp.ClientSession) -> None:
    client = ApiClient(session, api.url, token=APP1)
    created = await client.call("POST", "/egress/v1/app1/tasks", body("r1", "c1"))
    await client.call("GET", f"/egress/v1/app1/tasks/{created.body['task_id']}")
    await client.call("GET", "/egress/v1/app2/tasks")
    await ApiClient(session, api.url, token="wrong-token").call("GET", "/egress/v1/app1/tasks")
    assert not [t for t in client.texts if APP1 in t or GLOBAL in t]
