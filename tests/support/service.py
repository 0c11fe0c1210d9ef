"""One ``python -m rtc_egress`` process as an operator runs it, on free ports, logging JSON lines to a file."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.support.redis_server import free_port

GRACE_S = 5.0


def gone(pid: int) -> bool:
    """True once ``pid`` has exited (a zombie waiting for init to reap it counts as exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def wait_until(predicate: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


class Serve:
    """One ``python -m rtc_egress`` process on free ports, logging JSON lines to a file."""

    _n = 0

    def __init__(self, workdir: Path, data_dir: Path, env: dict[str, str], args: tuple[str, ...] = ()) -> None:
        Serve._n += 1
        self.api_port = free_port()
        self.health_port = free_port()
        self.log_path = workdir / f"serve-{Serve._n}.log"
        full_env = {
            **env,
            "API_PORT": str(self.api_port),
            "HEALTH_PORT": str(self.health_port),
            "RTC_EGRESS_DATA_DIR": str(data_dir),
            "RTC_EGRESS_LOG__FORMAT": "json",
            "RTC_EGRESS_SHUTDOWN_GRACE_S": str(GRACE_S),
        }
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "rtc_egress", *args],
                env=full_env,
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_lines(self) -> list[dict[str, Any]]:
        out = []
        for line in self.log_text().splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return out

    def get(self, path: str) -> httpx.Response | None:
        if self.proc.poll() is not None:
            raise AssertionError(f"rtc-egress exited with {self.proc.returncode}:\n{self.log_text()[-3000:]}")
        try:
            return httpx.get(f"http://127.0.0.1:{self.health_port}{path}", timeout=5)
        except httpx.TransportError:
            return None

    def status(self, path: str) -> int | None:
        r = self.get(path)
        return r.status_code if r is not None else None

    def wait_ready(self) -> None:
        wait_until(lambda: self.status("/ready") == 200, "/ready 200")

    def metrics(self) -> str:
        r = self.get("/metrics")
        assert r is not None and r.status_code == 200
        return r.text

    def logged(self, event: str) -> dict[str, Any]:
        return wait_until(lambda: next((x for x in self.log_lines() if x.get("event") == event), None), event)

    def signal(self, sig: int = signal.SIGTERM, timeout: float = GRACE_S + 5) -> tuple[int, float]:
        started = time.monotonic()
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=timeout)
        return code, time.monotonic() - started

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
