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


def test_a_task_file_run_without_stdin_records_until_its_limit(tmp_path: Path) -> None:
    """Run from a shell or a unit file (stdin closed), a recording is not mistaken for an orphan."""
    import json
    import subprocess

    from rtc_egress.egress.settings import find_recorder_binary
    from tests.support.media import media_info

    binary = find_recorder_binary(None)
    assert binary is not None, "run scripts/setup to build the recorder"
    task = tmp_path / "task.json"
    task.write_text(
        json.dumps(
            {
                "task_id": "nostdin", "cmd": "record", "layout": "grid", "max_duration_s": 2,
                "source": {"type": "synthetic", "users": 2}, "output_dir": str(tmp_path / "out"),
                "video": {"width": 320, "height": 180, "frameRate": 15, "bitrate": 300},
            }
        )
    )  # fmt: skip
    done = subprocess.run(
        [str(binary), "--task", str(task)], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20
    )
    assert done.returncode == 0, done.stderr
    finished = json.loads(done.stdout.strip().splitlines()[-1])
    assert (finished["event"], finished["reason"]) == ("finished", "max_duration")
    assert abs(media_info(tmp_path / "out" / "nostdin.mp4").duration_s - 2.0) < 0.2


def test_a_nearly_full_disk_keeps_the_fragmented_mp4_instead_of_copying_it(tmp_path: Path) -> None:
    """The fast-start rewrite copies the file; on a disk without room for the copy and a reserve for other
    recordings, the recorder keeps the (playable) fragmented MP4 and writes no temporary file."""
    from tests.native.recorder import run_for
    from tests.native.scenarios import task, users
    from tests.support.small_disk import small_disk

    with small_disk(tmp_path / "disk", 16) as disk:
        out = disk / "out"
        t = task(out, source=users(2), max_duration_s=30)
        t["video"] = {"width": 320, "height": 180, "frameRate": 15, "bitrate": 300}
        rec = run_for(t, tmp_path / "work", 1.5)
        assert rec.returncode == 0  # type: ignore[attr-defined]
        assert (rec.events[-1]["status"], rec.events[-1]["reason"]) == ("ok", "stopped")
        (closed,) = rec.named("file_closed")
        path = Path(closed["path"])
        assert "moof" in top_level_boxes(path) and decode_errors(path) == ""
        assert count_video_frames(path) >= 15
        assert sorted(p.name for p in out.iterdir()) == [path.name]  # no temporary copy left behind
        assert "not enough free space to rewrite it" in rec.stderr()
