"""Ending a recording: stop requests, signals, a dead supervisor, a killed process."""

from __future__ import annotations

from pathlib import Path

from tests.native.scenarios import Run
from tests.support.media import count_video_frames, decode_errors, top_level_boxes


def test_sigkill_leaves_a_playable_mp4(recordings) -> None:
    run: Run = recordings["sigkill"]
    assert run.info["code"] == -9
    assert not run.rec.named("file_closed") and not run.rec.named("finished")
    (path,) = run.out.glob("*.mp4")
    assert decode_errors(path) == ""
    frames = count_video_frames(path)
    # Fragments are at most a second long and flushed as they complete: at most ~2 s are lost.
    assert frames >= (run.info["recorded_s"] - 2.0) * 30, (frames, run.info["recorded_s"])
    assert "moof" in top_level_boxes(path)


def test_sigterm_finalizes_and_exits_quickly(recordings) -> None:
    run: Run = recordings["sigterm"]
    assert run.info["code"] == 0 and run.info["exit_after_s"] < 2.0
    assert (run.rec.events[-1]["status"], run.rec.events[-1]["reason"]) == ("ok", "stopped")
    path = Path(run.closed()[0]["path"])
    boxes = top_level_boxes(path)
    assert boxes.index("moov") < boxes.index("mdat")
    assert decode_errors(path) == ""


def test_stdin_eof_means_the_supervisor_died(recordings) -> None:
    run: Run = recordings["stdin_eof"]
    assert run.info["code"] == 0 and run.info["exit_after_s"] < 2.0
    assert run.rec.events[-1]["reason"] == "stopped"
    assert len(run.closed()) == 1 and decode_errors(Path(run.closed()[0]["path"])) == ""
