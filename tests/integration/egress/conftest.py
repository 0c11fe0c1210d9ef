"""Egress end-to-end fixtures: rtc-egress instances sharing one real Redis, driven through the HTTP API."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from rtc_egress.egress.settings import find_recorder_binary
from tests.support.redis_server import RedisServer
from tests.support.service import Serve, wait_until

TERMINAL = {"STOPPED", "FAILED", "TIMEOUT"}


def small_record(**extra: Any) -> dict[str, Any]:
    """A cheap synthetic composite recording (the agora source cannot be reached from tests)."""
    payload: dict[str, Any] = {
        "layout": "grid",
        "source": {"type": "synthetic", "users": 2},
        "video": {"width": 320, "height": 180, "frameRate": 15, "bitrate": 300},
        "audio": {"sampleRate": 48000, "channels": 2, "bitrate": 64},
    }
    payload.update(extra)
    return payload


@dataclass
class Instance:
    """One ``python -m rtc_egress`` process and a client of its API."""

    serve: Serve
    data_dir: Path
    app_id: str = "app1"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.serve.api_port}/egress/v1/{self.app_id}"

    def start(self, request_id: str, payload: dict[str, Any], cmd: str = "record") -> str:
        r = httpx.post(f"{self.url}/tasks", json={"request_id": request_id, "cmd": cmd, "payload": payload})
        assert r.status_code == 200, r.text
        return str(r.json()["task_id"])

    def stop(self, task_id: str, request_id: str = "stop1") -> dict[str, Any]:
        r = httpx.post(f"{self.url}/tasks/{task_id}/stop", json={"request_id": request_id})
        assert r.status_code == 200, r.text
        return dict(r.json())

    def status(self, task_id: str) -> dict[str, Any]:
        r = httpx.get(f"{self.url}/tasks/{task_id}")
        assert r.status_code == 200, r.text
        return dict(r.json())

    def events(self, task_id: str) -> list[dict[str, Any]]:
        r = httpx.get(f"{self.url}/tasks/{task_id}/events")
        assert r.status_code == 200, r.text
        body = r.json()
        return list(body["events"] if isinstance(body, dict) else body)

    def wait(
        self, task_id: str, check: Callable[[dict[str, Any]], bool], what: str, timeout: float = 20
    ) -> dict[str, Any]:
        return dict(wait_until(lambda: (s := self.status(task_id)) and check(s) and s, what, timeout))

    def wait_state(self, task_id: str, *states: str, timeout: float = 20) -> dict[str, Any]:
        return self.wait(task_id, lambda s: s["state"] in states, f"{task_id} in {states}", timeout)

    def wait_terminal(self, task_id: str, timeout: float = 30) -> dict[str, Any]:
        return self.wait_state(task_id, *TERMINAL, timeout=timeout)

    def file_path(self, task_id: str, name: str, data_dir: Path | None = None) -> Path:
        return (data_dir or self.data_dir) / "spool" / task_id / name

    def wait_recorded(self, task_id: str, seconds: float, pattern: str = "*.mp4", data_dir: Path | None = None) -> Path:
        """Waits until an MP4 of the task in the spool holds ``seconds`` of media (its fragments so far)."""
        folder = (data_dir or self.data_dir) / "spool" / task_id

        def long_enough() -> Path | None:
            return next((p for p in sorted(folder.glob(pattern)) if recorded_s(p) >= seconds), None)

        return Path(wait_until(long_enough, f"{seconds:g} s recorded in {folder}/{pattern}", timeout=seconds + 15))

    def recorder_pid(self, task_id: str, part: int) -> int:
        started = [e for e in self.events(task_id) if e["type"] == "started"]
        return int(started[part - 1]["data"]["pid"])


def recorded_s(path: Path) -> float:
    """Seconds of media in a (possibly still growing, fragmented) MP4; 0 while nothing is readable yet."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return float(out.stdout.strip())
    except ValueError:
        return 0.0


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def kill(pid: int, sig: int = signal.SIGKILL) -> None:
    os.kill(pid, sig)
    deadline = time.monotonic() + 5
    while pid_alive(pid) and time.monotonic() < deadline and sig == signal.SIGKILL:
        time.sleep(0.02)


@pytest.fixture
def instance(
    serve: Callable[..., Serve], redis_server: RedisServer, redis: aioredis.Redis, tmp_path: Path
) -> Callable[..., Instance]:
    """Starts an instance on the shared test Redis (flushed for this test) and waits until it is ready."""
    assert find_recorder_binary(None) is not None, "rtc-egress-recorder is not built: run scripts/setup"
    count = 0

    def start(components: str = "api-server,egress", data_dir: Path | None = None, **env: str) -> Instance:
        nonlocal count
        count += 1
        data_dir = data_dir or tmp_path / f"node{count}"
        settings = {
            "REDIS_URL": redis_server.url,
            "RTC_EGRESS_COMPONENTS": components,
            "RTC_EGRESS_TASKS__LEASE_S": "1.5",
            "RTC_EGRESS_TASKS__SWEEP_INTERVAL_S": "0.2",
            "RTC_EGRESS_EGRESS__STATS_TIMEOUT_S": "5",
            **env,
        }
        s = serve(data_dir=data_dir, **settings)
        s.wait_ready()
        return Instance(s, data_dir)

    return start
