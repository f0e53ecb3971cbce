"""The adaptive batcher, called directly: deterministic (a long window means a batch flushes
only when it is full), concurrent calls through asyncio.gather."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence

import pytest

from limelight.errors import BatchError, InvalidInput, PredictTimeout, QueueFull
from limelight.runtime import batcher as batcher_module
from limelight.runtime.batcher import AdaptiveBatcher, BatchSettings

LONG = 60_000.0  # ms: batches flush only when full


class Recorder:
    """A batch function that remembers every batch it was called with."""

    def __init__(self, delay: float = 0.0) -> None:
        self.batches: list[list[int]] = []
        self.delay = delay

    def __call__(self, items: list[int]) -> list[int]:
        self.batches.append(list(items))
        if self.delay:
            time.sleep(self.delay)
        return [x * 10 for x in items]


def test_full_batches_only_with_a_long_window() -> None:
    fn = Recorder()

    async def main() -> list[int]:
        batcher = AdaptiveBatcher(fn, BatchSettings(max_batch_size=4, max_wait_ms=LONG))
        try:
            return await asyncio.gather(*(batcher.submit(i) for i in range(12)))
        finally:
            await batcher.close()

    results = asyncio.run(main())
    assert results == [i * 10 for i in range(12)]  # each request gets its own answer
    assert fn.batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]


def test_partial_batch_waits_for_the_window_then_flushes() -> None:
    fn = Recorder()

    async def main() -> tuple[list[int], float]:
        batcher = AdaptiveBatcher(fn, BatchSettings(max_batch_size=8, max_wait_ms=50))
        start = time.monotonic()
        results = await asyncio.gather(*(batcher.submit(i) for i in range(3)))
        await batcher.close()
        return results, time.monotonic() - start

    results, elapsed = asyncio.run(main())
    assert results == [0, 10, 20]
    assert fn.batches == [[0, 1, 2]]
    assert elapsed >= 0.045


def test_long_window_holds_a_partial_batch_until_it_fills() -> None:
    fn = Recorder()

    async def main() -> None:
        batcher = AdaptiveBatcher(fn, BatchSettings(max_batch_size=3, max_wait_ms=LONG))
        first = asyncio.ensure_future(asyncio.gather(batcher.submit(1), batcher.submit(2)))
        await asyncio.sleep(0.05)
        assert not first.done() and fn.batches == []  # 2 of 3: still waiting
        third = await batcher.submit(3)
        assert await first == [10, 20] and third == 30
        assert fn.batches == [[1, 2, 3]]
        await batcher.close()

    asyncio.run(main())


def test_no_window_batches_what_queued_while_busy() -> None:
    fn = Recorder(delay=0.05)

    async def main() -> list[int]:
        batcher = AdaptiveBatcher(fn, BatchSettings(max_batch_size=16, max_wait_ms=0))
        first = asyncio.ensure_future(batcher.submit(0))
        await asyncio.sleep(0.01)  # the first batch (alone) is running now
        rest = await asyncio.gather(*(batcher.submit(i) for i in range(1, 6)))
        out = [await first, *rest]
        metrics = batcher.metrics.snapshot()
        assert metrics["batch_sizes"] == {1: 1, 5: 1}
        assert metrics["items"] == 6 and metrics["batches"] == 2
        assert metrics["execution_seconds"]["count"] == 2
        assert metrics["execution_seconds"]["sum"] >= 0.1
        assert metrics["queue_wait_seconds"]["count"] == 6
        await batcher.close()
        return out

    assert asyncio.run(main()) == [i * 10 for i in range(6)]
    assert fn.batches == [[0], [1, 2, 3, 4, 5]]


def test_an_exception_reaches_every_request_of_the_batch() -> None:
    def broken(items: list[int]) -> list[int]:
        raise ValueError(f"cannot score {len(items)} items")

    async def main() -> list[object]:
        batcher = AdaptiveBatcher(broken, BatchSettings(max_batch_size=3, max_wait_ms=LONG))
        results = await asyncio.gather(
            *(batcher.submit(i) for i in range(3)), return_exceptions=True
        )
        assert batcher.metrics.failed_batches == 1
        await batcher.close()
        return results

    results = asyncio.run(main())
    assert len(results) == 3
    assert all(isinstance(r, ValueError) and str(r) == "cannot score 3 items" for r in results)


def test_output_count_is_checked() -> None:
    def short(items: Sequence[int]) -> list[int]:
        return list(items)[:-1]

    async def main() -> list[object]:
        batcher = AdaptiveBatcher(short, BatchSettings(max_batch_size=2, max_wait_ms=LONG))
        results = await asyncio.gather(batcher.submit(1), batcher.submit(2), return_exceptions=True)
        await batcher.close()
        return results

    results = asyncio.run(main())
    assert all(isinstance(r, BatchError) and "1 outputs for 2 inputs" in r.message for r in results)


def test_queue_full_is_refused_at_once_with_retry_after() -> None:
    release = threading.Event()

    def blocked(items: list[int]) -> list[int]:
        release.wait(5)
        return items

    async def main() -> None:
        batcher = AdaptiveBatcher(blocked, BatchSettings(max_batch_size=1, max_queue=2))
        running = asyncio.ensure_future(batcher.submit(0))
        await asyncio.sleep(0.02)  # item 0 is executing, the queue is empty
        queued = [asyncio.ensure_future(batcher.submit(i)) for i in (1, 2)]
        await asyncio.sleep(0.02)
        assert batcher.queued == 2
        with pytest.raises(QueueFull) as info:
            await batcher.submit(3)
        assert info.value.status_code == 503
        assert int(info.value.headers()["Retry-After"]) >= 1
        with pytest.raises(QueueFull):  # all or nothing for a multi-item request
            await batcher.submit_many([4, 5])
        assert batcher.metrics.rejected == 3
        release.set()
        assert [await running, *(await asyncio.gather(*queued))] == [0, 1, 2]
        await batcher.close()

    asyncio.run(main())


def test_timeout_answers_504_and_drops_the_queued_item() -> None:
    release = threading.Event()
    fn_batches: list[list[int]] = []

    def slow(items: list[int]) -> list[int]:
        fn_batches.append(list(items))
        release.wait(5)
        return items

    async def main() -> None:
        batcher = AdaptiveBatcher(slow, BatchSettings(max_batch_size=1, timeout_s=0.1))
        first = asyncio.ensure_future(batcher.submit(0))
        await asyncio.sleep(0.02)
        with pytest.raises(PredictTimeout) as info:
            await batcher.submit(1)  # waits behind item 0, which never finishes in time
        assert info.value.status_code == 504
        with pytest.raises(PredictTimeout):
            await first
        assert batcher.metrics.timed_out == 2
        release.set()
        assert await batcher.submit(2) == 2
        await batcher.close()

    asyncio.run(main())
    assert fn_batches == [[0], [2]]  # item 1 timed out while queued: never executed


def test_settings_are_validated() -> None:
    with pytest.raises(InvalidInput, match="max_batch_size"):
        BatchSettings(max_batch_size=0)
    with pytest.raises(InvalidInput, match="timeout_s"):
        BatchSettings(timeout_s=0)


class ModelClock:
    """The batcher's model clock, advanced only by what a model says it cost.

    Which path a batch takes depends on the measured model time; measuring a real sleep makes
    that depend on how loaded the machine is (a thread preempted for 2 ms on a busy CI runner
    turns a no-op into a "slow" model). The tests advance this clock instead.
    """

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return time.monotonic()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> ModelClock:
    fake = ModelClock()
    monkeypatch.setattr(batcher_module, "time", fake)
    return fake


def costed(threads: list[str], clock: ModelClock) -> Callable[[list[float]], list[float]]:
    """A model that costs the sum of its inputs in seconds and records the thread it ran on."""

    def fn(items: list[float]) -> list[float]:
        threads.append(threading.current_thread().name)
        clock.now += sum(items)
        return items

    return fn


def test_fast_batches_run_inline_slow_ones_in_the_batcher_thread(clock: ModelClock) -> None:
    threads: list[str] = []
    fn = costed(threads, clock)

    async def main() -> None:
        batcher = AdaptiveBatcher(fn, BatchSettings(max_batch_size=4, inline_max_ms=5))
        await batcher.submit(0.0)  # no estimate yet: the thread
        await batcher.submit(0.0)  # fast: inline, on the event loop
        await batcher.submit(0.1)  # measured slow (100 ms)...
        await batcher.submit(0.0)  # ...so the estimate sends the next ones to the thread
        await batcher.close()

    asyncio.run(main())
    main_thread = threading.main_thread().name
    assert threads[0] != main_thread and threads[0].startswith("batch-")
    assert threads[1] == main_thread
    assert threads[3] != main_thread


def test_a_gil_bound_model_runs_inline_up_to_its_own_limit(clock: ModelClock) -> None:
    threads: list[str] = []
    fn = costed(threads, clock)

    async def main(holds_gil: bool) -> None:
        settings = BatchSettings(max_batch_size=4, inline_max_ms=1, inline_gil_max_ms=50)
        batcher = AdaptiveBatcher(fn, settings, holds_gil=holds_gil)
        await batcher.submit(0.0)  # no estimate yet: the thread
        await batcher.submit(0.01)  # 10 ms measured: over 1 ms, under 50 ms
        await batcher.submit(0.0)  # a GIL-bound model still runs this inline; others do not
        await batcher.submit(0.5)  # 500 ms: the estimate passes the GIL limit too...
        await batcher.submit(0.0)  # ...so this one goes to the thread either way
        await batcher.close()

    main_thread = threading.main_thread().name
    asyncio.run(main(holds_gil=True))
    assert [t == main_thread for t in threads] == [False, True, True, True, False]
    threads.clear()
    asyncio.run(main(holds_gil=False))
    assert [t == main_thread for t in threads] == [False, True, False, False, False]
    with pytest.raises(InvalidInput, match="inline_gil_max_ms"):
        BatchSettings(inline_gil_max_ms=-1)
