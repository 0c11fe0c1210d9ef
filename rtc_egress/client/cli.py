"""``rtc-egress task start|stop|status|list|events|wait``: a client of a running task API.

Exit codes: 0 success; 1 ``wait`` saw the task end FAILED or TIMEOUT; 2 the API could not be reached, answered
with an error, or ``wait`` ran out of time.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from rtc_egress.client import render
from rtc_egress.client.http import ClientError, TaskApi, new_request_id
from rtc_egress.client.progress import TERMINAL, follow

F = TypeVar("F", bound=Callable[..., Any])
EXIT_FAILED = 1
EXIT_ERROR = 2


class CliError(click.ClickException):
    exit_code = EXIT_ERROR


def api_options(f: F) -> F:
    """Where the API is and who we are; every subcommand takes them (and the environment sets them)."""
    options = [
        click.option("--url", envvar="RTC_EGRESS_URL", default="http://127.0.0.1:8080", show_default=True,
                     help="base URL of the task API [env RTC_EGRESS_URL]"),
        click.option("--app-id", envvar="RTC_EGRESS_APP_ID", required=True,
                     help="app id the tasks belong to [env RTC_EGRESS_APP_ID]"),
        click.option("--token", envvar="RTC_EGRESS_API_TOKEN", default=None,
                     help="bearer token of the API [env RTC_EGRESS_API_TOKEN]"),
        click.option("--json", "as_json", is_flag=True, help="print the API's JSON instead of a table"),
        click.option("--http-timeout", type=float, default=10.0, show_default=True, help="seconds per HTTP call"),
    ]  # fmt: skip
    for option in reversed(options):
        f = option(f)
    return f


def _api(url: str, app_id: str, token: str | None, http_timeout: float) -> TaskApi:
    return TaskApi(url, app_id, token, timeout=http_timeout)


def _emit(data: Any, as_json: bool, human: Callable[[Any], str]) -> None:
    click.echo(json.dumps(data, indent=2) if as_json else human(data))


def _run(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except ClientError as exc:
        raise CliError(str(exc)) from None


@click.group("task", context_settings={"help_option_names": ["-h", "--help"]})
def task_group() -> None:
    """Start, stop and follow tasks through a running task API."""


# --- start ------------------------------------------------------------------------------------------------------


def _parse_source(ctx: click.Context, param: click.Parameter, value: str | None) -> dict[str, Any] | None:
    """agora | synthetic[:N] | url:UID=URL[,UID=URL...] | a JSON object."""
    if value is None:
        return None
    if value.startswith("{"):
        try:
            parsed = json.loads(value)
        except ValueError as exc:
            raise click.BadParameter(f"not valid JSON: {exc}") from None
        if not isinstance(parsed, dict):
            raise click.BadParameter("must be a JSON object")
        return parsed
    kind, _, rest = value.partition(":")
    if kind == "agora" and not rest:
        return {"type": "agora"}
    if kind == "synthetic":
        if not rest:
            return {"type": "synthetic", "users": 2}
        if not rest.isdigit():
            raise click.BadParameter("synthetic:N takes a number of users, e.g. synthetic:4")
        return {"type": "synthetic", "users": int(rest)}
    if kind == "url" and rest:
        inputs = []
        for item in rest.split(","):
            uid, sep, url = item.partition("=")
            if not sep or not uid or not url:
                raise click.BadParameter("url: takes UID=URL pairs, e.g. url:u1=rtmp://host/app/key")
            inputs.append({"uid": uid, "url": url})
        return {"type": "url", "inputs": inputs}
    raise click.BadParameter("use agora, synthetic, synthetic:N, url:UID=URL[,UID=URL] or a JSON object")


def _set_path(target: dict[str, Any], assignment: str) -> None:
    """KEY.PATH=VALUE; VALUE is JSON if it parses, else a string."""
    key, sep, raw = assignment.partition("=")
    if not sep or not key:
        raise click.BadParameter(f"{assignment!r}: use KEY=VALUE, e.g. video.width=1280", param_hint="--set")
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    node = target
    *parents, leaf = key.split(".")
    for part in parents:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise click.BadParameter(f"{key}: {part} is not an object", param_hint="--set")
        node = child
    node[leaf] = value


def _load_body(source: str | None) -> dict[str, Any]:
    if source is None:
        return {}
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text()
    except OSError as exc:
        raise CliError(f"cannot read {source}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CliError(f"{'stdin' if source == '-' else source} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CliError("the payload file must hold a JSON object")
    return data


@task_group.command("start")
@click.argument("payload_file", required=False, metavar="[PAYLOAD.json | -]")
@click.option("--cmd", type=click.Choice(["record", "snapshot"]), default=None, help="default: record")
@click.option("--request-id", default=None, help="idempotency key (default: random)")
@click.option("--channel", default=None)
@click.option("--layout", type=click.Choice(["flat", "grid", "spotlight", "customized", "freestyle"]), default=None)
@click.option("--format", "fmt", type=click.Choice(["mp4", "hls"]), default=None)
@click.option("--mode", type=click.Choice(["composite", "individual"]), default=None)
@click.option(
    "--source", default=None, callback=_parse_source, help="agora | synthetic[:N] | url:UID=URL[,UID=URL] | JSON object"
)
@click.option("--users", default=None, help="comma separated user ids to record")
@click.option("--access-token", default=None, envvar="RTC_EGRESS_ACCESS_TOKEN", help="RTC token (agora source)")
@click.option("--worker-uid", type=int, default=None, help="uid the recorder joins with (agora source)")
@click.option("--page-url", default=None, help="web page to record (a web task)")
@click.option("--interval-ms", type=int, default=None, help="snapshot interval")
@click.option("--max-duration", type=int, default=None, help="seconds")
@click.option("--idle-timeout", type=int, default=None, help="seconds")
@click.option("--region", default=None)
@click.option("--webhook-url", default=None)
@click.option("--filename-pattern", default=None)
@click.option(
    "--set", "assignments", multiple=True, metavar="KEY=VALUE", help="any payload field, e.g. video.width=1280"
)
@click.option("--wait", "wait_end", is_flag=True, help="then follow the task until it ends, like `task wait`")
@api_options
def start_cmd(
    payload_file: str | None, cmd: str | None, request_id: str | None, channel: str | None, layout: str | None,
    fmt: str | None, mode: str | None, source: dict[str, Any] | None, users: str | None, access_token: str | None,
    worker_uid: int | None, page_url: str | None, interval_ms: int | None, max_duration: int | None,
    idle_timeout: int | None, region: str | None, webhook_url: str | None, filename_pattern: str | None,
    assignments: tuple[str, ...], wait_end: bool, url: str, app_id: str, token: str | None, as_json: bool,
    http_timeout: float,
) -> None:  # fmt: skip
    """Start a task. The payload comes from a JSON file (or - for stdin), from flags, or both (flags win).

    The file may hold the whole request body ({request_id, cmd, payload}) or just the payload.
    """
    data = _load_body(payload_file)
    if "payload" in data and isinstance(data["payload"], dict):
        body, payload = data, data["payload"]
    else:
        body, payload = {"payload": data}, data
    flags = {
        "channel": channel, "layout": layout, "format": fmt, "mode": mode, "access_token": access_token,
        "workerUid": worker_uid, "url": page_url, "interval_in_ms": interval_ms, "max_duration_s": max_duration,
        "idle_timeout_s": idle_timeout, "region": region, "webhook_url": webhook_url,
        "filename_pattern": filename_pattern,
    }  # fmt: skip
    payload.update({k: v for k, v in flags.items() if v is not None})
    if source is not None:
        payload["source"] = source
    if users is not None:
        payload["users"] = [u for u in users.split(",") if u]
    for assignment in assignments:
        _set_path(payload, assignment)
    body["cmd"] = cmd or body.get("cmd") or "record"
    body["request_id"] = request_id or body.get("request_id") or new_request_id()
    with _api(url, app_id, token, http_timeout) as api:
        result = _run(lambda: api.start(body))
    _emit(result, as_json, lambda r: render.fields([(k, r.get(k)) for k in ("task_id", "request_id", "status")]))
    if wait_end:
        _follow_to_end(result["task_id"], 0.5, None, url, app_id, token, as_json, http_timeout)


# --- stop, status, list, events ------------------------------------------------------------------------------------


@task_group.command("stop")
@click.argument("task_id")
@click.option("--request-id", default=None, help="default: random")
@api_options
def stop_cmd(
    task_id: str, request_id: str | None, url: str, app_id: str, token: str | None, as_json: bool, http_timeout: float
) -> None:
    """Stop a task (a queued task ends at once and never starts)."""
    with _api(url, app_id, token, http_timeout) as api:
        result = _run(lambda: api.stop(task_id, request_id))
    _emit(result, as_json, lambda r: render.fields([(k, r.get(k)) for k in ("task_id", "status", "state", "message")]))


@task_group.command("status")
@click.argument("task_id")
@api_options
def status_cmd(task_id: str, url: str, app_id: str, token: str | None, as_json: bool, http_timeout: float) -> None:
    """A task's state, details and files."""
    with _api(url, app_id, token, http_timeout) as api:
        result = _run(lambda: api.status(task_id))
    _emit(result, as_json, render.task_block)


@task_group.command("list")
@click.option("--state", type=click.Choice(["ENQUEUED", "PROCESSING", "STOPPING", "STOPPED", "FAILED", "TIMEOUT"]))
@click.option("--channel", default=None)
@click.option("--cmd", type=click.Choice(["record", "snapshot"]), default=None)
@click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True, help="tasks per page")
@click.option("--cursor", default=None, help="next_cursor of a previous page")
@click.option("--all", "all_pages", is_flag=True, help="follow next_cursor through every page")
@api_options
def list_cmd(
    state: str | None, channel: str | None, cmd: str | None, limit: int, cursor: str | None, all_pages: bool,
    url: str, app_id: str, token: str | None, as_json: bool, http_timeout: float,
) -> None:  # fmt: skip
    """The app's tasks, newest first."""
    tasks: list[dict[str, Any]] = []
    with _api(url, app_id, token, http_timeout) as api:

        def page_at(at: str | None) -> dict[str, Any]:
            return dict(_run(lambda: api.list(state=state, channel=channel, cmd=cmd, limit=limit, cursor=at)))

        while True:
            page = page_at(cursor)
            tasks += page["tasks"]
            cursor = page["next_cursor"]
            if not all_pages or cursor is None:
                break
    result = {"tasks": tasks, "next_cursor": cursor}
    _emit(result, as_json, lambda r: render.task_rows(r["tasks"]) + (f"\nnext: --cursor {cursor}" if cursor else ""))


@task_group.command("events")
@click.argument("task_id")
@click.option("--after", type=click.IntRange(0), default=0, help="only events after this seq")
@api_options
def events_cmd(
    task_id: str, after: int, url: str, app_id: str, token: str | None, as_json: bool, http_timeout: float
) -> None:
    """A task's event history."""
    with _api(url, app_id, token, http_timeout) as api:
        result = _run(lambda: api.events(task_id, after))
    rows = [[e["seq"], e["ts"], e["type"], e["state"], json.dumps(e["data"], sort_keys=True)] for e in result["events"]]
    _emit(result, as_json, lambda _: render.table(["seq", "ts", "type", "state", "data"], rows))


# --- wait -----------------------------------------------------------------------------------------------------------


@task_group.command("wait")
@click.argument("task_id")
@click.option("--interval", type=click.FloatRange(0.05), default=1.0, show_default=True, help="seconds between polls")
@click.option("--timeout", type=click.FloatRange(0), default=None, help="give up after this many seconds")
@api_options
def wait_cmd(
    task_id: str, interval: float, timeout: float | None, url: str, app_id: str, token: str | None, as_json: bool,
    http_timeout: float,
) -> None:  # fmt: skip
    """Follow a task until it ends: state changes, users, files and elapsed time; then where its files are.

    Exits 0 when it ends STOPPED, 1 when it ends FAILED or TIMEOUT, 2 on an error or when --timeout passes.
    """
    _follow_to_end(task_id, interval, timeout, url, app_id, token, as_json, http_timeout)


def _follow_to_end(
    task_id: str, interval: float, timeout: float | None, url: str, app_id: str, token: str | None, as_json: bool,
    http_timeout: float,
) -> None:  # fmt: skip
    deadline = None if timeout is None else time.monotonic() + timeout
    with _api(url, app_id, token, http_timeout) as api:
        final = _run(
            lambda: follow(api, task_id, interval=interval, deadline=deadline, as_json=as_json, echo=click.echo)
        )
    if final["state"] not in TERMINAL:
        raise CliError(f"task {task_id} is still {final['state']} after {timeout:g}s")
    if not as_json:
        for f in final.get("files") or []:
            click.echo(f"{f['kind']}: {f['path']}")
    if final["state"] != "STOPPED":
        sys.exit(EXIT_FAILED)
