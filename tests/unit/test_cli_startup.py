"""The task client starts fast: running ``rtc-egress task`` loads none of the server's modules."""

from __future__ import annotations

import subprocess
import sys

SERVER_MODULES = ("aiohttp.web", "pydantic", "redis", "structlog", "rtc_egress.runtime.config", "rtc_egress.api")

PROBE = f"""
import sys
from rtc_egress.cli import cli
try:
    cli(["task", "status", "--help"], prog_name="rtc-egress")
except SystemExit:
    pass
print("LOADED", [m for m in {SERVER_MODULES!r} if m in sys.modules])
"""


def test_the_task_client_loads_no_server_module() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
    assert "Usage: rtc-egress task status" in out
    assert out.strip().splitlines()[-1] == "LOADED []"


def test_every_subcommand_is_listed_and_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "rtc_egress", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for name in ("serve", "config", "task"):
        assert f"  {name}" in out
    shown = subprocess.run(
        [sys.executable, "-m", "rtc_egress", "config", "show", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "--config FILE" in shown
