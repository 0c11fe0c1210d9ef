"""Configuration sources and rules: defaults < YAML < environment < CLI flags, and every error path."""

from __future__ import annotations

from pathlib import Path

import pytest

from rtc_egress.components import available_components
from rtc_egress.runtime.config_sources import ConfigError, Problem, load_config

pytestmark = pytest.mark.usefixtures("in_tmp_dir")


@pytest.fixture
def in_tmp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # so no config/rtc_egress.yaml of the repository is picked up
    return tmp_path


def write_yaml(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def problems(**kwargs: object) -> list[Problem]:
    with pytest.raises(ConfigError) as exc:
        load_config(**kwargs)  # type: ignore[arg-type]
    return exc.value.problems


def test_defaults_without_any_source() -> None:
    cfg = load_config(environ={}).config
    assert cfg.components == list(available_components())  # every component this build has
    assert cfg.components[:2] == ["api-server", "egress"]
    assert cfg.api.port == 8080
    assert cfg.health.port == 8182
    assert cfg.data_dir == Path("var")
    assert not cfg.redis.external  # nothing configured: embedded Redis


def test_precedence_defaults_yaml_env_cli(tmp_path: Path) -> None:
    path = write_yaml(
        tmp_path / "c.yaml",
        "api:\n  port: 1000\nhealth:\n  port: 2000\ntasks:\n  lease_s: 5\n  region: eu\nlog:\n  level: debug\n",
    )
    loaded = load_config(
        config_file=str(path),
        environ={"API_PORT": "3000", "HEALTH_PORT": "3001", "SERVER_REGION": "us"},
        cli={"--health-port": "4001"},
    )
    cfg = loaded.config
    assert cfg.tasks.lease_s == 5  # yaml over default
    assert cfg.log.level == "debug"
    assert cfg.api.port == 3000  # env over yaml
    assert cfg.tasks.region == "us"
    assert cfg.health.port == 4001  # flag over env
    assert cfg.tasks.sweep_interval_s == 1.0  # default where nobody set it
    assert loaded.source_of(("api", "port")) == "env API_PORT"
    assert loaded.source_of(("health", "port")) == "flag --health-port"
    assert loaded.source_of(("tasks", "lease_s")) == f"yaml {path}"
    assert loaded.source_of(("tasks", "max_attempts")) == "default"


def test_rtc_egress_name_wins_over_upstream_name() -> None:
    cfg = load_config(environ={"API_PORT": "3000", "RTC_EGRESS_API__PORT": "9000"}).config
    assert cfg.api.port == 9000


UPSTREAM = [
    ("REDIS_ADDR", "redis:6380", ("redis", "addr"), "redis:6380"),
    ("REDIS_PASSWORD", "pw-1234", ("redis", "password"), "pw-1234"),
    ("REDIS_DB", "3", ("redis", "db"), 3),
    ("AGORA_APP_ID", "0123abcd", ("agora", "app_id"), "0123abcd"),
    ("AGORA_SDK_DIR", "/opt/agora", ("agora", "sdk_dir"), Path("/opt/agora")),
    ("S3_BUCKET", "rec", ("storage", "bucket"), "rec"),
    ("S3_REGION", "eu-west-1", ("storage", "region"), "eu-west-1"),
    ("S3_ENDPOINT", "http://minio:9000", ("storage", "endpoint"), "http://minio:9000"),
    ("WEBHOOK_URL", "https://hooks.example/x", ("webhook", "url"), "https://hooks.example/x"),
    ("WEBHOOK_AUTH_TOKEN", "tok-5678", ("webhook", "auth_token"), "tok-5678"),
    ("WEBHOOK_SECRET", "sig-9999", ("webhook", "secret"), "sig-9999"),
    ("API_PORT", "8091", ("api", "port"), 8091),
    ("HEALTH_PORT", "8191", ("health", "port"), 8191),
    ("SERVER_REGION", "ap-1", ("tasks", "region"), "ap-1"),
    ("TASK_TTL", "7200", ("tasks", "task_ttl_s"), 7200),
    ("REDIS_URL", "redis://r:6379/2", ("redis", "url"), "redis://r:6379/2"),
    ("RTC_EGRESS_DATA_DIR", "/srv/egress", ("data_dir",), Path("/srv/egress")),
]


@pytest.mark.parametrize(("name", "raw", "key", "expected"), UPSTREAM, ids=[u[0] for u in UPSTREAM])
def test_upstream_environment_names(name: str, raw: str, key: tuple[str, ...], expected: object) -> None:
    value: object = load_config(environ={name: raw}).config
    for part in key:
        value = getattr(value, part)
    if hasattr(value, "get_secret_value"):
        value = value.get_secret_value()
    assert value == expected


def test_s3_keys_and_redis_host_port_from_upstream_names() -> None:
    cfg = load_config(
        environ={"S3_ACCESS_KEY": "AKIA1", "S3_SECRET_KEY": "sk-1", "REDIS_HOST": "cache", "REDIS_PORT": "6390"}
    ).config
    assert cfg.storage.access_key is not None and cfg.storage.access_key.get_secret_value() == "AKIA1"
    assert cfg.storage.secret_key is not None and cfg.storage.secret_key.get_secret_value() == "sk-1"
    assert (cfg.redis.host, cfg.redis.port, cfg.redis.external) == ("cache", 6390, True)


def test_task_ttl_accepts_upstream_go_durations() -> None:
    assert load_config(environ={"TASK_TTL": "24h"}).config.tasks.task_ttl_s == 86400
    assert load_config(environ={"TASK_TTL": "1h30m"}).config.tasks.task_ttl_s == 5400


def test_every_key_as_rtc_egress_section_variable() -> None:
    cfg = load_config(
        environ={
            "RTC_EGRESS_TASKS__LEASE_S": "5",
            "RTC_EGRESS_SHUTDOWN_GRACE_S": "7.5",
            "RTC_EGRESS_LOG__FORMAT": "JSON",
            "RTC_EGRESS_REDIS__EMBEDDED_BINARY": "/usr/local/bin/redis-server",
        }
    ).config
    assert cfg.tasks.lease_s == 5
    assert cfg.shutdown_grace_s == 7.5
    assert cfg.log.format == "json"
    assert cfg.redis.embedded_binary == "/usr/local/bin/redis-server"


def test_lists_from_env_as_comma_separated_or_json() -> None:
    comma = load_config(environ={"RTC_EGRESS_API__AUTH_TOKENS": "tok-a, tok-b"}).config
    as_json = load_config(environ={"RTC_EGRESS_API__AUTH_TOKENS": '["tok-a", "tok-b"]'}).config
    for cfg in (comma, as_json):
        assert [t.get_secret_value() for t in cfg.api.auth_tokens] == ["tok-a", "tok-b"]
    apps = load_config(environ={"RTC_EGRESS_API__APP_TOKENS": '{"app1": ["t1"]}'}).config
    assert [t.get_secret_value() for t in apps.api.app_tokens["app1"]] == ["t1"]
    comps = load_config(environ={"RTC_EGRESS_COMPONENTS": "api-server"}).config
    assert comps.components == ["api-server"]


def test_empty_environment_values_count_as_unset() -> None:
    cfg = load_config(environ={"REDIS_PASSWORD": "", "API_PORT": " "}).config
    assert cfg.redis.password is None
    assert cfg.api.port == 8080


def test_components_are_put_in_start_order_without_duplicates() -> None:
    cfg = load_config(environ={}, cli={"--components": "webhook-notifier,api-server,api-server"}).config
    assert cfg.components == ["api-server", "webhook-notifier"]


def test_config_file_from_env_and_flag_and_default_location(in_tmp_dir: Path) -> None:
    write_yaml(in_tmp_dir / "config" / "rtc_egress.yaml", "api:\n  port: 1111\n")
    write_yaml(in_tmp_dir / "env.yaml", "api:\n  port: 2222\n")
    write_yaml(in_tmp_dir / "flag.yaml", "api:\n  port: 3333\n")
    assert load_config(environ={}).config.api.port == 1111
    env = {"RTC_EGRESS_CONFIG": "env.yaml"}
    assert load_config(environ=env).config.api.port == 2222
    assert load_config(environ=env, config_file="flag.yaml").config.api.port == 3333


def test_empty_yaml_file_means_defaults(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "empty.yaml", "# nothing yet\n")
    assert load_config(config_file=str(path), environ={}).config.api.port == 8080


# --- errors ----------------------------------------------------------------------------------------


def test_bad_env_value_names_variable_and_rule() -> None:
    [p] = problems(environ={"API_PORT": "eighty"})
    assert (p.key, p.source) == ("api.port", "env API_PORT")
    assert "valid integer" in p.rule and "'eighty'" in p.rule


def test_out_of_range_flag_names_flag_and_rule() -> None:
    [p] = problems(environ={}, cli={"--health-port": "70000"})
    assert (p.key, p.source) == ("health.port", "flag --health-port")
    assert "less than or equal to 65535" in p.rule


def test_unknown_yaml_key_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "c.yaml", "api:\n  prot: 9000\nredsi:\n  url: redis://x\n")
    found = {p.key: p for p in problems(config_file=str(path), environ={})}
    assert "did you mean 'port'" in found["api.prot"].rule
    assert "did you mean 'redis'" in found["redsi"].rule
    assert found["api.prot"].source == f"yaml {path}"


def test_unknown_rtc_egress_variable_is_an_error() -> None:
    [p] = problems(environ={"RTC_EGRESS_API__PROT": "9000"})
    assert p.key == "RTC_EGRESS_API__PROT"
    assert "unknown setting" in p.rule and "RTC_EGRESS_API__PORT" in p.rule


def test_variables_of_the_task_client_are_not_settings() -> None:
    client_env = {"RTC_EGRESS_URL": "http://127.0.0.1:8080", "RTC_EGRESS_APP_ID": "app1", "RTC_EGRESS_API_TOKEN": "t"}
    assert load_config(environ=client_env).config.api.port == 8080


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "c.yaml", "tasks:\n  max_attempts: 0\n")
    found = problems(
        config_file=str(path),
        environ={"API_PORT": "x", "RTC_EGRESS_NOPE": "1", "SERVER_REGION": "Not A Region"},
        cli={"--log-level": "loud"},
    )
    assert {p.key for p in found} == {"api.port", "RTC_EGRESS_NOPE", "tasks.region", "tasks.max_attempts", "log.level"}


@pytest.mark.parametrize(
    ("environ", "key", "rule_part"),
    [
        ({"REDIS_URL": "http://redis:6379"}, "redis.url", "redis://"),
        ({"REDIS_ADDR": "redis"}, "redis.addr", "host:port"),
        ({"REDIS_DB": "16"}, "redis.db", "less than or equal to 15"),
        ({"WEBHOOK_URL": "ftp://x"}, "webhook.url", "http:// or https://"),
        ({"S3_ENDPOINT": "minio:9000"}, "storage.endpoint", "http:// or https://"),
        ({"S3_ACCESS_KEY": "AKIA1"}, "storage", "storage.secret_key is required"),
        ({"RTC_EGRESS_COMPONENTS": "api-server,recorder"}, "components", "unknown component(s) recorder"),
        ({"RTC_EGRESS_INSTANCE_ID": "has space"}, "instance_id", "should match pattern"),
        ({"TASK_TTL": "10"}, "tasks.task_ttl_s", "greater than or equal to 60"),
        ({"RTC_EGRESS_API__AUTH_TOKENS": "[oops"}, "api.auth_tokens", "not valid JSON"),
        ({"RTC_EGRESS_API__APP_TOKENS": "app1=t1"}, "api.app_tokens", "JSON object"),
        ({"RTC_EGRESS_EGRESS__CRITICAL_FREE_DISK_MB": "2048"}, "egress", "must not exceed min_free_disk_mb (1024)"),
    ],
)
def test_rules(environ: dict[str, str], key: str, rule_part: str) -> None:
    [p] = problems(environ=environ)
    assert p.key == key
    assert rule_part in p.rule
    assert p.source.startswith("env ")


def test_secret_values_are_not_echoed_in_problems() -> None:
    [p] = problems(environ={"REDIS_URL": "http://:hunter2-pass@redis:6379"})
    assert "hunter2-pass" not in str(p)


def test_missing_config_file_named_by_flag() -> None:
    [p] = problems(config_file="nowhere.yaml", environ={})
    assert p.source == "flag --config" and "nowhere.yaml" in p.rule and "does not exist" in p.rule


def test_missing_config_file_named_by_env() -> None:
    [p] = problems(environ={"RTC_EGRESS_CONFIG": "gone.yaml"})
    assert p.source == "env RTC_EGRESS_CONFIG"


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "c.yaml", "api:\n  port: [1\n")
    [p] = problems(config_file=str(path), environ={})
    assert "not valid YAML" in p.rule and "line" in p.rule


def test_yaml_must_be_a_mapping(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "c.yaml", "- a\n- b\n")
    [p] = problems(config_file=str(path), environ={})
    assert "mapping" in p.rule
    path = write_yaml(tmp_path / "d.yaml", "api: 8080\n")
    [p] = problems(config_file=str(path), environ={})
    assert p.key == "api"
