"""The configuration reference and the example file are generated from the model and must stay current."""

from __future__ import annotations

from pathlib import Path

import pytest

from rtc_egress.runtime.config import Config
from rtc_egress.runtime.config_docs import DOC, DYNAMIC_DEFAULTS, EXAMPLE, render_example, updated_doc
from rtc_egress.runtime.config_sources import LEAVES, env_name, load_config

STALE = "run `python -m rtc_egress.runtime.config_docs` and commit the result"


def test_docs_reference_is_current() -> None:
    text = DOC.read_text()
    assert text == updated_doc(text), STALE
    for key in LEAVES:
        assert f"| `{'.'.join(key)}` | `{env_name(key)}`" in text


def test_example_file_is_current() -> None:
    assert EXAMPLE.read_text() == render_example(), STALE


def test_example_file_loads_to_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    loaded = load_config(config_file=str(EXAMPLE), environ={})
    assert loaded.config == Config()
    for key in LEAVES:
        if key not in DYNAMIC_DEFAULTS:  # these depend on the build or machine; the example leaves them commented
            assert loaded.source_of(key) == f"yaml {EXAMPLE}", key
