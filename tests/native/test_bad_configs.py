"""Bad task configs end in a failed `finished` naming the problem, and a non-zero exit, quickly."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.native.recorder import BINARY, require_binary


def run_task(task: Any, tmp_path: Path, env: dict[str, str] | None = None) -> tuple[int, list[dict[str, Any]], float]:
    path = tmp_path / "task.json"
    path.write_text(task if isinstance(task, str) else json.dumps(task))
    began = time.monotonic()
    proc = subprocess.run(
        [str(require_binary(BINARY)), "--task", str(path)],
        input=b"",
        capture_output=True,
        timeout=20,
        env=env,
    )
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    return proc.returncode, events, time.monotonic() - began


def valid(tmp_path: Path, **fields: Any) -> dict[str, Any]:
    task = {"task_id": "bad", "output_dir": str(tmp_path / "out"), "source": {"type": "synthetic", "users": 1}}
    task.update(fields)
    return task


CASES = [
    ({"layout": "diagonal"}, "layout: must be one of flat, grid, spotlight, customized"),
    ({"layout": "freestyle"}, "layout: freestyle records web pages"),
    ({"video": {"width": -640, "height": 360}}, "video.width: must be an integer from 16 to 4096 (got -640)"),
    ({"video": {"width": 640, "height": "tall"}}, "video.height: must be an integer"),
    ({"audio": {"sampleRate": 45000}}, "audio.sampleRate: must be one of"),
    ({"audio": {"channels": 6}}, "audio.channels: must be an integer from 1 to 2"),
    ({"cmd": "rtmp"}, "cmd: must be record or snapshot"),
    ({"mode": "mixed"}, "mode: must be composite or individual"),
    ({"format": "webm"}, "format: must be mp4 or hls"),
    ({"filename_pattern": "../escape"}, "filename_pattern: must not contain '..'"),
    ({"filename_pattern": "a/b"}, "filename_pattern: must be a file name, not a path"),
    ({"filename_pattern": "{secret}"}, "filename_pattern: unknown placeholder {secret}"),
    ({"layout": "customized"}, "regions: is required with layout customized"),
    (
        {"layout": "customized", "regions": [{"uid": "u1", "x": 0.5, "y": 0, "w": 0.8, "h": 1}]},
        "regions[0]: x + w must not exceed 1",
    ),
    ({"background": "red"}, "background: must be a colour written #rrggbb"),
    ({"source": {"type": "webcam"}}, 'source.type: must be one of agora, synthetic, url (got "webcam")'),
    ({"source": {"type": "synthetic", "users": 0}}, "source.users: must be a number of users from 1 to 32"),
    ({"source": {"type": "url", "inputs": []}}, "source.inputs: must be a list of 1 to 32 inputs"),
    ({"source": {"type": "agora"}}, "Agora SDK not found: set AGORA_SDK_DIR"),
    ({"source": None, "channel": "c"}, "Agora SDK not found: set AGORA_SDK_DIR"),
]


@pytest.mark.parametrize(("fields", "reason"), CASES, ids=[c[1][:40] for c in CASES])
def test_bad_config_fails_clearly(tmp_path: Path, fields: dict[str, Any], reason: str) -> None:
    env = {"PATH": "/usr/bin:/bin"}  # no AGORA_SDK_DIR
    task = valid(tmp_path, **fields)
    if task.get("source") is None:
        del task["source"]
    code, events, took = run_task(task, tmp_path, env)
    assert code != 0 and took < 5
    assert events[-1]["event"] == "finished" and events[-1]["status"] == "failed"
    assert reason in events[-1]["reason"], events[-1]["reason"]
    assert not any(e["event"] == "file_opened" for e in events)


def test_several_problems_are_reported_together(tmp_path: Path) -> None:
    code, events, _ = run_task(valid(tmp_path, layout="x", video={"frameRate": 500}), tmp_path)
    reason = events[-1]["reason"]
    assert code != 0 and "layout:" in reason and "video.frameRate: must be an integer from 1 to 60" in reason


def test_unwritable_output_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    code, events, _ = run_task(valid(tmp_path, output_dir=str(blocker / "sub")), tmp_path)
    assert code != 0
    assert events[-1]["reason"].startswith(f"output_dir: cannot create {blocker / 'sub'}")


def test_missing_output_dir_and_invalid_json(tmp_path: Path) -> None:
    task = valid(tmp_path)
    del task["output_dir"]
    code, events, _ = run_task(task, tmp_path)
    assert code != 0 and events[-1]["reason"].startswith("output_dir: is required")
    code, events, _ = run_task("{not json", tmp_path)
    assert code != 0 and events[-1]["reason"] == "task: not valid JSON"
    code, events, _ = run_task("[1, 2]", tmp_path)
    assert code != 0 and events[-1]["reason"] == "task: must be a JSON object"


def test_usage_errors(tmp_path: Path) -> None:
    proc = subprocess.run([str(require_binary(BINARY))], capture_output=True, timeout=10)
    assert proc.returncode == 2 and b"usage: rtc-egress-recorder --task" in proc.stderr
    proc = subprocess.run([str(BINARY), "--task", str(tmp_path / "nope.json")], capture_output=True, timeout=10)
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 1 and events[-1]["reason"].startswith("task: cannot read")
