"""Where each user ends up on the composite canvas (640x360), read back from the recorded file."""

from __future__ import annotations

from pathlib import Path

from tests.native.scenarios import COLOURS, Run
from tests.support.media import assert_colour, colour_at, decode_errors

PLACEHOLDER = "#303038"


def recorded(run: Run) -> Path:
    assert run.rec.events[-1]["status"] == "ok", run.rec.stderr()[-2000:]
    (closed,) = run.closed()
    return Path(closed["path"])


def check(path: Path, t: float, expected: dict[tuple[int, int], str], size: int = 24) -> None:
    for (x, y), rgb in expected.items():
        assert_colour(colour_at(path, t, x, y, size), rgb, f"pixel ({x},{y}) at {t}s")


def test_grid_puts_four_users_in_quadrants(recordings) -> None:
    path = recorded(recordings["grid"])
    check(path, 1.5, {(160, 90): COLOURS[0], (480, 90): COLOURS[1], (160, 270): COLOURS[2], (480, 270): COLOURS[3]})


def test_flat_centres_an_incomplete_last_row(recordings) -> None:
    path = recorded(recordings["flat"])
    check(path, 1.5, {(160, 90): COLOURS[0], (480, 90): COLOURS[1], (320, 270): COLOURS[2], (80, 270): "#000000"})


def test_spotlight_shows_the_loudest_user_large(recordings) -> None:
    path = recorded(recordings["spotlight"])
    # u2 is the loud one: the large tile on the left; the others in the strip on the right.
    check(path, 2.5, {(256, 180): COLOURS[1], (576, 144): COLOURS[0], (576, 216): COLOURS[2]}, size=16)


def test_when_the_speaker_leaves_the_next_loudest_takes_the_spotlight(recordings) -> None:
    path = recorded(recordings["spotlight_speaker_leaves"])
    check(path, 1.5, {(256, 180): COLOURS[1]}, size=16)  # u2, the loudest, while present
    check(path, 3.5, {(256, 180): COLOURS[2]}, size=16)  # u2 left at 2 s: u3, louder than u1, at once


def test_customized_regions_follow_z_order(recordings) -> None:
    path = recorded(recordings["customized"])
    # u1 fills the canvas, u2 sits above it in the bottom-right quarter, u3 has no region and is not shown.
    check(path, 1.5, {(160, 90): COLOURS[0], (480, 270): COLOURS[1], (160, 270): COLOURS[0]})


def test_set_layout_changes_the_picture_while_recording(recordings) -> None:
    run: Run = recordings["set_layout"]
    path = recorded(run)
    assert run.info["code"] == 0
    assert [e["layout"] for e in run.rec.named("layout_changed")] == ["spotlight"]
    (error,) = run.rec.named("error")
    assert error["message"].startswith("set_layout: layout:") and "freestyle" in error["message"]
    check(path, 0.5, {(160, 90): COLOURS[0], (480, 90): COLOURS[1]})
    # Pinned spotlight on u3, new background colour in the letterbox above the main tile.
    check(path, 2.5, {(256, 180): COLOURS[2], (256, 16): "#204060", (576, 144): COLOURS[0]}, size=16)


def test_join_leave_pause_and_resize_keep_one_valid_output(recordings) -> None:
    run: Run = recordings["dynamics"]
    path = recorded(run)
    assert decode_errors(path) == ""
    assert [e["uid"] for e in run.rec.named("user_joined")] == ["u1", "u3", "u2"]
    assert [(e["uid"], e["reason"]) for e in run.rec.named("user_left")] == [("u2", "left")]
    # 0.5 s: u1 and u3 side by side.
    check(path, 0.5, {(160, 180): COLOURS[0], (480, 180): COLOURS[2]})
    # 2.5 s: u1's camera is off (placeholder), u3 turned portrait, u2 joined (tiles go in join order).
    check(path, 2.5, {(160, 140): PLACEHOLDER, (480, 90): COLOURS[2], (320, 270): COLOURS[1]}, size=16)
    # 3.6 s: u1's camera is back, u2 has left; u3's portrait tile is pillarboxed.
    check(path, 3.6, {(160, 180): COLOURS[0], (480, 180): COLOURS[2], (350, 180): "#000000"}, size=16)


def test_users_list_selects_and_orders_the_users(recordings) -> None:
    run: Run = recordings["filtered"]
    path = recorded(run)
    assert [e["uid"] for e in run.rec.named("user_joined")] == ["u1", "u3"]
    # Only u3 and u1, in the order of the task's users list.
    check(path, 1.5, {(160, 180): COLOURS[2], (480, 180): COLOURS[0]})
