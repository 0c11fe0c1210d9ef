"""Every transition of the state table, and every refused one, through the real Lua scripts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from importlib import resources

import pytest
import redis.asyncio as aioredis

from rtc_egress.runtime.config import RedisConfig
from rtc_egress.runtime.redis_client import create_redis
from rtc_egress.tasks import keys
from rtc_egress.tasks.errors import ChannelBusy, TransitionRefused
from rtc_egress.tasks.model import Lease, TaskFile, TaskState
from rtc_egress.tasks.store import StopOutcome, TaskStore
from tests.integration.store.conftest import NATIVE_RECORD, MakeTask
from tests.support.cutting_proxy import CuttingProxy
from tests.support.redis_server import RedisServer

S = TaskState
# DESIGN.md section 2, written out independently of the Lua table it checks.
ALLOWED = {
    (S.ENQUEUED, S.PROCESSING),
    (S.ENQUEUED, S.TIMEOUT),
    (S.ENQUEUED, S.STOPPED),
    (S.PROCESSING, S.STOPPING),
    (S.PROCESSING, S.STOPPED),
    (S.PROCESSING, S.FAILED),
    (S.PROCESSING, S.ENQUEUED),
    (S.STOPPING, S.STOPPED),
    (S.STOPPING, S.FAILED),
}


async def test_state_table_allows_exactly_the_designed_transitions(
    redis: aioredis.Redis, store: TaskStore, make_task: MakeTask
) -> None:
    lua = resources.files("rtc_egress.tasks.lua")
    probe = redis.register_script(
        lua.joinpath("_prelude.lua").read_text()
        + "\nlocal ok, from = transition(ARGV[2], ARGV[3], 'probe', {}, {}, now_ms(), 1000, 600)\n"
        + "return {ok and 1 or 0, from or ''}"
    )
    for src in TaskState:
        for dst in TaskState:
            task = await make_task()
            await redis.hset(keys.task(task.task_id), "state", src.value)
            seq_before = int(await redis.hget(keys.task(task.task_id), "seq"))
            ok, _ = await probe(keys=[], args=[keys.PREFIX, task.task_id, dst.value])
            after = await store.get(task.task_id)
            assert after is not None
            if (src, dst) in ALLOWED:
                assert ok == 1, f"{src} -> {dst} should be allowed"
                assert after.state == dst
                assert after.seq == seq_before + 1  # the event is appended in the same step
            else:
                assert ok == 0, f"{src} -> {dst} should be refused"
                assert after.state == src
                assert after.seq == seq_before


async def test_create_enqueues_once_per_request_id_and_locks_the_channel(store: TaskStore, make_task: MakeTask) -> None:
    task = await make_task(channel="room", request_id="abc")
    assert task.state == S.ENQUEUED and len(task.task_id) == 16
    again = await store.create(
        app_id="app1", request_id="abc", cmd="record", kind=task.kind, region="global", channel="room", payload={}
    )
    assert not again.created and again.task_id == task.task_id and again.existing == task
    with pytest.raises(ChannelBusy) as busy:
        await make_task(channel="room")
    assert busy.value.task_id == task.task_id
    # Another cmd, or another app, on the same channel is fine.
    await make_task(channel="room", cmd="snapshot")
    await make_task(channel="room", app_id="app2")


@pytest.fixture
async def behind_proxy(redis_server: RedisServer) -> AsyncIterator[tuple[CuttingProxy, TaskStore]]:
    """A store whose Redis connection goes through a proxy that can lose replies (the client retries)."""
    proxy = CuttingProxy(redis_server.port)
    await proxy.start()
    client = create_redis(RedisConfig(url=proxy.url, retries=2))
    yield proxy, TaskStore(client)
    await client.aclose()
    await proxy.close()


async def test_a_claim_whose_reply_was_lost_is_retried_without_leasing_a_second_task(
    behind_proxy: tuple[CuttingProxy, TaskStore], store: TaskStore, make_task: MakeTask
) -> None:
    proxy, flaky = behind_proxy
    first, second = await make_task(), await make_task()
    assert await flaky.claim("w1", ["egress:queue:nowhere"], lease_s=10) is None  # script loaded, warm
    proxy.cut_reply_to(b"lost-reply-1")
    claimed = await flaky.claim("w1", NATIVE_RECORD, lease_s=10, claim_id="lost-reply-1")
    assert proxy.cuts == 1  # the first run leased a task and its answer never arrived
    assert claimed is not None and claimed.task_id == first.task_id and claimed.part == 1
    # The retry did not lease the second task to an owner that does not know it has it.
    still_queued = await store.get(second.task_id)
    assert still_queued is not None and still_queued.state == S.ENQUEUED
    other = await store.claim("w2", NATIVE_RECORD, lease_s=10)
    assert other is not None and other.task_id == second.task_id


async def test_a_file_and_an_ending_whose_replies_were_lost_are_recorded_once(
    behind_proxy: tuple[CuttingProxy, TaskStore], redis: aioredis.Redis, store: TaskStore, make_task: MakeTask
) -> None:
    proxy, flaky = behind_proxy
    # Run each script once, so the lost replies below are of runs that did happen (not of NOSCRIPT).
    await make_task()
    warm = await flaky.claim("w1", NATIVE_RECORD, lease_s=10)
    assert warm is not None
    await flaky.attach_file(warm.task_id, Lease.of(warm), TaskFile(name="w.mp4", path="/s/w.mp4", bytes=1, part=1))
    await flaky.finish(warm.task_id, Lease.of(warm), "stopped")
    task = await make_task()
    claimed = await flaky.claim("w1", NATIVE_RECORD, lease_s=10)
    assert claimed is not None
    lease = Lease.of(claimed)
    uploads_before = await redis.xlen(keys.UPLOADS)
    proxy.cut_reply_to(b"lost-reply.mp4")
    await flaky.attach_file(task.task_id, lease, TaskFile(name="lost-reply.mp4", path="/s/x.mp4", bytes=9, part=1))
    proxy.cut_reply_to(b"lost-reply-ending")
    done = await flaky.finish(task.task_id, lease, "lost-reply-ending")  # not refused as "already STOPPED"
    assert proxy.cuts == 2
    assert done.state == S.STOPPED and done.reason == "lost-reply-ending"
    types = [e.type for e in await store.events(task.task_id)]
    assert types.count("file_closed") == 1 and types.count("state_changed") == 3  # ENQUEUED, PROCESSING, STOPPED
    assert await redis.xlen(keys.UPLOADS) == uploads_before + 1  # the uploader hears of the file once


async def test_a_repeated_claim_returns_nothing_once_its_task_moved_on(store: TaskStore, make_task: MakeTask) -> None:
    task = await make_task()
    claimed = await store.claim("w1", NATIVE_RECORD, lease_s=10, claim_id="c1")
    assert claimed is not None and claimed.task_id == task.task_id
    assert (await store.stop("app1", task.task_id, "s1")).task.state == S.STOPPING
    await store.finish(task.task_id, Lease("w1", 1), "stopped")
    await make_task()  # queued work is not what a repeat of c1 hands out
    assert await store.claim("w1", NATIVE_RECORD, lease_s=10, claim_id="c1") is None


async def test_claim_leases_and_the_owner_finishes(store: TaskStore, make_task: MakeTask) -> None:
    task = await make_task()
    claimed = await store.claim("w1", NATIVE_RECORD, lease_s=10)
    assert claimed is not None and claimed.task_id == task.task_id
    assert claimed.state == S.PROCESSING and claimed.owner == "w1" and claimed.part == 1
    assert await store.claim("w2", NATIVE_RECORD, lease_s=10) is None
    assert await store.renew(task.task_id, Lease("w1", 1), 10) == S.PROCESSING
    assert await store.renew(task.task_id, Lease("w2", 1), 10) is None  # not the owner
    await store.mark_started(task.task_id, Lease("w1", 1), {"pid": 1})
    await store.attach_file(task.task_id, Lease("w1", 1), TaskFile(name="a.mp4", path="/s/a.mp4", bytes=5, part=1))
    done = await store.finish(task.task_id, Lease("w1", 1), "stopped")
    assert done.state == S.STOPPED and done.reason == "stopped" and done.finished_at is not None
    types = [(e.type, e.state) for e in await store.events(task.task_id)]
    assert types == [
        ("state_changed", S.ENQUEUED),
        ("state_changed", S.PROCESSING),
        ("started", S.PROCESSING),
        ("file_closed", S.PROCESSING),
        ("state_changed", S.STOPPED),
    ]
    assert [f.name for f in await store.files(task.task_id)] == ["a.mp4"]


async def test_fail_from_processing_and_stopping(store: TaskStore, make_task: MakeTask) -> None:
    for stop_first in (False, True):
        task = await make_task()
        await store.claim("w1", NATIVE_RECORD, lease_s=10)
        if stop_first:
            assert (await store.stop("app1", task.task_id, "r")).outcome == StopOutcome.STOPPING
        failed = await store.fail(task.task_id, Lease("w1", 1), "bad token")
        assert failed.state == S.FAILED and failed.reason == "bad token"


async def test_refused_worker_transitions_change_nothing(store: TaskStore, make_task: MakeTask) -> None:
    task = await make_task()
    with pytest.raises(TransitionRefused):
        await store.finish(task.task_id, Lease("w1", 1), "stopped")  # ENQUEUED, nobody owns it
    await store.claim("w1", NATIVE_RECORD, lease_s=10)
    with pytest.raises(TransitionRefused):
        await store.finish(task.task_id, Lease("intruder", 1), "stopped")
    with pytest.raises(TransitionRefused):
        await store.release(task.task_id, Lease("intruder", 1), "shutdown")
    with pytest.raises(TransitionRefused):
        await store.add_event(task.task_id, Lease("intruder", 1), "user_joined", {"uid": "u1"})
    await store.finish(task.task_id, Lease("w1", 1), "stopped")
    seq = (await store.get(task.task_id)).seq  # type: ignore[union-attr]
    for attempt in (
        store.finish(task.task_id, Lease("w1", 1), "again"),
        store.fail(task.task_id, Lease("w1", 1), "late"),
    ):
        with pytest.raises(TransitionRefused):
            await attempt
    with pytest.raises(TransitionRefused):
        await store.release(task.task_id, Lease("w1", 1), "shutdown")
    with pytest.raises(TransitionRefused):
        await store.add_event(task.task_id, Lease("w1", 1), "user_left", {"uid": "u1"})
    assert await store.renew(task.task_id, Lease("w1", 1), 10) is None
    res = await store.stop("app1", task.task_id, "r9")
    assert res.outcome == StopOutcome.ALREADY_TERMINAL and res.task.state == S.STOPPED
    after = await store.get(task.task_id)
    assert after is not None and after.state == S.STOPPED and after.seq == seq


async def test_file_of_a_lost_part_is_still_attached(store: TaskStore, make_task: MakeTask) -> None:
    task = await make_task()
    await store.claim("w1", NATIVE_RECORD, lease_s=10)
    await store.finish(task.task_id, Lease("w1", 1), "stopped")
    # A file closed after the task ended (or after the owner lost it) is never dropped.
    await store.attach_file(task.task_id, Lease("w-old", 1), TaskFile(name="p1.mp4", path="/s/p1.mp4", bytes=9, part=1))
    assert [f.name for f in await store.files(task.task_id)] == ["p1.mp4"]


async def test_stop_enqueued_task_never_starts(store: TaskStore, make_task: MakeTask) -> None:
    task = await make_task()
    res = await store.stop("app1", task.task_id, "stop1")
    assert res.outcome == StopOutcome.STOPPED and res.task.state == S.STOPPED
    assert await store.claim("w1", NATIVE_RECORD, lease_s=10) is None
    assert (await store.queue_depths())[keys.queue("global", "native", "record")] == 0


async def test_stop_processing_reaches_the_owner_even_when_sent_twice(store: TaskStore, make_task: MakeTask) -> None:
    task = await make_task()
    await store.claim("w1", NATIVE_RECORD, lease_s=10)
    first = await store.stop("app1", task.task_id, "s1")
    second = await store.stop("app1", task.task_id, "s2")
    assert (first.outcome, second.outcome) == (StopOutcome.STOPPING, StopOutcome.ALREADY_STOPPING)
    assert await store.renew(task.task_id, Lease("w1", 1), 10) == S.STOPPING
    messages = store.control_messages("w1", block_ms=100)
    got = [await anext(messages), await anext(messages)]
    assert [(m.task_id, m.action, m.request_id) for m in got] == [
        (task.task_id, "stop", "s1"),
        (task.task_id, "stop", "s2"),
    ]
    assert (await store.finish(task.task_id, Lease("w1", 1), "stopped")).state == S.STOPPED


async def test_stop_of_another_apps_task_is_not_found(store: TaskStore, make_task: MakeTask) -> None:
    from rtc_egress.tasks.errors import TaskNotFound

    task = await make_task(app_id="a1")
    with pytest.raises(TaskNotFound):
        await store.stop("a2", task.task_id, "r")
    with pytest.raises(TaskNotFound):
        await store.get_for_app("a2", task.task_id)
    assert (await store.get_for_app("a1", task.task_id)).state == S.ENQUEUED


async def test_enqueued_task_times_out(redis: aioredis.Redis, make_task: MakeTask) -> None:
    fast = TaskStore(redis, task_timeout_s=0.05)
    task = await make_task(fast, channel="late")
    deadline = asyncio.get_running_loop().time() + 5
    while (await fast.sweep()).timed_out == 0:
        assert asyncio.get_running_loop().time() < deadline, "task never timed out"
        await asyncio.sleep(0.02)
    after = await fast.get(task.task_id)
    assert after is not None and after.state == S.TIMEOUT
    assert await fast.claim("w1", NATIVE_RECORD, lease_s=10) is None
    # The channel is free again once the task is terminal.
    await make_task(fast, channel="late")


async def test_expired_lease_requeues_then_fails_after_max_attempts(redis: aioredis.Redis, make_task: MakeTask) -> None:
    st = TaskStore(redis, max_attempts=2)
    task = await make_task(st)

    async def claim_and_lose(owner: str) -> None:
        claimed = await st.claim(owner, NATIVE_RECORD, lease_s=0.05)
        assert claimed is not None and claimed.task_id == task.task_id
        deadline = asyncio.get_running_loop().time() + 5
        while (await st.sweep()).total == 0:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.02)

    await claim_and_lose("w1")
    back = await st.get(task.task_id)
    assert back is not None and back.state == S.ENQUEUED and back.attempts == 1 and back.owner is None
    await claim_and_lose("w2")
    final = await st.get(task.task_id)
    assert final is not None and final.state == S.FAILED and final.attempts == 2 and final.part == 2
    assert "attempts exhausted" in final.reason


async def test_stopping_task_whose_owner_died_ends_stopped(redis: aioredis.Redis, make_task: MakeTask) -> None:
    st = TaskStore(redis)
    task = await make_task(st)
    await st.claim("w1", NATIVE_RECORD, lease_s=0.05)
    await st.stop("app1", task.task_id, "s1")
    deadline = asyncio.get_running_loop().time() + 5
    while (await st.sweep()).stopped == 0:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.02)
    after = await st.get(task.task_id)
    assert after is not None and after.state == S.STOPPED and "lost while stopping" in after.reason


async def test_release_puts_the_task_first_in_its_queue(store: TaskStore, make_task: MakeTask) -> None:
    first, second = await make_task(), await make_task()
    await store.claim("w1", NATIVE_RECORD, lease_s=10)
    released = await store.release(first.task_id, Lease("w1", 1), "shutdown")
    assert released.state == S.ENQUEUED and released.attempts == 0
    again = await store.claim("w2", NATIVE_RECORD, lease_s=10)
    assert again is not None and again.task_id == first.task_id and again.part == 2
    assert second.state == S.ENQUEUED


async def test_terminal_task_expires_after_ttl(redis: aioredis.Redis, store: TaskStore, make_task: MakeTask) -> None:
    task = await make_task()
    assert await redis.ttl(keys.task(task.task_id)) == -1  # active tasks never expire
    await store.stop("app1", task.task_id, "s")
    for key in (keys.task(task.task_id), keys.task_events(task.task_id), keys.request("app1", task.request_id)):
        assert 0 < await redis.ttl(key) <= 600


async def test_region_queue_is_polled_before_global(store: TaskStore, make_task: MakeTask) -> None:
    from rtc_egress.tasks.model import TaskKind
    from rtc_egress.tasks.store import worker_queues

    g = await make_task(region="global")
    eu = await make_task(region="eu-west")
    queues = worker_queues("eu-west", [TaskKind.NATIVE], ["record"])
    assert queues[0] == "egress:queue:eu-west:native:record" and queues[-1] == "egress:queue:global:native:record"
    order = [(await store.claim("w", queues, 10)), (await store.claim("w", queues, 10))]
    assert [t.task_id for t in order if t] == [eu.task_id, g.task_id]
    # A worker of another region never takes eu-west's task.
    other = await make_task(region="eu-west")
    assert await store.claim("w-us", worker_queues("us-east", [TaskKind.NATIVE], ["record"]), 10) is None
    assert (await store.get(other.task_id)).state == S.ENQUEUED  # type: ignore[union-attr]


async def test_list_filters_and_paginates(store: TaskStore, make_task: MakeTask) -> None:
    made = [await make_task(channel=f"list{i}") for i in range(7)]
    await store.stop("app1", made[0].task_id, "s")
    await make_task(app_id="other")
    seen: list[str] = []
    cursor = None
    while True:
        page = await store.list("app1", limit=3, cursor=cursor)
        seen += [t.task_id for t in page.tasks]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(t.task_id for t in made) and len(seen) == len(set(seen))
    stopped = await store.list("app1", state=S.STOPPED)
    assert [t.task_id for t in stopped.tasks] == [made[0].task_id]
    by_channel = await store.list("app1", channel="list3")
    assert [t.task_id for t in by_channel.tasks] == [made[3].task_id]
    with pytest.raises(ValueError, match="cursor"):
        await store.list("app1", cursor="!!not-a-cursor")


async def test_crashed_recorder_requeues_with_an_attempt_then_fails(redis: aioredis.Redis, make_task: MakeTask) -> None:
    st = TaskStore(redis, max_attempts=2)
    task = await make_task(st)
    await st.claim("w1", NATIVE_RECORD, lease_s=10)
    again = await st.release(task.task_id, Lease("w1", 1), "recorder exited with code -9", crashed=True)
    assert again.state == S.ENQUEUED and again.attempts == 1 and "code -9" in again.reason
    await st.claim("w2", NATIVE_RECORD, lease_s=10)
    final = await st.release(task.task_id, Lease("w2", 2), "recorder exited with code 1", crashed=True)
    assert final.state == S.FAILED and final.attempts == 2 and "attempts exhausted" in final.reason


async def test_attached_file_is_announced_for_upload(
    redis: aioredis.Redis, store: TaskStore, make_task: MakeTask
) -> None:
    task = await make_task()
    await store.claim("w1", NATIVE_RECORD, lease_s=10)
    await store.attach_file(task.task_id, Lease("w1", 1), TaskFile(name="x.mp4", path="/s/x.mp4", bytes=3, part=1))
    entries = await redis.xrange(keys.UPLOADS)
    assert [(e["task_id"], e["name"]) for _, e in entries] == [(task.task_id, "x.mp4")]


async def test_a_part_that_lost_its_lease_is_fenced_off_even_on_the_same_instance(
    redis: aioredis.Redis, make_task: MakeTask
) -> None:
    st = TaskStore(redis)
    task = await make_task(st)
    first = await st.claim("w1", NATIVE_RECORD, lease_s=0.05)
    assert first is not None
    old = Lease.of(first)
    deadline = asyncio.get_running_loop().time() + 5
    while (await st.sweep()).requeued == 0:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.02)
    second = await st.claim("w1", NATIVE_RECORD, lease_s=10)  # the same instance takes it again
    assert second is not None and Lease.of(second) == Lease("w1", 2)
    assert await st.renew(task.task_id, old, 10) is None
    for refused in (
        st.finish(task.task_id, old, "stopped"),
        st.release(task.task_id, old, "crash", crashed=True),
        st.add_event(task.task_id, old, "user_joined", {"uid": "u1"}),
    ):
        with pytest.raises(TransitionRefused, match="superseded by part 2"):
            await refused
    await st.attach_file(task.task_id, old, TaskFile(name="p1.mp4", path="/s/p1.mp4", bytes=1, part=1))  # kept
    assert await st.renew(task.task_id, Lease.of(second), 10) == S.PROCESSING
    done = await st.finish(task.task_id, Lease.of(second), "stopped")
    assert done.state == S.STOPPED and done.attempts == 1
    assert [f.name for f in await st.files(task.task_id)] == ["p1.mp4"]
