"""ffprobe/ffmpeg based checks of recorded files: streams, per-frame colours, audio levels, onsets."""

from __future__ import annotations

import json
import math
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def probe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout))


def stream(info: dict[str, Any], kind: str) -> dict[str, Any]:
    found = [s for s in info["streams"] if s["codec_type"] == kind]
    assert len(found) == 1, f"expected one {kind} stream, got {info['streams']}"
    return dict(found[0])


def decode_errors(path: Path) -> str:
    """Decodes every frame; returns FFmpeg's error output (empty when the file decodes cleanly)."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"], capture_output=True, text=True)
    return out.stderr if out.returncode == 0 else f"exit {out.returncode}: {out.stderr}"


def count_video_frames(path: Path) -> int:
    out = subprocess.run(
        [
            "ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
            "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    return int(out.stdout.strip().split(",")[0])


@dataclass
class FrameStats:
    t: float
    y: float
    u: float
    v: float


def lavfi_frames(graph: str, tags: tuple[str, ...]) -> list[tuple[float, dict[str, str]]]:
    """(time, the given metadata tags) of every frame a lavfi graph puts out (an analysis filter's results)."""
    out = subprocess.run(
        [
            "ffprobe", "-v", "error", "-f", "lavfi", "-i", graph, "-show_entries",
            f"frame=pts_time:frame_tags={','.join(tags)}", "-of", "json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    return [(float(f["pts_time"]), f["tags"]) for f in json.loads(out.stdout)["frames"]]


_YUV_TAGS = ("lavfi.signalstats.YAVG", "lavfi.signalstats.UAVG", "lavfi.signalstats.VAVG")


def frame_stats(path: Path, crop: tuple[int, int, int, int] | None = None) -> list[FrameStats]:
    """Average Y/U/V of every video frame (of the crop w:h:x:y when given), with its time."""
    graph = f"movie={path}"
    if crop:
        graph += ",crop={}:{}:{}:{}".format(*crop)
    graph += ",signalstats"
    return [FrameStats(t, *(float(tags[k]) for k in _YUV_TAGS)) for t, tags in lavfi_frames(graph, _YUV_TAGS)]


def colour_at(path: Path, t: float, x: int, y: int, size: int = 24) -> tuple[float, float, float]:
    """Average Y/U/V of a size x size square centred on (x, y) in the frame shown at time t."""
    half = size // 2
    frames = frame_stats(path, (size, size, x - half, y - half))
    start = frames[0].t
    best = min(frames, key=lambda f: abs(f.t - start - t))
    return best.y, best.u, best.v


def rgb_to_yuv(rgb: str) -> tuple[float, float, float]:
    r, g, b = (int(rgb[i : i + 2], 16) for i in (1, 3, 5))
    return (
        16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255,
        128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255,
        128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255,
    )


def assert_colour(actual: tuple[float, float, float], rgb: str, where: str, tolerance: float = 14) -> None:
    expected = rgb_to_yuv(rgb)
    diff = max(abs(a - e) for a, e in zip(actual, expected, strict=True))
    assert diff <= tolerance, f"{where}: expected {rgb} (YUV {expected}), got YUV {actual}"


def audio_levels(path: Path, window: int = 240, pre: str = "") -> list[tuple[float, float, float]]:
    """(time, RMS dBFS, peak dBFS) per window of samples over the first audio stream."""
    graph = f"amovie={path},{pre + ',' if pre else ''}asetnsamples=n={window}:p=0,astats=metadata=1:reset=1"
    rms, peak = "lavfi.astats.Overall.RMS_level", "lavfi.astats.Overall.Peak_level"

    def level(v: str) -> float:
        return -200.0 if v in ("-inf", "") or math.isinf(float(v)) else float(v)

    return [(t, level(tags[rms]), level(tags[peak])) for t, tags in lavfi_frames(graph, (rms, peak))]


def onsets(series: list[tuple[float, bool]]) -> list[float]:
    """Times where the flag turns on."""
    out, prev = [], False
    for t, on in series:
        if on and not prev:
            out.append(t)
        prev = on
    return out


def flash_onsets(path: Path, crop: tuple[int, int, int, int] | None = None) -> list[float]:
    return onsets([(f.t, f.y > 200) for f in frame_stats(path, crop)])


def beep_onsets(path: Path) -> list[float]:
    return onsets([(t, rms > -30) for t, rms, _ in audio_levels(path, window=48)])


def top_level_boxes(path: Path) -> list[str]:
    boxes = []
    with path.open("rb") as f:
        while True:
            head = f.read(8)
            if len(head) < 8:
                return boxes
            size, kind = struct.unpack(">I4s", head)
            if size == 1:
                size = struct.unpack(">Q", f.read(8))[0]
                f.seek(size - 16, 1)
            elif size == 0:
                boxes.append(kind.decode())
                return boxes
            else:
                f.seek(size - 8, 1)
            boxes.append(kind.decode())


def parse_playlist(path: Path) -> dict[str, Any]:
    lines = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    assert lines and lines[0] == "#EXTM3U", f"not an HLS playlist: {lines[:3]}"
    result: dict[str, Any] = {"segments": [], "ended": "#EXT-X-ENDLIST" in lines, "tags": {}}
    duration = None
    for line in lines[1:]:
        if line.startswith("#EXTINF:"):
            duration = float(line[len("#EXTINF:") :].split(",")[0])
        elif line.startswith("#EXT-X-") and ":" in line:
            key, value = line[1:].split(":", 1)
            result["tags"][key] = value
        elif not line.startswith("#"):
            assert duration is not None, f"segment {line} without EXTINF"
            result["segments"].append((line, duration))
            duration = None
    return result


def make_input(path: Path, seconds: float, *, size: str = "320x240", rate: int = 25, freq: int = 440) -> Path:
    """A small test file (moving pattern + tone) made with the ffmpeg CLI."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency={freq}:sample_rate=44100:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", str(rate), "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "64k", "-shortest", str(path),
        ],
        check=True,
    )  # fmt: skip
    return path


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


def media_info(path: Path) -> MediaInfo:
    """What a player would show: container duration, codecs, size, frame rate, audio format."""
    info = probe(path)
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
