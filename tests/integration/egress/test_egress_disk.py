"""Back-pressure from the spool disk: an instance low on space leaves work queued for others, and one nearly
full hands its running recordings over (files finalized) to continue elsewhere. The spool is a real 64 MiB
tmpfs filled with real files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.egress.conftest import Instance, small_record
from tests.integration.egress.test_egress_e2e import media_files
from tests.support.media import media_info
from tests.support.small_disk import MIB, leave_free, small_disk

DISK_LIMITS = {"RTC_EGRESS_EGRESS__MIN_FREE_DISK_MB": "40", "RTC_EGRESS_EGRESS__CRITICAL_FREE_DISK_MB": "20"}


@pytest.fixture
def spool_disk(tmp_path: Path) -> Iterator[Path]:
    with small_disk(tmp_path / "small-disk", 64) as disk:
        yield disk


def test_a_full_spool_leaves_work_to_others_and_hands_running_recordings_over(
    instance: Callable[..., Instance], spool_disk: Path, tmp_path: Path
) -> None:
    api = instance("api-server")
    leave_free(spool_disk, 30)  # below min_free_disk_mb (40): no new claims
    cramped = instance("egress", data_dir=spool_disk / "data", **DISK_LIMITS)
    assert cramped.serve.logged("spool disk low")["free_mb"] < 40

    # A task created now is announced to the cramped instance first; it leaves it queued for one with room.
    first = api.start("waits", small_record(channel="c-first", max_duration_s=600))
    roomy = instance("egress", data_dir=tmp_path / "roomy")
    roomy_owner = roomy.serve.logged("egress started")["owner"]
    assert api.wait_state(first, "PROCESSING")["owner"] == roomy_owner
    api.stop(first)
    assert api.wait_terminal(first)["state"] == "STOPPED"
    roomy.serve.signal()

    # Room again: the cramped instance claims; then the disk nearly fills while it records.
    leave_free(spool_disk, 60)
    cramped.serve.logged("spool disk ok")
    task_id = api.start("handover", small_record(channel="c-handover", max_duration_s=600))
    cramped_owner = api.wait_state(task_id, "PROCESSING")["owner"]
    cramped.wait_recorded(task_id, 1.0, data_dir=spool_disk / "data")
    leave_free(spool_disk, 10)  # below critical_free_disk_mb (20)
    handed = api.wait(task_id, lambda s: s["state"] == "ENQUEUED" and bool(media_files(s)), "handed back with part 1")
    assert "spool disk nearly full" in handed["reason"] and handed["attempts"] == 0  # a handover, not a crash

    # Another instance continues it as part 2; both parts are listed and playable.
    heir = instance("egress", data_dir=tmp_path / "heir")
    resumed = api.wait(task_id, lambda s: s["part"] == 2 and s["state"] == "PROCESSING", "part 2 elsewhere")
    assert resumed["owner"] not in (cramped_owner, None)
    heir.wait_recorded(task_id, 0.5, "*_part2.mp4")
    api.stop(task_id, "end")
    final = api.wait_terminal(task_id)
    assert final["state"] == "STOPPED"
    by_part = {f["part"]: f for f in media_files(final)}
    assert sorted(by_part) == [1, 2]
    part1 = media_info(spool_disk / "data" / "spool" / task_id / by_part[1]["name"])
    assert part1.video_codec == "h264" and part1.duration_s >= 1.0
    assert media_info(heir.file_path(task_id, by_part[2]["name"])).video_codec == "h264"
    metrics = cramped.serve.metrics()
    assert 'rtc_egress_egress_part_endings_total{outcome="requeued"} 1.0' in metrics
    free = next(line for line in metrics.splitlines() if line.startswith("rtc_egress_egress_spool_free_bytes "))
    assert float(free.split()[1]) < 20 * MIB
    # Low disk is back-pressure, not a failure: the instance stays up and ready, and says why it is idle.
    ready = cramped.serve.get("/ready")
    assert ready is not None and ready.status_code == 200
    assert ready.json()["components"]["egress"]["spool_disk"] == "critical"
