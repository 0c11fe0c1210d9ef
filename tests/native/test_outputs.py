"""HLS, snapshots and per-user (individual) outputs."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.native.scenarios import COLOURS, Run
from tests.support.media import assert_colour, colour_at, decode_errors, parse_playlist, probe, stream


def test_hls_segments_and_growing_playlist(recordings) -> None:
    run: Run = recordings["hls"]
    assert run.info["code"] == 0 and run.rec.events[-1]["reason"] == "stopped"
    playlist = run.out / "room-1-thls.m3u8"
    # While recording: an EVENT playlist without ENDLIST, already listing finished segments.
    live = run.info["live_playlists"][playlist.name]
    (run.out / "live.m3u8").write_text(live)
    during = parse_playlist(run.out / "live.m3u8")
    assert not during["ended"] and during["tags"]["EXT-X-PLAYLIST-TYPE"] == "EVENT"
    assert 1 <= len(during["segments"]) <= 3
    final = parse_playlist(playlist)
    assert final["ended"] and final["tags"]["EXT-X-TARGETDURATION"] == "1"
    segments = final["segments"]
    assert 4 <= len(segments) <= 6, segments
    assert segments[: len(during["segments"])] == during["segments"], "the playlist only grows"
    assert all(abs(d - 1.0) < 0.001 for _, d in segments[:-1]) and 0 < segments[-1][1] <= 1.0
    # Every segment was announced, then the playlist last.
    closed = run.closed()
    assert [c["name"] for c in closed] == [name for name, _ in segments] + [playlist.name]
    assert closed[-1]["kind"] == "playlist" and all(c["kind"] == "media" for c in closed[:-1])
    for c in closed:
        assert hashlib.sha256(Path(c["path"]).read_bytes()).hexdigest() == c["sha256"]
    for name, duration in segments:
        info = probe(run.out / name)
        assert stream(info, "video")["codec_name"] == "h264" and stream(info, "audio")["codec_name"] == "aac"
        assert abs(float(info["format"]["duration"]) - duration) < 0.1, (name, info["format"]["duration"])
    info = probe(playlist)
    assert abs(float(info["format"]["duration"]) - sum(d for _, d in segments)) < 0.15
    assert decode_errors(playlist) == ""


def test_composite_snapshots(recordings) -> None:
    run: Run = recordings["snapshots"]
    assert run.rec.events[-1]["status"] == "ok"
    snaps = run.rec.named("snapshot")
    closed = run.closed()
    assert len(snaps) == len(closed) == 6, [e["event"] for e in run.rec.events]
    assert [c["name"] for c in closed] == [f"tsnapshots_{i:04d}.jpg" for i in range(1, 7)]
    assert [round(s["ts"], 2) for s in snaps] == [0.53, 1.0, 1.53, 2.0, 2.53, 3.0]
    for c in closed:
        path = Path(c["path"])
        data = path.read_bytes()
        assert c["kind"] == "snapshot" and c["bytes"] == len(data) and data[:2] == b"\xff\xd8"
        assert c["sha256"] == hashlib.sha256(data).hexdigest()
        v = stream(probe(path), "video")
        assert (v["codec_name"], v["width"], v["height"]) == ("mjpeg", 320, 180)
    assert sorted(p.name for p in run.out.iterdir()) == [c["name"] for c in closed]


def test_individual_snapshots_per_user(recordings) -> None:
    run: Run = recordings["snapshots_individual"]
    names = sorted(c["name"] for c in run.closed())
    assert names == [
        "tsnapshotsindivi_u1_0001.jpg",
        "tsnapshotsindivi_u1_0002.jpg",
        "tsnapshotsindivi_u2_0001.jpg",
        "tsnapshotsindivi_u2_0002.jpg",
    ]
    assert {s["uid"] for s in run.rec.named("snapshot")} == {"u1", "u2"}


def test_individual_mode_writes_one_file_per_user(recordings) -> None:
    run: Run = recordings["individual"]
    assert run.rec.events[-1]["status"] == "ok"
    closed = {c["uid"]: c for c in run.closed()}
    assert set(closed) == {"u1", "u2"}
    assert closed["u1"]["name"] == "tindividual_u1_0001.mp4"
    # u2 left after 2 s: its file was finished then, before the recording ended.
    names = [e["event"] + ":" + e.get("uid", "") for e in run.rec.events]
    assert names.index("file_closed:u2") < names.index("user_left:u2") + 3 < names.index("file_closed:u1")
    # (The source's script clock starts a little before the output clock, while the encoders open.)
    assert 1.6 < closed["u2"]["duration_s"] < 2.3 and 3.8 < closed["u1"]["duration_s"] < 4.3
    for i, uid in enumerate(["u1", "u2"]):
        path = Path(closed[uid]["path"])
        info = probe(path)
        v = stream(info, "video")
        assert (v["width"], v["height"]) == (640, 360) and stream(info, "audio")["channels"] == 2
        assert decode_errors(path) == ""
        assert_colour(colour_at(path, 1.5, 320, 180), COLOURS[i], f"{uid}'s own file")


def test_individual_hls_has_a_playlist_per_user(recordings) -> None:
    run: Run = recordings["individual_hls"]
    assert run.rec.events[-1]["status"] == "ok"
    playlists = run.closed("playlist")
    assert sorted((c["uid"], c["name"]) for c in playlists) == [
        ("u1", "tindividualhls_u1_0001.m3u8"),
        ("u2", "tindividualhls_u2_0001.m3u8"),
    ]
    for c in playlists:
        parsed = parse_playlist(Path(c["path"]))
        assert parsed["ended"] and 2 <= len(parsed["segments"]) <= 4
        assert all(seg.startswith(f"tindividualhls_{c['uid']}_0001_") for seg, _ in parsed["segments"])
        assert decode_errors(Path(c["path"])) == ""
