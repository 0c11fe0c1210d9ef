"""The recordings the native tests inspect. They are real-time, so they all run at once (see conftest.py)
and each test then checks the one it is about."""

from __future__ import annotations

import http.server
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.native.recorder import SANITIZE_BINARY, Recorder, run_for
from tests.support.media import make_input

COLOURS = ["#d03030", "#30a040", "#3050d0", "#d0b020"]


@dataclass
class Run:
    rec: Recorder
    out: Path
    info: dict[str, Any] = field(default_factory=dict)

    def closed(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.rec.named("file_closed") if kind is None or e["kind"] == kind]


Scenario = Callable[[Path], Run]
SCENARIOS: dict[str, Scenario] = {}
#: Scenarios whose tests measure real-time behaviour (frame rate, A/V offset, every beep in the mix): they record
#: while nothing else of ours competes for the two cores; every other scenario starts once they are done.
QUIET_SCENARIOS = frozenset({"basic", "av_sync", "loud_mix"})


def scenario(fn: Scenario) -> Scenario:
    SCENARIOS[fn.__name__] = fn
    return fn


def task(out: Path, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "task_id": "t" + out.parent.name.replace("_", "")[:15],
        "channel": "room-1",
        "output_dir": str(out),
        "video": {"width": 640, "height": 360, "frameRate": 30, "bitrate": 600},
        "audio": {"sampleRate": 48000, "channels": 2, "bitrate": 96},
        "stats_interval_s": 1,
    }
    base.update(fields)
    return base


def users(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "synthetic",
        "users": [
            {"uid": f"u{i + 1}", "color": COLOURS[i % 4], "width": 320, "height": 180, **extra} for i in range(n)
        ],
    }


def wait_until(rec: Recorder, seconds_after_start: float) -> None:
    started = rec.event_time(rec.wait_event("started"))
    while time.monotonic() < started + seconds_after_start:
        time.sleep(0.02)


@scenario
def basic(d: Path) -> Run:
    out = d / "out"
    with Recorder(task(out, source=users(2)), d) as rec:
        wait_until(rec, 2.0)
        rec.send({"cmd": "status"})
        rec.send({"cmd": "no-such-command"})
        wait_until(rec, 8.0)
        stop_at = time.monotonic()
        rec.send({"cmd": "stop"})
        code = rec.wait()
    return Run(rec, out, {"code": code, "stop_at": stop_at})


@scenario
def av_sync(d: Path) -> Run:
    out = d / "out"
    rec = run_for(task(out, source=users(1)), d, 7.5)
    return Run(rec, out)


@scenario
def grid(d: Path) -> Run:
    out = d / "out"
    return Run(run_for(task(out, layout="grid", source=users(4)), d, 2.5), out)


@scenario
def flat(d: Path) -> Run:
    out = d / "out"
    return Run(run_for(task(out, layout="flat", source=users(3)), d, 2.5), out)


@scenario
def spotlight(d: Path) -> Run:
    out = d / "out"
    src = users(3, volume=0.05)
    src["users"][1]["volume"] = 0.9
    return Run(run_for(task(out, layout="spotlight", source=src), d, 3.0), out)


@scenario
def spotlight_speaker_leaves(d: Path) -> Run:
    out = d / "out"
    src = users(3, volume=0.05)
    src["users"][1].update(volume=0.9, leave_at_s=2.0)
    src["users"][2]["volume"] = 0.3
    return Run(run_for(task(out, layout="spotlight", source=src), d, 4.0), out)


@scenario
def customized(d: Path) -> Run:
    out = d / "out"
    regions = [
        {"uid": "u1", "x": 0, "y": 0, "w": 1, "h": 1, "z": 0},
        {"uid": "u2", "x": 0.5, "y": 0.5, "w": 0.5, "h": 0.5, "z": 1},
    ]
    return Run(run_for(task(out, layout="customized", regions=regions, source=users(3)), d, 2.5), out)


@scenario
def set_layout(d: Path) -> Run:
    out = d / "out"
    with Recorder(task(out, layout="grid", source=users(3)), d) as rec:
        wait_until(rec, 1.5)
        rec.send({"cmd": "set_layout", "layout": "spotlight", "spotlight_uid": "u3", "background": "#204060"})
        rec.send({"cmd": "set_layout", "layout": "freestyle"})
        wait_until(rec, 3.5)
        rec.send({"cmd": "stop"})
        code = rec.wait()
    return Run(rec, out, {"code": code})


@scenario
def individual(d: Path) -> Run:
    out = d / "out"
    src = users(2)
    src["users"][1]["leave_at_s"] = 2.0
    return Run(run_for(task(out, mode="individual", source=src), d, 4.0), out)


@scenario
def hls(d: Path) -> Run:
    out = d / "out"
    t = task(out, format="hls", hls_segment_s=1, filename_pattern="{channel}-{task_id}", source=users(2))
    with Recorder(t, d) as rec:
        wait_until(rec, 2.6)
        live = {p.name: p.read_text() for p in out.glob("*.m3u8")}
        wait_until(rec, 4.5)
        rec.send({"cmd": "stop"})
        code = rec.wait()
    return Run(rec, out, {"code": code, "live_playlists": live})


@scenario
def snapshots(d: Path) -> Run:
    out = d / "out"
    t = task(out, cmd="snapshot", interval_in_ms=500, source=users(2))
    t["video"] = {"width": 320, "height": 180, "frameRate": 15}
    return Run(run_for(t, d, 3.2), out)


@scenario
def snapshots_individual(d: Path) -> Run:
    out = d / "out"
    t = task(out, cmd="snapshot", mode="individual", interval_in_ms=1000, source=users(2))
    t["video"] = {"width": 320, "height": 180, "frameRate": 15}
    return Run(run_for(t, d, 2.5), out)


@scenario
def sigkill(d: Path) -> Run:
    out = d / "out"
    with Recorder(task(out, source=users(2)), d) as rec:
        wait_until(rec, 5.0)
        killed_at = time.monotonic()
        rec.signal(signal.SIGKILL)
        code = rec.wait()
    return Run(rec, out, {"code": code, "recorded_s": killed_at - rec.event_time(rec.named("started")[0])})


@scenario
def sigterm(d: Path) -> Run:
    out = d / "out"
    with Recorder(task(out, source=users(2)), d) as rec:
        wait_until(rec, 2.5)
        sent = time.monotonic()
        rec.signal(signal.SIGTERM)
        code = rec.wait()
        exited = time.monotonic()
    return Run(rec, out, {"code": code, "exit_after_s": exited - sent})


@scenario
def stdin_eof(d: Path) -> Run:
    out = d / "out"
    with Recorder(task(out, source=users(1)), d, task_on_stdin=True) as rec:
        wait_until(rec, 2.0)
        sent = time.monotonic()
        rec.close_stdin()
        code = rec.wait()
        exited = time.monotonic()
    return Run(rec, out, {"code": code, "exit_after_s": exited - sent})


@scenario
def dynamics(d: Path) -> Run:
    out = d / "out"
    src = users(3)
    src["users"][0].update(mute_video_at_s=1.0, unmute_video_at_s=3.0)
    src["users"][1].update(join_at_s=1.0, leave_at_s=3.0)
    src["users"][2].update(resize_at_s=1.5, resize_width=180, resize_height=320)
    return Run(run_for(task(out, layout="grid", placeholder_after_s=0.5, source=src), d, 4.5), out)


@scenario
def url_inputs(d: Path) -> Run:
    out = d / "out"
    a = make_input(d / "a.mp4", 2.5, freq=440)
    b = make_input(d / "b.mp4", 6, size="480x270", rate=30, freq=660)
    src = {
        "type": "url",
        "inputs": [
            {"uid": "a", "url": str(a)},
            {"uid": "b", "url": f"file://{b}"},
            {"uid": "missing", "url": str(d / "does-not-exist.mp4")},
        ],
    }
    return Run(run_for(task(out, layout="grid", source=src), d, 4.0), out)


@scenario
def url_individual(d: Path) -> Run:
    out = d / "out"
    a = make_input(d / "a.mp4", 5, freq=440)
    b = make_input(d / "b.mp4", 5, size="640x360", rate=30, freq=660)
    src = {"type": "url", "inputs": [{"uid": "a", "url": str(a)}, {"uid": "b", "url": str(b)}]}
    t = task(out, mode="individual", source=src, filename_pattern="{task_id}_{uid}_{index}")
    return Run(run_for(t, d, 3.0), out)


def run_to_its_end(t: dict[str, Any], d: Path, out: Path) -> Run:
    """Records until the recorder ends by itself; info: exit code and started-to-finished time."""
    with Recorder(t, d) as rec:
        started = rec.event_time(rec.wait_event("started"))
        finished = rec.wait_event("finished", timeout=10)
        took = rec.event_time(finished) - started
        code = rec.wait()
    return Run(rec, out, {"code": code, "took_s": took})


@scenario
def max_duration(d: Path) -> Run:
    out = d / "out"
    return run_to_its_end(task(out, max_duration_s=2, source=users(1)), d, out)


@scenario
def idle(d: Path) -> Run:
    out = d / "out"
    return run_to_its_end(task(out, idle_timeout_s=1, source=users(1, leave_at_s=1.0)), d, out)


@scenario
def rotation(d: Path) -> Run:
    out = d / "out"
    t = task(out, mp4_max_file_s=2, source=users(1))
    t["video"] = {"width": 320, "height": 180, "frameRate": 15, "bitrate": 300}
    return Run(run_for(t, d, 5.3), out)


@scenario
def loud_mix(d: Path) -> Run:
    out = d / "out"
    src = users(4, volume=0.9)
    for i, u in enumerate(src["users"]):
        u["freq"] = [500, 1000, 2000, 4000][i]
    t = task(out, source=src)
    t["video"] = {"width": 320, "height": 180, "frameRate": 15, "bitrate": 200}
    return Run(run_for(t, d, 3.0), out)


@scenario
def sanitized(d: Path) -> Run:
    out = d / "out"
    a = make_input(d / "a.mp4", 1.5)
    src = {"type": "url", "inputs": [{"uid": "a", "url": str(a)}]}
    t = task(out, source=src, format="hls", hls_segment_s=1)
    t["video"] = {"width": 320, "height": 180, "frameRate": 15, "bitrate": 200}
    first = run_for(t, d / "url", 2.5, binary=SANITIZE_BINARY)
    t2 = task(d / "out2", mode="individual", source=users(2, leave_at_s=1.0), mp4_max_file_s=2)
    t2["video"] = {"width": 320, "height": 180, "frameRate": 15, "bitrate": 200}
    second = run_for(t2, d / "synthetic", 2.5, binary=SANITIZE_BINARY)
    return Run(first, out, {"second": second})


@scenario
def filtered(d: Path) -> Run:
    out = d / "out"
    return Run(run_for(task(out, layout="grid", users=["u3", "u1"], source=users(3)), d, 2.0), out)


@scenario
def individual_hls(d: Path) -> Run:
    out = d / "out"
    t = task(out, mode="individual", format="hls", hls_segment_s=1, source=users(2))
    t["video"] = {"width": 320, "height": 180, "frameRate": 15, "bitrate": 200}
    return Run(run_for(t, d, 2.6), out)


@scenario
def url_broken(d: Path) -> Run:
    """An HTTP input whose server hangs up halfway through the file."""
    ts = d / "input.ts"
    make_input(d / "input.mp4", 6)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(d / "input.mp4"), "-c", "copy", str(ts)], check=True)
    data = ts.read_bytes()

    class Half(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "video/mp2t")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Half)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        out = d / "out"
        url = f"http://127.0.0.1:{server.server_address[1]}/input.ts"
        src = {"type": "url", "inputs": [{"uid": "net", "url": url}]}
        return Run(run_for(task(out, source=src, idle_timeout_s=30), d, 5.0), out, {"url": url})
    finally:
        server.shutdown()
