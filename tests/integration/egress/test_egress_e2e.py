"""Recording through the real HTTP API, real Redis and the real recorder: files, states and stops."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from tests.integration.egress.conftest import Instance, small_record
from tests.support.media import media_info


def media_files(status: dict, kind: str = "media") -> list[dict]:
    return [f for f in status["files"] if f["kind"] == kind]


def test_mp4_hls_individual_and_snapshot_tasks_end_stopped_with_valid_files(
    instance: Callable[..., Instance],
) -> None:
    node = instance()
    mp4 = node.start("mp4", small_record(channel="c-mp4", max_duration_s=3, format="mp4"))
    hls = node.start("hls", small_record(channel="c-hls", max_duration_s=3, format="hls", hls_segment_s=1))
    indiv = node.start("indiv", small_record(channel="c-ind", max_duration_s=3, mode="individual"))
    snap = node.start("snap", small_record(channel="c-snap", max_duration_s=3, interval_in_ms=1000), cmd="snapshot")

    for task_id in (mp4, hls, indiv, snap):
        final = node.wait_terminal(task_id)
        assert final["state"] == "STOPPED", final
        assert final["reason"] == "max_duration"
        assert final["started_at"] and final["part"] == 1

    status = node.status(mp4)
    (video,) = media_files(status)
    info = media_info(node.file_path(mp4, video["name"]))
    assert (info.video_codec, info.width, info.height, info.audio_codec) == ("h264", 320, 180, "aac")
    assert abs(info.duration_s - 3.0) < 0.3 and abs((info.fps or 0) - 15) < 0.2
    assert video["bytes"] == node.file_path(mp4, video["name"]).stat().st_size and len(video["sha256"]) == 64

    status = node.status(hls)
    playlists = media_files(status, "playlist")
    assert len(playlists) == 1
    playlist = node.file_path(hls, playlists[0]["name"]).read_text()
    assert "#EXT-X-ENDLIST" in playlist
    segments = [line for line in playlist.splitlines() if line and not line.startswith("#")]
    assert len(segments) >= 3  # the task's own 1 s segments, not the instance's 4 s default
    assert all(node.file_path(hls, s).is_file() for s in segments)
    assert {f["name"] for f in media_files(status)} >= set(segments)
    info = media_info(node.file_path(hls, segments[0]))
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")

    status = node.status(indiv)
    per_user = media_files(status)
    assert len(per_user) == 2  # one output per synthetic user
    for f in per_user:
        info = media_info(node.file_path(indiv, f["name"]))
        assert info.video_codec == "h264" and abs(info.duration_s - 3.0) < 0.5

    status = node.status(snap)
    jpegs = media_files(status, "snapshot")
    assert 2 <= len(jpegs) <= 4
    info = media_info(node.file_path(snap, jpegs[0]["name"]))
    assert (info.video_codec, info.width, info.height) == ("mjpeg", 320, 180)


def test_stop_while_processing_and_twice(instance: Callable[..., Instance]) -> None:
    node = instance()
    task_id = node.start("long", small_record(channel="c-stop", max_duration_s=600))
    node.wait(task_id, lambda s: bool(s["started_at"]), "recording started")
    node.wait_recorded(task_id, 2.0)
    first = node.stop(task_id, "stopA")
    assert first["status"] == "enqueued" and first["state"] in ("STOPPING", "STOPPED")
    final = node.wait_terminal(task_id)
    assert final["state"] == "STOPPED" and final["reason"] == "stopped"
    second = node.stop(task_id, "stopB")
    assert second["status"] == "completed" and "STOPPED" in second["message"]
    (video,) = media_files(node.status(task_id))
    assert media_info(node.file_path(task_id, video["name"])).duration_s > 1.5


def test_stop_while_enqueued_never_starts(instance: Callable[..., Instance]) -> None:
    node = instance(RTC_EGRESS_EGRESS__MAX_TASKS="1")
    busy = node.start("busy", small_record(channel="c-busy", max_duration_s=600))
    node.wait_state(busy, "PROCESSING")
    queued = node.start("queued", small_record(channel="c-queued", max_duration_s=600))
    assert node.status(queued)["state"] == "ENQUEUED"
    res = node.stop(queued, "s1")
    assert res["state"] == "STOPPED"
    node.stop(busy, "s2")
    node.wait_terminal(busy)
    final = node.status(queued)
    assert final["state"] == "STOPPED" and final["started_at"] is None and final["files"] == []
    assert [e for e in node.events(queued) if e["type"] == "started"] == []


def test_two_instances_with_one_slot_each_run_two_tasks_and_queue_the_third(
    instance: Callable[..., Instance],
) -> None:
    a = instance(RTC_EGRESS_EGRESS__MAX_TASKS="1")
    b = instance("egress", RTC_EGRESS_EGRESS__MAX_TASKS="1")
    ids = [a.start(f"t{i}", small_record(channel=f"c-two{i}", max_duration_s=600)) for i in range(3)]
    running = a.wait(ids[0], lambda _: sum(a.status(t)["state"] == "PROCESSING" for t in ids) == 2, "two tasks running")
    assert running
    states = {t: a.status(t) for t in ids}
    owners = {s["owner"] for s in states.values() if s["state"] == "PROCESSING"}
    assert len(owners) == 2  # one on each instance
    (waiting,) = [t for t, s in states.items() if s["state"] == "ENQUEUED"]
    first_running = next(t for t, s in states.items() if s["state"] == "PROCESSING")
    a.stop(first_running, "free1")
    a.wait_state(waiting, "PROCESSING")  # the freed slot takes the queued task
    for t in ids:
        a.stop(t, "end")
    for t in ids:
        assert a.wait_terminal(t)["state"] == "STOPPED"
    assert b.serve.proc.poll() is None


def test_agora_task_without_sdk_fails_at_once_with_the_reason(instance: Callable[..., Instance]) -> None:
    node = instance()
    payload = {"channel": "real", "access_token": "0123456789abcdef", "workerUid": 7, "layout": "flat"}
    task_id = node.start("agora1", payload)
    final = node.wait_terminal(task_id, timeout=5)
    assert final["state"] == "FAILED"
    assert "Agora SDK not found: set AGORA_SDK_DIR" in final["reason"]
    assert final["attempts"] == 0  # a configuration failure is not retried
    took = datetime.fromisoformat(final["finished_at"]) - datetime.fromisoformat(final["created_at"])
    assert took.total_seconds() < 1.0


def test_recorder_killed_mid_task_resumes_as_part_two_and_both_parts_are_listed(
    instance: Callable[..., Instance],
) -> None:
    from tests.integration.egress.conftest import kill

    node = instance()
    task_id = node.start("crash", small_record(channel="c-crash", max_duration_s=600))
    node.wait(task_id, lambda s: bool(s["started_at"]), "part 1 started")
    node.wait_recorded(task_id, 2.0)  # a few fragments on disk
    kill(node.recorder_pid(task_id, 1))
    resumed = node.wait(task_id, lambda s: s["part"] == 2 and s["state"] == "PROCESSING", "part 2 running")
    assert resumed["attempts"] == 1
    node.wait_recorded(task_id, 0.5, "*_part2.mp4")
    node.stop(task_id, "end")
    final = node.wait_terminal(task_id)
    assert final["state"] == "STOPPED"
    parts = sorted((f["part"], f["name"]) for f in media_files(final))
    assert [p for p, _ in parts] == [1, 2]
    assert re.search(r"_part2", parts[1][1])
    for _, name in parts:
        assert media_info(node.file_path(task_id, name)).video_codec == "h264"  # part 1 playable after SIGKILL
    metrics = node.serve.metrics()
    for line in (
        'rtc_egress_egress_part_endings_total{outcome="crashed"} 1.0',
        'rtc_egress_egress_part_endings_total{outcome="stopped"} 1.0',
        "rtc_egress_egress_claims_total 2.0",
        "rtc_egress_egress_tasks_running 0.0",
    ):
        assert line in metrics


def test_hung_recorder_is_killed_and_the_task_retried(instance: Callable[..., Instance]) -> None:
    import signal

    from tests.integration.egress.conftest import kill, pid_alive

    node = instance(RTC_EGRESS_EGRESS__STATS_TIMEOUT_S="2")
    task_id = node.start("hang", small_record(channel="c-hang", max_duration_s=600))
    node.wait(task_id, lambda s: bool(s["started_at"]), "part 1 started")
    pid = node.recorder_pid(task_id, 1)
    kill(pid, signal.SIGSTOP)  # alive but silent
    resumed = node.wait(task_id, lambda s: s["part"] == 2, "part 2 after the watchdog", timeout=20)
    assert resumed["attempts"] == 1
    assert not pid_alive(pid) or Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] == "Z"
    node.stop(task_id, "end")
    assert node.wait_terminal(task_id)["state"] == "STOPPED"


def test_whole_instance_killed_mid_task_resumes_elsewhere_and_keeps_part_one(
    instance: Callable[..., Instance], tmp_path: Path
) -> None:
    import signal

    from tests.integration.egress.conftest import pid_alive
    from tests.support.service import wait_until

    api = instance("api-server")
    shared = tmp_path / "shared-data"  # two egress pods sharing one spool volume
    doomed = instance("egress", data_dir=shared)
    task_id = api.start("orphan", small_record(channel="c-orphan", max_duration_s=600))
    api.wait(task_id, lambda s: bool(s["started_at"]), "part 1 started")
    doomed.wait_recorded(task_id, 2.0)
    recorder = api.recorder_pid(task_id, 1)
    first_owner = api.status(task_id)["owner"]
    doomed.serve.proc.send_signal(signal.SIGKILL)
    doomed.serve.proc.wait()
    # No orphaned recorder: it notices its supervisor is gone, finalizes and exits.
    wait_until(lambda: not pid_alive(recorder), "orphaned recorder exits", timeout=5)

    survivor = instance("egress", data_dir=shared)
    resumed = api.wait(task_id, lambda s: s["part"] == 2 and s["state"] == "PROCESSING", "part 2 elsewhere")
    assert resumed["attempts"] == 1 and resumed["owner"] != first_owner
    survivor.wait_recorded(task_id, 0.5, "*_part2.mp4")
    api.stop(task_id, "end")
    final = api.wait_terminal(task_id)
    assert final["state"] == "STOPPED"
    by_part = {f["part"]: f for f in media_files(final)}
    assert sorted(by_part) == [1, 2]
    part1 = shared / "spool" / task_id / by_part[1]["name"]
    info = media_info(part1)
    assert info.video_codec == "h264" and info.duration_s > 1.5  # the first part's recording is kept, playable
    assert survivor.serve.proc.poll() is None


def test_instance_policy_refuses_local_inputs_and_disallowed_sources(
    instance: Callable[..., Instance], tmp_path: Path
) -> None:
    node = instance(RTC_EGRESS_EGRESS__ALLOWED_SOURCES="agora,url")
    local = node.start(
        "local",
        small_record(channel="c-local", source={"type": "url", "inputs": [{"uid": "u1", "url": "/etc/passwd"}]}),
    )
    synthetic = node.start("synth", small_record(channel="c-synth"))
    local_final, synth_final = node.wait_terminal(local, timeout=5), node.wait_terminal(synthetic, timeout=5)
    assert local_final["state"] == "FAILED"
    assert local_final["reason"] == (
        "payload.source.inputs[0].url: local files are not allowed on this instance (egress.allow_local_inputs)"
    )
    assert synth_final["state"] == "FAILED" and "'synthetic' is not allowed" in synth_final["reason"]


def test_url_source_records_a_file_input_when_local_inputs_are_allowed(
    instance: Callable[..., Instance], tmp_path: Path
) -> None:
    import subprocess

    clip = tmp_path / "clip.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=15", "-f", "lavfi",
         "-i", "sine=frequency=600:sample_rate=48000", "-t", "6", "-c:v", "libx264", "-preset", "ultrafast",
         "-c:a", "aac", str(clip)],
        check=True,
    )  # fmt: skip
    node = instance(RTC_EGRESS_EGRESS__ALLOW_LOCAL_INPUTS="true")
    source = {"type": "url", "inputs": [{"uid": "cam1", "url": f"file://{clip}"}]}
    task_id = node.start("url1", small_record(channel="c-url", source=source, max_duration_s=3, layout="flat"))
    final = node.wait_terminal(task_id)
    assert final["state"] == "STOPPED", final
    (video,) = media_files(final)
    info = media_info(node.file_path(task_id, video["name"]))
    assert (info.video_codec, info.audio_codec) == ("h264", "aac") and abs(info.duration_s - 3) < 0.4


def test_instance_frozen_past_its_lease_gives_the_task_up_and_keeps_its_file(
    instance: Callable[..., Instance],
) -> None:
    import signal

    from tests.integration.egress.conftest import pid_alive
    from tests.support.service import wait_until

    api = instance("api-server")
    frozen = instance("egress")
    task_id = api.start("frozen", small_record(channel="c-frozen", max_duration_s=600))
    api.wait(task_id, lambda s: bool(s["started_at"]), "part 1 started")
    recorder = api.recorder_pid(task_id, 1)
    frozen.serve.proc.send_signal(signal.SIGSTOP)  # cut off: no lease renewals
    try:
        api.wait(task_id, lambda s: s["state"] == "ENQUEUED" and s["attempts"] == 1, "lease expired, requeued")
    finally:
        frozen.serve.proc.send_signal(signal.SIGCONT)
    # Back, it learns the task is no longer its own and stops its recorder; the part's file is kept.
    wait_until(lambda: not pid_alive(recorder), "the old part's recorder stopped", timeout=15)
    resumed = api.wait(task_id, lambda s: s["state"] == "PROCESSING" and s["part"] == 2, "part 2")
    api.wait(task_id, lambda _: len([e for e in api.events(task_id) if e["type"] == "started"]) == 2, "part 2 runs")
    api.stop(task_id, "end")
    final = api.wait_terminal(task_id)
    assert final["state"] == "STOPPED" and resumed["attempts"] == 1
    parts = sorted(f["part"] for f in final["files"] if f["kind"] == "media")
    assert parts == [1, 2]
    assert 'rtc_egress_egress_part_endings_total{outcome="lost"} 1.0' in frozen.serve.metrics()


def test_recorders_get_no_service_secrets(instance: Callable[..., Instance]) -> None:
    node = instance(
        S3_ACCESS_KEY="AKIDEXAMPLE", S3_SECRET_KEY="s3-secret-never-in-a-recorder", WEBHOOK_SECRET="hook-s3cret"
    )
    task_id = node.start("env", small_record(channel="c-env", max_duration_s=600))
    node.wait(task_id, lambda s: bool(s["started_at"]), "recording started")
    environ = Path(f"/proc/{node.recorder_pid(task_id, 1)}/environ").read_bytes()
    for secret in (b"s3-secret-never-in-a-recorder", b"hook-s3cret", b"REDIS_URL"):
        assert secret not in environ
    assert b"PATH=" in environ
    node.stop(task_id)
    assert node.wait_terminal(task_id)["state"] == "STOPPED"
