"""Request validation: what the upstream clients send is accepted, and every rule names its field."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pydantic import ValidationError

from rtc_egress.tasks.model import TaskKind
from rtc_egress.tasks.validation import IdRequest, Payload, StartRequest, field_errors
from tests.support.bodies import upstream_start

# The start body of the upstream requests.sh (and its REST design doc), unchanged.
UPSTREAM_NATIVE: dict[str, Any] = upstream_start()
UPSTREAM_WEB: dict[str, Any] = {
    "request_id": "m2d3kw3l",
    "cmd": "record",
    "payload": {
        "layout": "freestyle",
        "url": "http://your_freestyle_canvas.good.example",
        "filename_pattern": "file_output",
        "webGL": False,
        "format": "hls",
        "video": {"width": 1280, "height": 720, "frameRate": 30, "bitrate": 1000},
        "audio": {"sampleRate": 48000, "channels": 2, "bitrate": 128},
    },
}


def start(body: dict[str, Any]) -> StartRequest:
    return StartRequest.model_validate_json(json.dumps(body))


def errors_of(body: dict[str, Any] | str) -> list[str]:
    raw = body if isinstance(body, str) else json.dumps(body)
    with pytest.raises(ValidationError) as info:
        StartRequest.model_validate_json(raw)
    return [str(e) for e in field_errors(info.value, StartRequest)]


def with_payload(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(UPSTREAM_NATIVE)
    for key, value in changes.items():
        if value is DELETE:
            del body["payload"][key]
        else:
            body["payload"][key] = value
    return body


DELETE = object()
REGION_RULE = "must be 1-32 characters of a-z, 0-9 and -, starting with a letter or digit"
URL_RULE = "must be a http or https URL without whitespace, at most 2048 characters"


def test_upstream_native_start_body_is_accepted_as_is() -> None:
    req = start(UPSTREAM_NATIVE)
    assert req.payload.kind is TaskKind.NATIVE
    stored = req.payload.stored("app1")
    assert stored["users"] == ["803231", "322353"]
    assert stored["video"] == {"width": 1280, "height": 720, "frameRate": 30, "bitrate": 1000}
    assert stored["access_token"] == "007eJxt9VMp+//+i9SOE"  # kept for the recorder
    assert stored["app_id"] == "app1"
    assert stored["source"] == {"type": "agora"}


def test_upstream_web_start_body_is_a_web_task() -> None:
    req = start(UPSTREAM_WEB)
    assert req.payload.kind is TaskKind.WEB
    assert req.payload.stored("a")["webGL"] is False


def test_a_url_makes_a_web_task_whatever_the_layout() -> None:
    body = {"request_id": "r1", "cmd": "record", "payload": {"url": "https://example.com/page"}}
    assert start(body).payload.kind is TaskKind.WEB


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"video": {"width": 641}}, "payload.video.width: must be an even number between 16 and 3840"),
        ({"video": {"width": "640"}}, "payload.video.width: must be an even number between 16 and 3840"),
        ({"video": {"height": 2162}}, "payload.video.height: must be an even number between 16 and 2160"),
        ({"video": {"frameRate": 61}}, "payload.video.frameRate: must be an integer between 1 and 60"),
        ({"video": {"bitrate": 49}}, "payload.video.bitrate: must be an integer between 50 and 20000"),
        ({"video": 5}, "payload.video: must be an object {width, height, frameRate, bitrate}"),
        (
            {"audio": {"sampleRate": 44000}},
            "payload.audio.sampleRate: must be one of 8000, 16000, 22050, 24000, 32000, 44100, 48000",
        ),
        ({"audio": {"channels": 3}}, "payload.audio.channels: must be 1 or 2"),
        ({"audio": {"channels": True}}, "payload.audio.channels: must be 1 or 2"),
        ({"audio": {"bitrate": 513}}, "payload.audio.bitrate: must be an integer between 16 and 512"),
        ({"channel": "a:b"}, "payload.channel: must be 1-64 characters of a-z, A-Z, 0-9, _, - and ."),
        ({"channel": "c" * 65}, "payload.channel: must be 1-64 characters of a-z, A-Z, 0-9, _, - and ."),
        ({"access_token": "short"}, "payload.access_token: must be a string of 10 to 512 characters"),
        ({"access_token": "t" * 513}, "payload.access_token: must be a string of 10 to 512 characters"),
        ({"workerUid": 0}, "payload.workerUid: must be an integer between 1 and 999999999"),
        ({"workerUid": 1_000_000_000}, "payload.workerUid: must be an integer between 1 and 999999999"),
        ({"workerUid": "42"}, "payload.workerUid: must be an integer between 1 and 999999999"),
        ({"workerUid": True}, "payload.workerUid: must be an integer between 1 and 999999999"),
        ({"interval_in_ms": 999}, "payload.interval_in_ms: must be an integer between 1000 and 300000"),
        ({"interval_in_ms": 300_001}, "payload.interval_in_ms: must be an integer between 1000 and 300000"),
        ({"format": "flv"}, "payload.format: must be mp4 or hls"),
        ({"mode": "mixed"}, "payload.mode: must be composite or individual"),
        ({"layout": "mosaic"}, "payload.layout: must be one of flat, grid, spotlight, customized, freestyle"),
        ({"max_duration_s": 0}, "payload.max_duration_s: must be an integer between 1 and 86400"),
        ({"idle_timeout_s": 86401}, "payload.idle_timeout_s: must be an integer between 1 and 86400"),
        (
            {"region": "EU"},
            "payload.region: must be 1-32 characters of a-z, 0-9 and -, starting with a letter or digit",
        ),
        (
            {"region": "-eu"},
            "payload.region: must be 1-32 characters of a-z, 0-9 and -, starting with a letter or digit",
        ),
        (
            {"webhook_url": "ftp://hooks.example"},
            "payload.webhook_url: must be a http or https URL without whitespace, at most 2048 characters",
        ),
        ({"background": "red"}, "payload.background: must be a colour #rrggbb"),
        ({"channel": DELETE}, "payload.channel: is required for native tasks"),
        ({"access_token": DELETE}, "payload.access_token: is required with the agora source"),
        ({"workerUid": DELETE}, "payload.workerUid: is required with the agora source"),
        (
            {"users": ["ok", "not ok!"]},
            "payload.users[1]: must be a list of at most 32 user ids, each 1-32 characters of a-z, A-Z, 0-9, _ and -",
        ),
        (
            {"users": [f"u{i}" for i in range(33)]},
            "payload.users: must be a list of at most 32 user ids, each 1-32 characters of a-z, A-Z, 0-9, _ and -",
        ),
        ({"uid": ["x"]}, "payload.uid: is a deprecated alias of users; send only users"),
        (
            {"uid": ["bad id"], "users": DELETE},
            "payload.uid[0]: must be a list of at most 32 user ids, each 1-32 characters of a-z, A-Z, 0-9, _ and -",
        ),
        ({"layout": "customized"}, "payload.regions: is required when layout is customized"),
        (
            {"regions": [{"uid": "a", "x": 0, "y": 0, "w": 1, "h": 1}]},
            "payload.regions: is only allowed when layout is customized",
        ),
        ({"layout": "freestyle"}, "payload.url: is required when layout is freestyle (the web page to record)"),
        (
            {"url": "https://example.com/a page"},
            "payload.url: must be a http or https URL without whitespace, at most 2048 characters",
        ),
        (
            {"url": "https://example.com/" + "a" * 2048},
            "payload.url: must be a http or https URL without whitespace, at most 2048 characters",
        ),
        (
            {"url": "javascript:alert(1)"},
            "payload.url: must be a http or https URL without whitespace, at most 2048 characters",
        ),
        (
            {"freestyleCanvasUrl": "httpfoo"},
            "payload.freestyleCanvasUrl: must be a http or https URL without whitespace, at most 1024 characters",
        ),
        ({"filename_pattern": "..etc"}, "payload.filename_pattern: must not contain '..'"),
        ({"filename_pattern": "a..b"}, "payload.filename_pattern: must not contain '..'"),
    ],
)
def test_each_rule_names_the_field_and_the_rule(changes: dict[str, Any], expected: str) -> None:
    assert expected in errors_of(with_payload(**changes))


FILENAME_RULE = (
    "payload.filename_pattern: must be 1-128 characters of a-z, A-Z, 0-9, _, - and . with the placeholders "
    "{task_id} {channel} {uid} {date} {time} {index} {part}, and no '/' or '..'"
)


@pytest.mark.parametrize("pattern", ["a/b", "{foo}", "rec {date}", "", "x" * 129, "{date", "x%s"])
def test_filename_pattern_rejects_unsafe_names(pattern: str) -> None:
    assert FILENAME_RULE in errors_of(with_payload(filename_pattern=pattern))


def test_filename_pattern_accepts_every_placeholder() -> None:
    pattern = "rec-{task_id}_{channel}_{uid}_{date}_{time}_{index}_{part}.v1"
    assert start(with_payload(filename_pattern=pattern)).payload.filename_pattern == pattern


def test_every_upstream_layout_is_accepted() -> None:
    for layout in ("flat", "grid", "spotlight"):
        assert start(with_payload(layout=layout)).payload.layout == layout
    regions = [
        {"uid": "803231", "x": 0, "y": 0, "w": 0.5, "h": 1},
        {"uid": "322353", "x": 0.5, "y": 0, "w": 0.5, "h": 1, "z": 1},
    ]
    custom = start(with_payload(layout="customized", regions=regions)).payload
    assert custom.regions is not None and [r.uid for r in custom.regions] == ["803231", "322353"]
    assert start(UPSTREAM_WEB).payload.layout == "freestyle"


def test_regions_must_fit_in_the_canvas() -> None:
    regions = [{"uid": "a", "x": 0.6, "y": 0, "w": 0.5, "h": 1}]
    assert "payload.regions[0].w: x + w must be at most 1 (the region must fit in the canvas)" in errors_of(
        with_payload(layout="customized", regions=regions)
    )
    regions = [{"uid": "a", "x": 0, "y": 0, "w": 0.5, "h": 1.5}]
    assert "payload.regions[0].h: must be a number greater than 0 and at most 1" in errors_of(
        with_payload(layout="customized", regions=regions)
    )


@pytest.mark.parametrize(
    ("cmd", "expected"),
    [
        ("rtmp", "cmd: rtmp is not supported (supported: record, snapshot)"),
        ("whip", "cmd: whip is not supported (supported: record, snapshot)"),
        ("transcode", "cmd: must be one of record, snapshot"),
        (5, "cmd: must be one of record, snapshot"),
    ],
)
def test_unsupported_and_unknown_cmds_are_rejected(cmd: Any, expected: str) -> None:
    body = copy.deepcopy(UPSTREAM_NATIVE)
    body["cmd"] = cmd
    assert errors_of(body) == [expected]


def test_snapshot_cmd_is_accepted() -> None:
    body = with_payload(interval_in_ms=5000)
    body["cmd"] = "snapshot"
    assert start(body).cmd == "snapshot"


@pytest.mark.parametrize("request_id", ["", "a" * 33, "req_usr79_001", "with space", "é"])
def test_request_id_follows_the_upstream_rule(request_id: str) -> None:
    body = copy.deepcopy(UPSTREAM_NATIVE)
    body["request_id"] = request_id
    assert errors_of(body) == ["request_id: must be 1-32 characters of 0-9, a-z, A-Z"]


def test_unknown_payload_keys_are_rejected_by_name() -> None:
    errors = errors_of(with_payload(resolution="720p", bucket="b"))
    assert "payload.resolution: is not a known field" in errors
    assert "payload.bucket: is not a known field" in errors


def test_unknown_keys_in_nested_objects_are_rejected_by_name() -> None:
    assert errors_of(with_payload(video={"width": 640, "fps": 30})) == ["payload.video.fps: is not a known field"]


def test_upstream_payload_keys_are_accepted() -> None:
    req = start(
        with_payload(
            app_id="someone-else", task_id="abc", webGL=True, web_recorder={"x": 1},
            freestyleCanvasUrl="https://canvas.example/c",
        )
    )  # fmt: skip
    stored = req.payload.stored("app1")
    assert stored["app_id"] == "app1"  # the path's app_id wins
    assert "task_id" not in stored
    assert stored["web_recorder"] == {"x": 1}
    assert stored["freestyleCanvasUrl"] == "https://canvas.example/c"


def test_uid_is_a_deprecated_alias_of_users() -> None:
    body = with_payload(users=DELETE, uid=["803231"])
    stored = start(body).payload.stored("a")
    assert stored["users"] == ["803231"]
    assert "uid" not in stored


def test_users_may_be_one_string_or_numbers() -> None:
    assert start(with_payload(users="803231")).payload.users == ["803231"]
    assert start(with_payload(users=[803231, "x"])).payload.users == ["803231", "x"]


def test_missing_or_null_payload_is_required() -> None:
    body = copy.deepcopy(UPSTREAM_NATIVE)
    body["payload"] = None
    assert errors_of(body) == ["payload: is required"]
    del body["payload"]
    assert errors_of(body) == ["payload: is required"]


def test_body_that_is_not_an_object_or_not_json() -> None:
    assert errors_of("[1, 2]") == ["must be a JSON object"]
    assert errors_of("{not json")[0].startswith("body is not valid JSON")


def test_several_problems_are_all_reported() -> None:
    body = with_payload(video={"width": 1, "height": 1})
    body["request_id"] = "bad id"
    assert set(errors_of(body)) == {
        "request_id: must be 1-32 characters of 0-9, a-z, A-Z",
        "payload.video.width: must be an even number between 16 and 3840",
        "payload.video.height: must be an even number between 16 and 2160",
    }


# --- sources -----------------------------------------------------------------------------------------------------


def native_with_source(source: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return with_payload(source=source, access_token=DELETE, workerUid=DELETE, **changes)


def test_synthetic_and_url_sources_need_no_token_or_worker_uid() -> None:
    assert start(native_with_source({"type": "synthetic", "users": 4})).payload.source.users == 4
    users = [{"uid": "u1", "join_at_s": 0, "leave_at_s": 5, "video": True, "audio": False, "mute_video_at_s": 2}]
    stored = start(native_with_source({"type": "synthetic", "users": users})).payload.stored("a")
    assert stored["source"]["users"][0]["mute_video_at_s"] == 2  # scripting keys reach the recorder
    inputs = [{"uid": "u1", "url": "rtmp://media.example/live/a"}, {"uid": "u2", "url": "/srv/media/b.mp4"}]
    assert start(native_with_source({"type": "url", "inputs": inputs})).payload.source.inputs is not None


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ({"type": "synthetic"}, "payload.source.users: is required when type is synthetic"),
        (
            {"type": "synthetic", "users": 33},
            "payload.source.users: must be a number of users between 1 and 32, or a list of 1 to 32 users "
            "{uid, join_at_s, leave_at_s, video, audio, width, height}",
        ),
        (
            {"type": "synthetic", "users": [{"uid": "a", "join_at_s": 5, "leave_at_s": 1}]},
            "payload.source.users[0].leave_at_s: must be later than join_at_s",
        ),
        (
            {"type": "synthetic", "users": [{"uid": "a b"}]},
            "payload.source.users[0].uid: must be 1-32 characters of a-z, A-Z, 0-9, _ and -",
        ),
        ({"type": "url"}, "payload.source.inputs: is required when type is url"),
        (
            {"type": "url", "inputs": [{"uid": "a", "url": "rtmp://h/x"}, {"uid": "a", "url": "rtmp://h/y"}]},
            "payload.source.inputs: each input must have a distinct uid",
        ),
        (
            {"type": "url", "inputs": [{"uid": "a", "url": "gopher://h/x"}]},
            "payload.source.inputs[0].url: must be an absolute path or a http, https, rtmp, rtmps, rtsp, rtsps, srt, "
            "udp, tcp or file URL without whitespace, at most 2048 characters",
        ),
        ({"type": "agora", "users": 2}, "payload.source.users: is only allowed when type is synthetic"),
        ({"type": "webrtc"}, "payload.source.type: must be one of agora, synthetic, url"),
        ({"type": "synthetic", "users": 2, "extra": 1}, "payload.source.extra: is not a known field"),
    ],
)
def test_source_rules(source: dict[str, Any], expected: str) -> None:
    assert expected in errors_of(native_with_source(source))


def test_a_web_task_takes_no_media_source() -> None:
    body = copy.deepcopy(UPSTREAM_WEB)
    body["payload"]["source"] = {"type": "synthetic", "users": 2}
    assert errors_of(body) == ["payload.source: only applies to native tasks (a web task records payload.url)"]


def test_the_stored_payload_validates_again_unchanged() -> None:
    """Workers re-validate the stored payload at claim time: it must pass and stay the same."""
    users = [{"uid": "u1", "join_at_s": 0.5, "leave_at_s": 5}]
    for body in (
        UPSTREAM_NATIVE,
        UPSTREAM_WEB,
        native_with_source({"type": "synthetic", "users": users}, layout="customized",
                           regions=[{"uid": "u1", "x": 0.25, "y": 0, "w": 0.5, "h": 0.5}]),
        with_payload(users=DELETE, uid="803231"),
    ):  # fmt: skip
        stored = start(body).payload.stored("app1")
        again = Payload.model_validate(json.loads(json.dumps(stored)))
        assert again.stored("app1") == stored


def test_stop_and_status_bodies_need_a_valid_request_id_and_ignore_other_keys() -> None:
    assert IdRequest.model_validate_json('{"request_id": "abc", "action": "stop"}').request_id == "abc"
    with pytest.raises(ValidationError) as info:
        IdRequest.model_validate_json("{}")
    assert [str(e) for e in field_errors(info.value, IdRequest)] == ["request_id: is required"]


def test_nan_and_infinity_are_refused_even_in_free_form_keys() -> None:
    """Python's JSON parser accepts them, but what the task keeps must be JSON every client can read."""

    def raw(payload_json: str) -> str:
        return '{"request_id": "r1", "cmd": "record", "payload": ' + payload_json + "}"

    synthetic = '"channel": "c", "source": {"type": "synthetic", "users": [{"uid": "u1", "blink_at_s": %s}]}'
    web_recorder = '{"channel": "c", "source": {"type": "synthetic", "users": 1}, "web_recorder": {"a": [NaN]}}'
    assert errors_of(raw(web_recorder)) == ["payload.web_recorder: must not contain NaN or Infinity"]
    assert errors_of(raw("{" + synthetic % "Infinity" + "}")) == [
        "payload.source.users[0].blink_at_s: must not contain NaN or Infinity"
    ]
    assert start(json.loads(raw("{" + synthetic % "1.5" + "}"))).payload.source.users is not None
    regions = '[{"uid": "a", "x": NaN, "y": 0, "w": 0.5, "h": 0.5}]'
    custom = '{"channel": "c", "access_token": "0123456789", "workerUid": 1, "layout": "customized", "regions": %s}'
    assert errors_of(raw(custom % regions)) == ["payload.regions[0].x: must be a number between 0 and 1"]
