"""The sanitizer build (ASan + UBSan): the unit tests through ctest, and real recordings through the binary."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.native.recorder import REPO, SANITIZE_BINARY, require_binary
from tests.native.scenarios import Run
from tests.support.media import decode_errors

SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer")


def test_ctest_passes_under_sanitizers() -> None:
    require_binary(SANITIZE_BINARY)
    proc = subprocess.run(
        ["ctest", "--output-on-failure", "-j2", "--timeout", "120"],
        cwd=REPO / "native" / "build-sanitize",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_recordings_are_clean_under_sanitizers(recordings) -> None:
    run: Run = recordings["sanitized"]
    for rec in (run.rec, run.info["second"]):
        assert rec.returncode == 0, rec.stderr()[-4000:]
        assert rec.events[-1]["status"] == "ok"
        stderr = rec.stderr()
        assert not any(m in stderr for m in SANITIZER_MARKERS), stderr[-4000:]
        for closed in rec.named("file_closed"):
            if closed["kind"] == "media":
                assert decode_errors(Path(closed["path"])) == ""
