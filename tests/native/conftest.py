"""The native recorder's tests drive the real binary. Recordings take real time, so the scenarios of
scenarios.py run concurrently, starting in the first test that needs one, and each test inspects its own. The
few that measure real-time behaviour record first, on a machine our other recordings leave alone."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.native.recorder import BINARY, SANITIZE_BINARY, require_binary
from tests.native.scenarios import QUIET_SCENARIOS, SCENARIOS, Run, Scenario


class Recordings:
    def __init__(self, root: Path) -> None:
        require_binary(BINARY)
        require_binary(SANITIZE_BINARY)
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(SCENARIOS))
        quiet = {name: self._pool.submit(fn, root / name) for name, fn in SCENARIOS.items() if name in QUIET_SCENARIOS}

        def after_quiet(fn: Scenario, d: Path) -> Run:
            concurrent.futures.wait(quiet.values())
            return fn(d)

        rest = {
            name: self._pool.submit(after_quiet, fn, root / name)
            for name, fn in SCENARIOS.items()
            if name not in QUIET_SCENARIOS
        }
        self._futures = {**quiet, **rest}

    def __getitem__(self, name: str) -> Run:
        return self._futures[name].result(timeout=90)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="session")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recordings]:
    recs = Recordings(tmp_path_factory.mktemp("recordings"))
    yield recs
    recs.close()
