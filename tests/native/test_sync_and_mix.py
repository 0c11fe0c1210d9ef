"""Audio/video sync and the audio mix, measured on the output: the synthetic users flash and beep together
at every second of their clock."""

from __future__ import annotations

import itertools
from pathlib import Path

from tests.native.scenarios import Run
from tests.support.media import audio_levels, beep_onsets, flash_onsets


def assert_continuous(beeps: list[float]) -> None:
    """The sound is continuous: one second of the users' audio is one second of the file, nothing skipped."""
    gaps = [b - a for a, b in itertools.pairwise(beeps)]
    assert gaps and all(abs(g - 1.0) < 0.010 for g in gaps), f"seconds between beeps: {gaps}"


def test_flash_and_beep_stay_within_40ms(recordings) -> None:
    run: Run = recordings["av_sync"]
    path = Path(run.closed()[0]["path"])
    flashes = flash_onsets(path)[1:]  # the first pulse is at the very start, before audio is primed
    beeps = beep_onsets(path)
    assert len(flashes) >= 6, flashes
    offsets = []
    for f in flashes:
        nearest = min(beeps, key=lambda b: abs(b - f))
        offsets.append(nearest - f)
    assert all(abs(o) <= 0.040 for o in offsets), f"audio minus video (s): {offsets}"
    assert flashes == sorted(flashes) and all(0.93 < b - a < 1.07 for a, b in itertools.pairwise(flashes))
    assert_continuous(beeps[1:])


def test_loud_users_are_mixed_without_clipping(recordings) -> None:
    run: Run = recordings["loud_mix"]
    path = Path(run.closed()[0]["path"])
    levels = audio_levels(path, window=480)
    peak = max(p for _, _, p in levels)
    # Four users at 0.9 each would reach +11 dBFS summed; the limiter keeps the mix at -1.4 dBFS, which leaves
    # room for the AAC encoder's overshoot: the decoded file stays below full scale.
    assert -3.0 < peak < -0.1, peak
    # Each user's tone is in the mix (not one user after the other): every band is loud during each beep
    # (each whole beep: one that the end of the recording cuts short does not count).
    end = levels[-1][0]
    beeps = [b for b in beep_onsets(path)[1:] if b + 0.1 < end]
    assert_continuous(beeps)
    for freq in (500, 1000, 2000, 4000):
        band = audio_levels(path, window=480, pre=f"bandpass=f={freq}:width_type=q:w=8")
        in_beeps = [rms for t, rms, _ in band if any(b + 0.02 < t < b + 0.08 for b in beeps)]
        assert in_beeps and min(in_beeps) > -30, (freq, in_beeps[:5])
