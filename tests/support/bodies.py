"""Request bodies as upstream clients send them."""

from __future__ import annotations

from typing import Any

#: The access_token of the upstream REST design doc's example.
UPSTREAM_TOKEN = "007eJxt9VMp+//+i9SOE"


def upstream_start(
    request_id: str = "1a2b3c4d5e6f", channel: str = "egress_test", access_token: str = UPSTREAM_TOKEN
) -> dict[str, Any]:
    """The start body of the upstream requests.sh (and its REST design doc), with the given ids."""
    return {
        "request_id": request_id,
        "cmd": "record",
        "payload": {
            "layout": "flat",
            "channel": channel,
            "access_token": access_token,
            "workerUid": 42,
            "users": ["803231", "322353"],
            "filename_pattern": "file_output",
            "format": "hls",
            "video": {"width": 1280, "height": 720, "frameRate": 30, "bitrate": 1000},
            "audio": {"sampleRate": 48000, "channels": 2, "bitrate": 128},
        },
    }
