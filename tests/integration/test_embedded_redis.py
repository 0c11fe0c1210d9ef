"""The embedded redis-server child: start, durability across restarts, ownership, and clear failures."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from rtc_egress.runtime.embedded_redis import EmbeddedRedis, EmbeddedRedisError


@pytest.fixture
async def instances() -> AsyncIterator[Callable[[Path], EmbeddedRedis]]:
    made: list[EmbeddedRedis] = []

    def make(data_dir: Path, binary: str = "redis-server") -> EmbeddedRedis:
        e = EmbeddedRedis(data_dir, binary)
        made.append(e)
        return e

    yield make
    for e in made:
        await e.stop()


async def client_of(e: EmbeddedRedis) -> aioredis.Redis:
    return aioredis.Redis(unix_socket_path=str(e.socket_path), decode_responses=True)


async def test_start_answers_on_its_socket_and_stop_ends_the_process(
    tmp_path: Path, instances: Callable[[Path], EmbeddedRedis]
) -> None:
    e = instances(tmp_path)
    await e.start()
    proc = e.proc
    assert proc is not None
    client = await client_of(e)
    assert await client.ping()
    await client.aclose()
    assert e.socket_path.is_relative_to(tmp_path / "redis")
    await e.stop()
    assert proc.returncode == 0  # SHUTDOWN: a clean exit, AOF flushed
    assert not e.socket_path.exists()


async def test_data_survives_stop_and_start(tmp_path: Path, instances: Callable[[Path], EmbeddedRedis]) -> None:
    first = instances(tmp_path)
    await first.start()
    c = await client_of(first)
    await c.set("kept", "yes")
    await c.aclose()
    await first.stop()

    second = instances(tmp_path)
    await second.start()
    c = await client_of(second)
    assert await c.get("kept") == "yes"
    await c.aclose()


async def test_one_owner_per_data_dir(tmp_path: Path, instances: Callable[[Path], EmbeddedRedis]) -> None:
    await instances(tmp_path).start()
    with pytest.raises(EmbeddedRedisError) as exc:
        await instances(tmp_path).start()
    assert exc.value.usage
    assert "belongs to another running rtc-egress process" in str(exc.value)


async def test_a_leftover_server_on_the_socket_is_shut_down_and_replaced(
    tmp_path: Path, instances: Callable[[Path], EmbeddedRedis]
) -> None:
    e = instances(tmp_path)
    e.dir.mkdir(parents=True)
    # A redis-server that outlived its owner (its lock is gone) still serves the data dir's socket.
    leftover = subprocess.Popen(
        ["redis-server", "--port", "0", "--unixsocket", str(e.socket_path), "--dir", str(e.dir),
         "--appendonly", "yes", "--save", ""],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        c = aioredis.Redis(unix_socket_path=str(e.socket_path), decode_responses=True)
        for _ in range(500):
            try:
                await c.set("from-leftover", "1")
                break
            except (OSError, aioredis.ConnectionError):
                await asyncio.sleep(0.01)
        await c.aclose()
        await e.start()
        assert await asyncio.to_thread(leftover.wait, 10) == 0
        c = await client_of(e)
        assert await c.get("from-leftover") == "1"  # its AOF was flushed and is ours now
        await c.aclose()
    finally:
        if leftover.poll() is None:
            leftover.kill()
            leftover.wait()


async def test_missing_binary_is_a_usage_error_with_install_hint(tmp_path: Path) -> None:
    e = EmbeddedRedis(tmp_path, str(tmp_path / "bin" / "redis-server"))
    with pytest.raises(EmbeddedRedisError) as exc:
        await e.start()
    assert exc.value.usage
    assert "apt-get install redis-server" in str(exc.value)
    assert "REDIS_URL" in str(exc.value)


async def test_a_server_that_exits_at_once_is_reported_with_its_log(tmp_path: Path) -> None:
    false = shutil.which("false")
    assert false is not None
    e = EmbeddedRedis(tmp_path, false)
    with pytest.raises(EmbeddedRedisError) as exc:
        await e.start()
    assert "exited with code 1" in str(exc.value)
    assert not exc.value.usage
    assert e.proc is None  # nothing left running, and the lock is free again
    again = EmbeddedRedis(tmp_path)
    await again.start()
    await again.stop()


async def test_a_data_dir_too_deep_for_a_socket_path_still_works(
    tmp_path: Path, instances: Callable[[Path], EmbeddedRedis]
) -> None:
    deep = tmp_path.joinpath(*(["a-rather-long-directory-name"] * 5))
    e = instances(deep)
    assert len(str(deep / "redis" / "redis.sock")) > 108
    await e.start()
    c = await client_of(e)
    assert await c.ping()
    await c.aclose()
    assert (deep / "redis" / "appendonlydir").is_dir()  # the data stays in the data dir
