"""The README's demo: one command records a 4-user synthetic channel through the API and says where the MP4 is."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.integration.egress.conftest import Instance
from tests.support.media import media_info


def test_start_wait_follows_progress_and_prints_the_mp4_path(instance: Callable[..., Instance]) -> None:
    node = instance()
    result = subprocess.run(
        [
            sys.executable, "-m", "rtc_egress", "task", "start", "--url", f"http://127.0.0.1:{node.serve.api_port}",
            "--app-id", "demo", "--channel", "demo", "--layout", "grid", "--source", "synthetic:4",
            "--max-duration", "3", "--set", "video.width=320", "--set", "video.height=180", "--wait",
        ],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for uid in ("u1", "u2", "u3", "u4"):
        assert f"user {uid} joined" in out
    assert "PROCESSING" in out and "STOPPED (max_duration)" in out
    (path,) = re.findall(r"^media: (\S+\.mp4)$", out, re.MULTILINE)
    info = media_info(Path(path))
    assert (info.video_codec, info.width, info.height) == ("h264", 320, 180)
    assert Path(path).is_relative_to(node.data_dir / "spool")
