"""Fixtures for tests that run ``python -m rtc_egress`` processes."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rtc_egress.runtime.config_sources import ENV_PREFIX, UPSTREAM_ENV
from tests.support.service import Serve


@pytest.fixture
def base_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX) and k not in UPSTREAM_ENV}
    return env


@pytest.fixture
def serve(tmp_path: Path, base_env: dict[str, str]) -> Iterator[Callable[..., Serve]]:
    started: list[Serve] = []

    def start(*args: str, data_dir: Path | None = None, **env: str) -> Serve:
        s = Serve(tmp_path, data_dir or tmp_path / "data", {**base_env, **env}, args)
        started.append(s)
        return s

    yield start
    for s in started:
        s.close()
