"""The recorder binary with source "agora", end to end.

The Agora network cannot be reached from here. Without an SDK the task must fail at once with the documented
reason; with AGORA_SDK_DIR pointing at the fake SDK built beside the recorder (native/tests/agora), which "joins" a
scripted channel and sends each user a flat colour with a moving bar plus a tone, the recording must be a valid MP4
showing exactly the subscribed users.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.native.recorder import BINARY, Recorder
from tests.support.media import probe, stream

FAKE_SDK_DIR = BINARY.parent / "tests" / "agora" / "fake_sdk"
SDK_MISSING = "Agora SDK not found: set AGORA_SDK_DIR"

# Luma of each fake user's picture, by the order in which the fake lets them join (see fake_sdk.cpp).
FAKE_LUMA = {"1001": 60, "1002": 110, "1003": 160}


def _require_binaries() -> None:
    if not BINARY.exists() or not (FAKE_SDK_DIR / "lib" / "libagora_rtc_sdk.so").exists():
        pytest.fail(f"{BINARY} or the fake Agora SDK is missing: run scripts/setup --test to build native/")


Start = Callable[[dict[str, Any], Path | None], Recorder]


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Start]:
    """Starts a recorder: the task on stdin (kept open: EOF would mean "supervisor gone, stop"), AGORA_SDK_DIR
    set to sdk_dir or unset, AGORA_APP_ID unset. Every recorder started is killed at the end."""
    started: list[Recorder] = []

    def run(task: dict[str, Any], sdk_dir: Path | None) -> Recorder:
        env = {k: v for k, v in os.environ.items() if k not in ("AGORA_SDK_DIR", "AGORA_APP_ID")}
        if sdk_dir is not None:
            env["AGORA_SDK_DIR"] = str(sdk_dir)
        rec = Recorder(task, tmp_path, task_on_stdin=True, env=env)
        started.append(rec)
        return rec

    yield run
    for rec in started:
        rec.kill()


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


def test_without_sdk_the_task_fails_at_once_with_the_sdk_reason(tmp_path: Path, start: Start) -> None:
    _require_binaries()
    rec = start(_task(tmp_path / "out", "fake:users=1001"), None)
    finished = rec.wait_event("finished", timeout=5)
    elapsed = rec.event_time(finished) - rec.started_at
    assert finished["status"] == "failed"
    assert finished["reason"] == SDK_MISSING
    assert rec.wait(timeout=5) != 0
    # No join timeout or retry in between: the failure is immediate (bound kept loose for a loaded CI machine).
    assert elapsed < 2.0, f"took {elapsed:.2f} s"


def test_fake_sdk_users_are_recorded_into_a_valid_mp4(tmp_path: Path, start: Start) -> None:
    _require_binaries()
    out = tmp_path / "out"
    secret = "fake:users=1001,1002,1003;s3cr3t-token-part"
    rec = start(_task(out, secret, max_duration_s=3), FAKE_SDK_DIR)
    finished = rec.wait_event("finished", timeout=30)
    assert finished["status"] == "ok", finished
    assert finished["reason"] == "max_duration"
    assert rec.wait(timeout=10) == 0
    joined = {e["uid"] for e in rec.named("user_joined")}
    assert joined == {"1001", "1002", "1003"}

    closed = [e for e in rec.named("file_closed") if e.get("kind") == "media"]
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

    everything = rec.stderr() + "\n".join(json.dumps(e) for e in rec.events)
    assert "s3cr3t-token-part" not in everything  # the access token never reaches events or logs


def test_only_the_listed_users_are_recorded(tmp_path: Path, start: Start) -> None:
    _require_binaries()
    rec = start(_task(tmp_path / "out", "fake:users=1001,1002,1003", max_duration_s=2, users=["1002"]), FAKE_SDK_DIR)
    finished = rec.wait_event("finished", timeout=30)
    assert finished["status"] == "ok", finished
    assert {e["uid"] for e in rec.named("user_joined")} == {"1002"}
    mp4 = Path(next(e["path"] for e in rec.named("file_closed") if e.get("kind") == "media"))
    pixels = _luma_plane(mp4, 1.5, 640, 360)
    assert _share_near(pixels, FAKE_LUMA["1002"]) > 0.3
    assert _share_near(pixels, FAKE_LUMA["1001"]) < 0.01
    assert _share_near(pixels, FAKE_LUMA["1003"]) < 0.01


def test_a_rejected_token_fails_the_task_with_the_reason(tmp_path: Path, start: Start) -> None:
    _require_binaries()
    rec = start(_task(tmp_path / "out", "fake:fail=8"), FAKE_SDK_DIR)
    finished = rec.wait_event("finished", timeout=30)
    assert finished["status"] == "failed"
    assert "Agora rejected the access_token" in finished["reason"]
    assert rec.wait(timeout=10) != 0
