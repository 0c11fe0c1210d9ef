"""``rtc-egress config show`` and the start-up errors of ``python -m rtc_egress`` as a user sees them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from rtc_egress.components import available_components
from rtc_egress.runtime.cli import config_group
from rtc_egress.runtime.config_sources import ENV_PREFIX, UPSTREAM_ENV

SECRETS = {
    "REDIS_URL": "redis://:redis-pass-123@cache:6379/2",
    "S3_ACCESS_KEY": "AKIAEXAMPLE0001",
    "S3_SECRET_KEY": "s3-secret-value-456",
    "WEBHOOK_AUTH_TOKEN": "hook-token-789",
    "WEBHOOK_SECRET": "hmac-secret-000",
    "RTC_EGRESS_API__AUTH_TOKENS": "api-token-aaa,api-token-bbb",
    "RTC_EGRESS_API__APP_TOKENS": '{"app1": ["app-token-ccc"]}',
}
SECRET_VALUES = [
    "redis-pass-123", "AKIAEXAMPLE0001", "s3-secret-value-456", "hook-token-789", "hmac-secret-000",
    "api-token-aaa", "api-token-bbb", "app-token-ccc",
]  # fmt: skip


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The test process's environment without any rtc-egress setting, run from an empty directory."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX) or name in UPSTREAM_ENV:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return dict(os.environ)


def test_config_show_masks_every_secret(clean_env: dict[str, str]) -> None:
    result = CliRunner().invoke(config_group, ["show"], env=SECRETS)
    assert result.exit_code == 0, result.output
    for secret in SECRET_VALUES:
        assert secret not in result.output
    shown = yaml.safe_load(result.output)
    assert shown["redis"]["url"] == "redis://:***@cache:6379/2"  # all but the password is useful to see
    assert shown["storage"]["access_key"] == "***"
    assert shown["storage"]["secret_key"] == "***"
    assert shown["webhook"] == {"url": None, "auth_token": "***", "secret": "***"}
    assert shown["api"]["auth_tokens"] == ["***", "***"]
    assert shown["api"]["app_tokens"] == {"app1": ["***"]}


def test_config_show_json_reflects_every_source(clean_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("tasks:\n  lease_s: 6\n")
    result = CliRunner().invoke(
        config_group, ["show", "--json", "--config", "c.yaml", "--api-port", "9001"], env={"HEALTH_PORT": "9002"}
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert (shown["tasks"]["lease_s"], shown["health"]["port"], shown["api"]["port"]) == (6, 9002, 9001)
    assert shown["components"] == list(available_components())


def test_config_show_with_bad_value_exits_2(clean_env: dict[str, str]) -> None:
    result = CliRunner().invoke(config_group, ["show"], env={"REDIS_DB": "99"})
    assert result.exit_code == 2
    assert "config error: redis.db (env REDIS_DB): Input should be less than or equal to 15" in result.output


def run_module(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rtc_egress", *args], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("extra_env", "args", "expected"),
    [
        ({"API_PORT": "http"}, [], "config error: api.port (env API_PORT): Input should be a valid integer"),
        ({}, ["--health-port", "-1"], "config error: health.port (flag --health-port): Input should be greater"),
        ({"RTC_EGRESS_TASK__LEASE_S": "5"}, [], "RTC_EGRESS_TASK__LEASE_S (env): unknown setting"),
        ({"RTC_EGRESS_CONFIG": "missing.yaml"}, [], "config (env RTC_EGRESS_CONFIG): file 'missing.yaml' does not"),
        (
            {"RTC_EGRESS_COMPONENTS": "api-server,uploader"},
            [],
            "components (env RTC_EGRESS_COMPONENTS): 'uploader' is not available in this build (available: api-server,",
        ),
        ({}, ["serve", "--components", "uploaders"], "unknown component(s) uploaders"),
    ],
)
def test_start_up_errors_exit_2_with_one_line_naming_the_key(
    clean_env: dict[str, str], extra_env: dict[str, str], args: list[str], expected: str
) -> None:
    result = run_module({**clean_env, **extra_env}, *args)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert all(line.startswith("config error: ") for line in result.stderr.splitlines())
