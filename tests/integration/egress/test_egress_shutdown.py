"""SIGTERM of an instance: recorders stop gracefully, files are finalized, tasks end or move on as configured."""

from __future__ import annotations

import signal
from collections.abc import Callable

from tests.integration.egress.conftest import Instance, pid_alive, small_record
from tests.support.media import media_info


def test_sigterm_with_on_shutdown_stop_ends_tasks_stopped_with_finalized_files(
    instance: Callable[..., Instance],
) -> None:
    api = instance("api-server")
    node = instance("egress")
    ids = [api.start(f"sd{i}", small_record(channel=f"c-sd{i}", max_duration_s=600)) for i in range(2)]
    for t in ids:
        api.wait(t, lambda s: bool(s["started_at"]), "recording started")
    pids = [api.recorder_pid(t, 1) for t in ids]
    for t in ids:
        node.wait_recorded(t, 1.5)  # something worth finalizing
    code, took = node.serve.signal(signal.SIGTERM)
    assert code == 0 and took < 5
    assert not any(pid_alive(p) for p in pids)
    for t in ids:
        final = api.status(t)
        assert final["state"] == "STOPPED" and final["reason"] == "shutdown"
        (video,) = [f for f in final["files"] if f["kind"] == "media"]
        assert "recovered" not in video.get("extra", {})  # closed by the recorder, not rescued
        info = media_info(node.file_path(t, video["name"]))
        assert info.video_codec == "h264" and info.duration_s > 1.0


def test_sigterm_with_on_shutdown_requeue_resumes_the_task_on_another_instance(
    instance: Callable[..., Instance],
) -> None:
    api = instance("api-server")
    leaving = instance("egress", RTC_EGRESS_EGRESS__ON_SHUTDOWN="requeue")
    task_id = api.start("rq", small_record(channel="c-rq", max_duration_s=600))
    api.wait(task_id, lambda s: bool(s["started_at"]), "recording started")
    first_owner = api.status(task_id)["owner"]
    code, _ = leaving.serve.signal(signal.SIGTERM)
    assert code == 0
    back = api.status(task_id)
    assert back["state"] == "ENQUEUED" and back["attempts"] == 0  # a planned handover costs no attempt
    instance("egress")
    resumed = api.wait(task_id, lambda s: s["state"] == "PROCESSING" and s["part"] == 2, "resumed elsewhere")
    assert resumed["owner"] != first_owner
    api.stop(task_id, "end")
    final = api.wait_terminal(task_id)
    assert final["state"] == "STOPPED"
    assert sorted(f["part"] for f in final["files"] if f["kind"] == "media") == [1, 2]
