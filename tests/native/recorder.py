"""Drives one ``rtc-egress-recorder`` process: task in, commands on stdin, events read from stdout."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
BINARY = REPO / "native" / "build" / "rtc-egress-recorder"
SANITIZE_BINARY = REPO / "native" / "build-sanitize" / "rtc-egress-recorder"

Event = dict[str, Any]


def require_binary(path: Path = BINARY) -> Path:
    if not path.is_file():
        raise AssertionError(f"{path} is missing: run scripts/setup --test to build the native recorder")
    return path


class Recorder:
    """A running recorder. Events are collected by a reader thread; waits block on a condition.
    ``env`` is the recorder's whole environment (default: this process's)."""

    def __init__(
        self,
        task: dict[str, Any],
        workdir: Path,
        *,
        binary: Path = BINARY,
        task_on_stdin: bool = False,
        env: dict[str, str] | None = None,
    ) -> None:
        self.task = task
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.stderr_path = workdir / "recorder.stderr"
        self.events: list[Event] = []
        self.event_times: list[float] = []
        self._cond = threading.Condition()
        if task_on_stdin:
            args = [str(require_binary(binary)), "--task", "-"]
        else:
            task_path = workdir / "task.json"
            task_path.write_text(json.dumps(task))
            args = [str(require_binary(binary)), "--task", str(task_path)]
        self._stderr = self.stderr_path.open("wb")
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=os.environ if env is None else env,
        )
        self.started_at = time.monotonic()
        if task_on_stdin:
            self.send(task)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        """A test that fails while recording leaves no recorder behind."""
        if exc_type is not None:
            self.kill()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        log = (self.workdir / "events.jsonl").open("wb")
        for raw in self.proc.stdout:
            log.write(raw)
            log.flush()
            event = json.loads(raw)
            with self._cond:
                self.events.append(event)
                self.event_times.append(time.monotonic())
                self._cond.notify_all()
        log.close()
        with self._cond:
            self._cond.notify_all()

    def send(self, command: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(command) + "\n").encode())
        self.proc.stdin.flush()

    def close_stdin(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()

    def signal(self, sig: int = signal.SIGTERM) -> None:
        self.proc.send_signal(sig)

    def wait_event(self, name: str, timeout: float = 10.0, where: Callable[[Event], bool] | None = None) -> Event:
        """The first event called ``name`` (matching ``where``), waiting for it if needed."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events:
                    if event["event"] == name and (where is None or where(event)):
                        return event
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError(
                        f"no {name!r} event within {timeout}s; got {[e['event'] for e in self.events]}; "
                        f"stderr: {self.stderr()[-2000:]}"
                    )
                self._cond.wait(min(left, 0.2))

    def event_time(self, event: Event) -> float:
        """When the test saw ``event`` (monotonic clock)."""
        with self._cond:
            return self.event_times[next(i for i, e in enumerate(self.events) if e is event)]

    def wait(self, timeout: float = 15.0) -> int:
        try:
            code = self.proc.wait(timeout)
        finally:
            self._reader.join(5)
            self._stderr.close()
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.wait(5)

    def named(self, name: str) -> list[Event]:
        with self._cond:
            return [e for e in self.events if e["event"] == name]

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""


def run_for(task: dict[str, Any], workdir: Path, seconds: float, **kwargs: Any) -> Recorder:
    """Records for ``seconds`` after ``started``, stops with the stop command and waits for the exit."""
    with Recorder(task, workdir, **kwargs) as rec:
        rec.wait_event("started")
        deadline = rec.event_time(rec.named("started")[0]) + seconds
        while time.monotonic() < deadline:
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        rec.stop_sent_at = time.monotonic()  # type: ignore[attr-defined]
        rec.send({"cmd": "stop"})
        rec.returncode = rec.wait()  # type: ignore[attr-defined]
    return rec
