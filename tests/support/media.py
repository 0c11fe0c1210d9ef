"""ffprobe of produced media: what a user would check in a player."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def ffprobe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, f"ffprobe cannot read {path}: {out.stderr.strip()}"
    return dict(json.loads(out.stdout))


@dataclass(frozen=True)
class MediaInfo:
    format_name: str
    duration_s: float
    video_codec: str | None
    width: int | None
    height: int | None
    fps: float | None
    audio_codec: str | None
    sample_rate: int | None
    channels: int | None


def probe(path: Path) -> MediaInfo:
    info = ffprobe(path)
    video = next((s for s in info["streams"] if s["codec_type"] == "video"), None)
    audio = next((s for s in info["streams"] if s["codec_type"] == "audio"), None)
    fps = None
    if video and video.get("avg_frame_rate", "0/0") != "0/0":
        num, den = (int(x) for x in video["avg_frame_rate"].split("/"))
        fps = num / den if den else None
    return MediaInfo(
        format_name=info["format"]["format_name"],
        duration_s=float(info["format"].get("duration") or 0.0),
        video_codec=video["codec_name"] if video else None,
        width=int(video["width"]) if video else None,
        height=int(video["height"]) if video else None,
        fps=fps,
        audio_codec=audio["codec_name"] if audio else None,
        sample_rate=int(audio["sample_rate"]) if audio else None,
        channels=int(audio["channels"]) if audio else None,
    )
