"""A private ``redis-server`` child for when no Redis is configured.

It listens on a unix socket only (no TCP port), keeps an append-only file under ``{data_dir}/redis`` so tasks
survive a restart, and never outlives its parent: the child asks the kernel for SIGTERM when the parent dies
(``PR_SET_PDEATHSIG``), and SIGTERM makes redis-server flush its AOF and exit. A lock file in the same
directory makes sure one live rtc-egress process at a time owns it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from rtc_egress.runtime.logging import get_logger

log = get_logger(__name__)

INSTALL_HINT = (
    "install it (apt-get install redis-server, or run scripts/setup), point redis.embedded_binary at it, "
    "or use an external Redis with REDIS_URL / REDIS_ADDR"
)
_PR_SET_PDEATHSIG = 1
_MAX_SOCKET_PATH = 100  # sun_path is 108 bytes on Linux, with its terminating NUL


class EmbeddedRedisError(Exception):
    """The embedded Redis cannot be started; ``usage`` errors are fixed by the operator (exit code 2)."""

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage


def _die_with_parent(parent_pid: int) -> None:
    """Runs in the child between fork and exec: SIGTERM when the parent dies, even if it died already."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def _client(socket_path: Path, timeout_s: float) -> aioredis.Redis:
    """A one-off client that does not retry: here a refused connection is an answer, not a hiccup."""
    return aioredis.Redis(
        unix_socket_path=str(socket_path),
        socket_connect_timeout=1,
        socket_timeout=timeout_s,
        decode_responses=True,
        retry=Retry(NoBackoff(), 0),
    )


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs (an exited zombie waiting to be reaped does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no procfs: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def socket_path_for(redis_dir: Path) -> Path:
    """``{redis_dir}/redis.sock``, or a short path under the temp dir when that would be too long for a socket."""
    path = redis_dir / "redis.sock"
    if len(os.fsencode(path)) <= _MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(os.fsencode(redis_dir)).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"rtc-egress-{os.getuid()}-{digest}" / "redis.sock"


class EmbeddedRedis:
    """``await start()`` returns once the child answers PING; ``await stop()`` SHUTDOWNs it (AOF flushed)."""

    def __init__(self, data_dir: Path, binary: str = "redis-server", *, start_timeout_s: float = 10.0) -> None:
        self.dir = (data_dir / "redis").absolute()
        self.binary = binary
        self.start_timeout_s = start_timeout_s
        self.socket_path = socket_path_for(self.dir)
        self.proc: subprocess.Popen[bytes] | None = None
        self._lock_fd: int | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def _resolve_binary(self) -> str:
        found = shutil.which(self.binary)
        if found is None:
            raise EmbeddedRedisError(
                f"redis.embedded_binary: {self.binary!r} not found; no Redis is configured, so rtc-egress runs "
                f"its own redis-server: {INSTALL_HINT}",
                usage=True,
            )
        return found

    def _lock(self) -> None:
        """Take ``{dir}/owner.lock``; the kernel drops the lock when we exit, however we exit."""
        lock_path = self.dir / "owner.lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise EmbeddedRedisError(
                f"data_dir: the embedded Redis in {self.dir} belongs to another running rtc-egress process "
                f"(pid {owner}); stop it, or give this process its own --data-dir / RTC_EGRESS_DATA_DIR",
                usage=True,
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    async def start(self) -> None:
        binary = self._resolve_binary()
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            self.socket_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as e:
            raise EmbeddedRedisError(f"data_dir: cannot create {self.dir}: {e.strerror}", usage=True) from e
        self._lock()
        try:
            await self._shutdown_leftover()
            self._spawn(binary)
            await self._wait_ready()
        except BaseException:
            await self.stop()
            raise
        log.info("embedded redis started", socket=str(self.socket_path), dir=str(self.dir), pid=self.pid)

    async def _shutdown_leftover(self) -> None:
        """A redis-server still serving our socket outlived its owner (we hold the lock now): shut it down."""
        if not self.socket_path.exists():
            return
        client = _client(self.socket_path, 5)
        try:
            pid = int((await client.info("server"))["process_id"])
        except (RedisError, OSError):
            self.socket_path.unlink(missing_ok=True)  # stale socket file, nobody listening
            return
        finally:
            await client.aclose()
        log.warning("shutting down a leftover embedded redis whose owner is gone", pid=pid)
        await self._shutdown_via(self.socket_path)
        deadline = time.monotonic() + 30
        # Not our child, so there is nothing to wait on but its pid.
        while _alive(pid) and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)

    def _spawn(self, binary: str) -> None:
        args = [
            binary,
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.dir),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "",
            "--daemonize", "no",
            "--logfile", str(self.dir / "redis.log"),
            "--pidfile", "",
        ]  # fmt: skip
        parent = os.getpid()
        try:
            self.proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl-C meant for us must not stop Redis before our components drain
                preexec_fn=lambda: _die_with_parent(parent),
            )
        except OSError as e:
            raise EmbeddedRedisError(f"redis.embedded_binary: cannot run {binary!r}: {e.strerror}", usage=True) from e

    def _log_tail(self) -> str:
        try:
            lines = (self.dir / "redis.log").read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return " | ".join(line.strip() for line in lines[-5:])

    async def _wait_ready(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + self.start_timeout_s
        client = _client(self.socket_path, 2)
        try:
            while True:
                if self.proc.poll() is not None:
                    raise EmbeddedRedisError(
                        f"embedded redis-server exited with code {self.proc.returncode}: {self._log_tail()}"
                    )
                with contextlib.suppress(RedisError, OSError):
                    if await client.ping():
                        return
                if time.monotonic() > deadline:
                    raise EmbeddedRedisError(
                        f"embedded redis-server did not answer within {self.start_timeout_s:g} s: {self._log_tail()}"
                    )
                await asyncio.sleep(0.02)
        finally:
            await client.aclose()

    @staticmethod
    async def _shutdown_via(socket_path: Path) -> None:
        client = _client(socket_path, 30)
        try:
            await client.shutdown()
        except RedisConnectionError:
            pass  # the server closes the connection as it exits: that is the success case
        except (RedisError, OSError) as e:
            log.warning("embedded redis SHUTDOWN failed", error=str(e))
        finally:
            await client.aclose()

    async def stop(self, wait_s: float = 30.0) -> None:
        """SHUTDOWN (flushes the AOF), wait for the child; SIGTERM, then SIGKILL if it does not go."""
        proc, self.proc = self.proc, None
        try:
            if proc is not None and proc.poll() is None:
                await self._shutdown_via(self.socket_path)
                try:
                    await asyncio.to_thread(proc.wait, wait_s)
                except subprocess.TimeoutExpired:
                    log.warning("embedded redis did not exit after SHUTDOWN; terminating it", pid=proc.pid)
                    proc.terminate()
                    try:
                        await asyncio.to_thread(proc.wait, 5)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        await asyncio.to_thread(proc.wait)
                log.info("embedded redis stopped", code=proc.returncode)
        finally:
            self._unlock()
