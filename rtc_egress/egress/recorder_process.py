"""One ``rtc-egress-recorder`` child process and its newline-delimited JSON protocol (docs/recorder.md).

Config in (first stdin line), commands on stdin, events on stdout, JSON logs on stderr. EOF on its stdin tells
the recorder that its supervisor is gone (and the recorder asks the kernel for SIGTERM when its parent dies): it
finalizes its files and exits. No preexec_fn here, so the spawn can use vfork and stays cheap.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import structlog

log = structlog.get_logger("rtc_egress.egress.recorder")

#: The only environment a recorder inherits. It decodes untrusted media, so it gets no Redis URL, storage keys or
#: webhook secrets: everything it needs is in its task config.
_INHERITED_ENV = ("PATH", "HOME", "TMPDIR", "TZ", "LANG", "LC_ALL", "LD_LIBRARY_PATH", "AGORA_SDK_DIR")
_INHERITED_PREFIXES = ("ASAN_", "UBSAN_", "LSAN_")


def recorder_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in _INHERITED_ENV or k.startswith(_INHERITED_PREFIXES)}
    return {**env, **(extra or {})}


class RecorderProcess:
    def __init__(self, binary: Path, config: dict[str, Any], *, log_fields: dict[str, str]) -> None:
        self.binary = binary
        self.config = config
        self._log = log.bind(**log_fields)
        self._proc: asyncio.subprocess.Process | None = None
        self._stderr_task: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    async def start(self, env: dict[str, str] | None = None) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            str(self.binary),
            "--task",
            "-",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=recorder_env(env),
            limit=1 << 20,
        )
        self._stderr_task = asyncio.create_task(self._forward_logs())
        await self.send(self.config)

    async def send(self, message: dict[str, Any]) -> bool:
        """Writes one JSON line to the recorder's stdin; False if it is gone."""
        proc = self._proc
        if proc is None or proc.stdin is None or proc.stdin.is_closing():
            return False
        try:
            proc.stdin.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")
            await proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            return False
        return True

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        """The recorder's events until its stdout closes; lines that are not JSON objects are logged and skipped."""
        assert self._proc is not None and self._proc.stdout is not None
        async for raw in self._proc.stdout:
            try:
                event = json.loads(raw)
            except ValueError:
                self._log.warning("recorder wrote a non-JSON line", line=raw[:200].decode(errors="replace"))
                continue
            if isinstance(event, dict) and isinstance(event.get("event"), str):
                yield event

    async def wait(self) -> int:
        assert self._proc is not None
        code = await self._proc.wait()
        if self._stderr_task:
            await self._stderr_task
        return code

    def signal(self, sig: signal.Signals) -> None:
        if self._proc is not None and self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.send_signal(sig)

    def close_stdin(self) -> None:
        if self._proc is not None and self._proc.stdin is not None:
            self._proc.stdin.close()

    async def _forward_logs(self) -> None:
        """Recorder stderr (JSON log lines) into our log, with the task's fields."""
        assert self._proc is not None and self._proc.stderr is not None
        emit: dict[str, Callable[..., Any]] = {
            "debug": self._log.debug, "info": self._log.info, "warning": self._log.warning,
            "warn": self._log.warning, "error": self._log.error,
        }  # fmt: skip
        async for raw in self._proc.stderr:
            line = raw.decode(errors="replace").rstrip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if isinstance(record, dict):
                level = str(record.pop("level", "info")).lower()
                message = str(record.pop("msg", record.pop("message", "recorder")))
                record.pop("task_id", None)
                if "event" in record:  # structlog's own positional name
                    record["recorder_event"] = record.pop("event")
                emit.get(level, self._log.info)(message, source="recorder", **record)
            else:
                self._log.info(line, source="recorder")
