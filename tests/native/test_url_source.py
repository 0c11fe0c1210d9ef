"""The url source: inputs made with the ffmpeg CLI, decoded in real time; an ended or broken input is a user
leaving, not a failed task."""

from __future__ import annotations

from pathlib import Path

from tests.native.scenarios import Run
from tests.support.media import decode_errors, probe, stream


def test_composite_of_url_inputs(recordings) -> None:
    run: Run = recordings["url_inputs"]
    assert run.rec.events[-1]["status"] == "ok", run.rec.stderr()[-2000:]
    assert sorted(e["uid"] for e in run.rec.named("user_joined")) == ["a", "b"]
    # a lasts 2.5 s and leaves; b keeps going.
    left = run.rec.named("user_left")
    assert [(e["uid"], e["reason"]) for e in left] == [("a", "ended")]
    started = run.rec.event_time(run.rec.named("started")[0])
    assert 1.9 < run.rec.event_time(left[0]) - started < 3.5
    # The input that cannot be opened is reported, without failing the task or leaking its path's secrets.
    (error,) = run.rec.named("error")
    assert error["fatal"] is False and error["message"].startswith("input missing (")
    path = Path(run.closed()[0]["path"])
    info = probe(path)
    assert stream(info, "video")["width"] == 640 and int(stream(info, "audio")["sample_rate"]) == 48000
    assert abs(float(info["format"]["duration"]) - 4.0) < 0.2
    assert decode_errors(path) == ""
    stats = run.rec.named("stats")[1:]
    assert stats and all(29.4 <= s["fps"] <= 30.6 for s in stats), stats


def test_individual_url_inputs_keep_their_own_files(recordings) -> None:
    run: Run = recordings["url_individual"]
    closed = {c["uid"]: c for c in run.closed()}
    assert sorted(closed) == ["a", "b"]
    assert closed["a"]["name"] == "turlindividual_a_0001.mp4"
    for c in closed.values():
        path = Path(c["path"])
        assert decode_errors(path) == ""
        assert abs(c["duration_s"] - 3.0) < 0.3


def test_network_urls_are_redacted_in_messages(tmp_path: Path) -> None:
    from tests.native.recorder import Recorder

    secret = "rtmp://user:pa55@127.0.0.1:9/live/stream-key-123?token=abc"
    task = {
        "task_id": "redact",
        "output_dir": str(tmp_path / "out"),
        "video": {"width": 320, "height": 180, "frameRate": 15},
        "source": {"type": "url", "inputs": [{"uid": "x", "url": secret}]},
    }
    rec = Recorder(task, tmp_path)
    try:
        error = rec.wait_event("error", timeout=15)
        rec.send({"cmd": "stop"})
        assert rec.wait() == 0
    finally:
        rec.kill()
    assert error["message"].startswith("input x (rtmp://127.0.0.1:9/...)")
    everything = "\n".join(map(str, rec.events)) + rec.stderr()
    for leak in ("pa55", "stream-key-123", "token=abc"):
        assert leak not in everything


def test_an_input_that_breaks_is_a_user_leaving(recordings) -> None:
    run: Run = recordings["url_broken"]
    assert run.rec.events[-1]["status"] == "ok" and run.rec.events[-1]["reason"] == "stopped"
    (left,) = run.rec.named("user_left")
    assert left["uid"] == "net" and (left["reason"] == "ended" or left["reason"].startswith("input error"))
    # Half of a 6 s file was served: the user leaves after about 3 s, the recording goes on to the end.
    started = run.rec.event_time(run.rec.named("started")[0])
    assert 1.5 < run.rec.event_time(left) - started < 4.5
    assert abs(run.closed()[0]["duration_s"] - 5.0) < 0.2
    assert decode_errors(Path(run.closed()[0]["path"])) == ""
