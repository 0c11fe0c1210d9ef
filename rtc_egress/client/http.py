"""A small synchronous client of the task API (httpx), with errors a person can read."""

from __future__ import annotations

import secrets
from typing import Any

import httpx


class ClientError(Exception):
    """The API could not be reached or answered with an error; the message says which, without a traceback."""

    def __init__(self, message: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


def new_request_id() -> str:
    """32 hex characters: fits the upstream rule (1-32 alphanumerics)."""
    return secrets.token_hex(16)


class TaskApi:
    def __init__(self, url: str, app_id: str, token: str | None = None, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.app_id = app_id
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> TaskApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        try:
            resp = self._http.request(method, path, json=json, params=params)
        except httpx.ConnectError as exc:
            raise ClientError(
                f"cannot connect to {self.url}: {_reason(exc)} (is `rtc-egress serve` running?)"
            ) from None
        except httpx.TimeoutException:
            raise ClientError(f"{self.url} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise ClientError(f"request to {self.url} failed: {exc}") from None
        try:
            body = resp.json()
        except ValueError:
            body = None
        if resp.status_code >= 400:
            detail = body.get("error") if isinstance(body, dict) else None
            raise ClientError(f"HTTP {resp.status_code}: {detail or resp.reason_phrase}", resp.status_code, body)
        if body is None:
            raise ClientError(f"HTTP {resp.status_code}: the answer is not JSON")
        return body

    def _tasks(self, suffix: str = "") -> str:
        return f"/egress/v1/{self.app_id}/tasks{suffix}"

    def start(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", self._tasks(), json=body)
        return result

    def stop(self, task_id: str, request_id: str | None = None) -> dict[str, Any]:
        body = {"request_id": request_id or new_request_id()}
        result: dict[str, Any] = self._call("POST", self._tasks(f"/{task_id}/stop"), json=body)
        return result

    def status(self, task_id: str, request_id: str | None = None) -> dict[str, Any]:
        """The upstream status route (POST with a request_id)."""
        body = {"request_id": request_id or new_request_id()}
        result: dict[str, Any] = self._call("POST", self._tasks(f"/{task_id}/status"), json=body)
        return result

    def list(self, **filters: Any) -> dict[str, Any]:
        params = {k: v for k, v in filters.items() if v is not None}
        result: dict[str, Any] = self._call("GET", self._tasks(), params=params)
        return result

    def events(self, task_id: str, after: int = 0) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", self._tasks(f"/{task_id}/events"), params={"after": after})
        return result


def _reason(exc: httpx.ConnectError) -> str:
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if "name or service not known" in text or "nodename nor servname" in text:
        return "unknown host"
    return str(exc) or "connection failed"
