"""The recorder binary with source "agora", end to end.

The Agora network cannot be reached from here. Without an SDK the task must fail at once with the documented
reason; with AGORA_SDK_DIR pointing at the fake SDK built beside the recorder (native/tests/agora), which "joins" a
scripted channel and sends each user a flat colour with a moving bar plus a tone, the recording must be a valid MP4
showing exactly the subscribed users.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.media import probe, stream

ROOT = Path(__file__).resolve().parents[2]
RECORDER = ROOT / "native" / "build" / "rtc-egress-recorder"
FAKE_SDK_DIR = ROOT / "native" / "build" / "tests" / "agora" / "fake_sdk"
SDK_MISSING = "Agora SDK not found: set AGORA_SDK_DIR"

# Luma of each fake user's picture, by the order in which the fake lets them join (see fake_sdk.cpp).
FAKE_LUMA = {"1001": 60, "1002": 110, "1003": 160}


@dataclass
class Run:
    """A recorder process whose stdout events are collected by a reader thread."""

    proc: subprocess.Popen[str]
    events: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    seen: list[dict[str, Any]] = field(default_factory=list)

    def next_event(self, name: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {name!r} event within {timeout} s; got {[e['event'] for e in self.seen]}")
            try:
                event = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            self.seen.append(event)
            if event.get("event") == name:
                return event


def _require_binaries() -> None:
    if not RECORDER.exists() or not (FAKE_SDK_DIR / "lib" / "libagora_rtc_sdk.so").exists():
        pytest.fail(f"{RECORDER} or the fake Agora SDK is missing: run scripts/setup --test to build native/")


def _start(task: dict[str, Any], sdk_dir: Path | None, stderr_path: Path) -> Run:
    env = {k: v for k, v in os.environ.items() if k not in ("AGORA_SDK_DIR", "AGORA_APP_ID")}
    if sdk_dir is not None:
        env["AGORA_SDK_DIR"] = str(sdk_dir)
    with stderr_path.open("w") as err:
        proc = subprocess.Popen(
            [str(RECORDER), "--task", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=env,
        )
    run = Run(proc)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps(task) + "\n")
    proc.stdin.flush()  # stdin stays open: EOF would mean "supervisor gone, stop"

    def read(stdout: Any) -> None:
        for line in stdout:
            if line.strip():
                run.events.put(json.loads(line))

    threading.Thread(target=read, args=(proc.stdout,), daemon=True).start()
    return run


@pytest.fixture
def running() -> Iterator[list[Run]]:
    runs: list[Run] = []
    yield runs
    for run in runs:
        if run.proc.poll() is None:
            run.proc.kill()
        run.proc.wait(timeout=10)
        if run.proc.stdin is not None:
            run.proc.stdin.close()


def _task(output_dir: Path, token: str, **extra: Any) -> dict[str, Any]:
    task: dict[str, Any] = {
        "task_id": "a9e1c0ffee000001",
        "app_id": "test-app",
        "cmd": "record",
        "channel": "room1",
        "access_token": token,
        "workerUid": 4242,
        "layout": "grid",
        "format": "mp4",
        "video": {"width": 640, "height": 360, "frameRate": 15, "bitrate": 400},
        "audio": {"sampleRate": 48000, "channels": 2, "bitrate": 64},
        "output_dir": str(output_dir),
    }
    task.update(extra)
    return task


def _luma_plane(path: Path, at_s: float, width: int, height: int) -> bytes:
    """The Y plane of the frame at at_s, as encoded (no range conversion)."""
    output = ["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"]
    cmd = ["ffmpeg", "-v", "error", "-ss", str(at_s), "-i", str(path), *output]
    raw = subprocess.run(cmd, check=True, capture_output=True).stdout
    assert len(raw) == width * height * 3 // 2
    return raw[: width * height]


def _share_near(pixels: bytes, luma: int, tolerance: int = 8) -> float:
    return sum(1 for p in pixels if abs(p - luma) <= tolerance) / len(pixels)


def test_without_sdk_the_task_fails_at_once_with_the_sdk_reason(tmp_path: Path, running: list[Run]) -> None:
    _require_binaries()
    run = _start(_task(tmp_path / "out", "fake:users=1001"), None, tmp_path / "stderr.log")
    running.append(run)
    started = time.monotonic()
    finished = run.next_event("finished", timeout=5)
    elapsed = time.monotonic() - started
    assert finished["status"] == "failed"
    assert finished["reason"] == SDK_MISSING
    assert run.proc.wait(timeout=5) != 0
    # No join timeout or retry in between: the failure is immediate (bound kept loose for a loaded CI machine).
    assert elapsed < 2.0, f"took {elapsed:.2f} s"


def test_fake_sdk_users_are_recorded_into_a_valid_mp4(tmp_path: Path, running: list[Run]) -> None:
    _require_binaries()
    out = tmp_path / "out"
    secret = "fake:users=1001,1002,1003;s3cr3t-token-part"
    run = _start(_task(out, secret, max_duration_s=3), FAKE_SDK_DIR, tmp_path / "stderr.log")
    running.append(run)
    finished = run.next_event("finished", timeout=30)
    assert finished["status"] == "ok", finished
    assert finished["reason"] == "max_duration"
    assert run.proc.wait(timeout=10) == 0
    joined = {e["uid"] for e in run.seen if e["event"] == "user_joined"}
    assert joined == {"1001", "1002", "1003"}

    closed = [e for e in run.seen if e["event"] == "file_closed" and e.get("kind") == "media"]
    assert len(closed) == 1
    mp4 = Path(closed[0]["path"])
    info = probe(mp4)
    video, audio = stream(info, "video"), stream(info, "audio")
    assert (video["codec_name"], video["width"], video["height"]) == ("h264", 640, 360)
    assert (audio["codec_name"], int(audio["sample_rate"]), audio["channels"]) == ("aac", 48000, 2)
    assert 2.7 <= float(info["format"]["duration"]) <= 3.5

    pixels = _luma_plane(mp4, 2.0, 640, 360)
    for uid, luma in FAKE_LUMA.items():
        assert _share_near(pixels, luma) > 0.08, f"user {uid}'s picture (luma {luma}) is not in the composite"

    logs = (tmp_path / "stderr.log").read_text()
    everything = logs + "\n".join(json.dumps(e) for e in run.seen)
    assert "s3cr3t-token-part" not in everything  # the access token never reaches events or logs


def test_only_the_listed_users_are_recorded(tmp_path: Path, running: list[Run]) -> None:
    _require_binaries()
    task = _task(tmp_path / "out", "fake:users=1001,1002,1003", max_duration_s=2, users=["1002"])
    run = _start(task, FAKE_SDK_DIR, tmp_path / "stderr.log")
    running.append(run)
    finished = run.next_event("finished", timeout=30)
    assert finished["status"] == "ok", finished
    assert {e["uid"] for e in run.seen if e["event"] == "user_joined"} == {"1002"}
    mp4 = Path(next(e["path"] for e in run.seen if e["event"] == "file_closed" and e.get("kind") == "media"))
    pixels = _luma_plane(mp4, 1.5, 640, 360)
    assert _share_near(pixels, FAKE_LUMA["1002"]) > 0.3
    assert _share_near(pixels, FAKE_LUMA["1001"]) < 0.01
    assert _share_near(pixels, FAKE_LUMA["1003"]) < 0.01


def test_a_rejected_token_fails_the_task_with_the_reason(tmp_path: Path, running: list[Run]) -> None:
    _require_binaries()
    run = _start(_task(tmp_path / "out", "fake:fail=8"), FAKE_SDK_DIR, tmp_path / "stderr.log")
    running.append(run)
    finished = run.next_event("finished", timeout=30)
    assert finished["status"] == "failed"
    assert "Agora rejected the access_token" in finished["reason"]
    assert run.proc.wait(timeout=10) != 0
