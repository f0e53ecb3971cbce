"""Adaptive batching: concurrent single requests share one ``predict_batch`` call.

A plain class, testable without a server (the shape of Ray Serve's ``serve/batching.py``):

- ``submit(item)`` puts the item and one ``Future`` on a bounded queue and awaits the future;
  a full queue answers :class:`~limelight.errors.QueueFull` at once (HTTP 503 + Retry-After),
  and a request not answered within ``timeout_s`` gets :class:`~limelight.errors.PredictTimeout`
  (HTTP 504); a timed-out or cancelled request still in the queue is dropped from its batch.
- One background task forms batches, event-driven (no polling): it waits until an execution slot
  is free and an item is queued, then until the queue holds ``max_batch_size`` items or the
  window of ``max_wait_ms`` that opened when the oldest queued item arrived has closed.
- The batch runs ``fn(items)`` in the batcher's own thread (the event loop keeps accepting
  requests, which queue up and form the next batch: batch size adapts to the load). The number
  of outputs is checked against the number of inputs; outputs go back to their requests in
  order, and an exception goes to every request of the batch.
- :class:`~limelight.runtime.metrics.BatcherMetrics` records realized batch sizes, queue wait
  and execution time; an optional ``on_batch`` callback is told each batch's size.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

from limelight.errors import BatchError, InvalidInput, PredictTimeout, QueueFull
from limelight.runtime.metrics import BatcherMetrics

InT = TypeVar("InT")
OutT = TypeVar("OutT")


@dataclass(frozen=True)
class BatchSettings:
    """How one deployed model batches. Defaults suit CPU models on a small machine:

    - ``max_batch_size`` 64: a TF-IDF or MiniLM batch of 64 amortizes the per-call overhead
      (scikit-learn validation, tokenizer and thread hand-off) without long tail latency.
    - ``max_wait_ms`` 0: no artificial delay. The batch forms from what queued up while the
      previous batch ran, so an idle server answers at once (concurrency 1 pays nothing) and
      a busy one batches as deep as its load. Raise it (1-5 ms) to trade latency for larger
      batches when a model's per-call cost dominates (e.g. with several execution slots).
    - ``max_queue`` 1024: requests waiting beyond this are refused with 503 + Retry-After.
    - ``timeout_s`` 30: a request not answered within this gets 504.
    - ``max_concurrent_batches`` 1: one batch at a time per model (CPU models use the cores
      inside one call; overlapping batches only contend).
    - ``inline_max_ms`` 1: a batch expected (from the measured model time per item) to take
      less than this runs on the event loop itself. A thread hand-off costs ~0.1 ms on an idle
      machine and several ms on a busy one (the woken thread waits for a core), more than a
      sub-millisecond TF-IDF call; slower batches (MiniLM) run in the batcher's thread so the
      loop keeps accepting requests meanwhile, which is what lets their batches grow.
      0 always uses the thread.
    - ``inline_gil_max_ms`` 25: the same limit for a model whose ``predict_batch`` holds the GIL
      (pure-Python feature extraction, such as TF-IDF analysis; the model says so with
      ``holds_gil``). Another thread gives such a model no parallelism, only hand-offs and GIL
      switches (up to 5 ms each), so its batches run on the loop unless they are long enough to
      delay health probes and new connections noticeably.
    """

    max_batch_size: int = 64
    max_wait_ms: float = 0.0
    max_queue: int = 1024
    timeout_s: float = 30.0
    max_concurrent_batches: int = 1
    inline_max_ms: float = 1.0
    inline_gil_max_ms: float = 25.0

    def __post_init__(self) -> None:
        checks = (
            ("max_batch_size", self.max_batch_size >= 1, "at least 1"),
            ("max_wait_ms", self.max_wait_ms >= 0, "0 or more"),
            ("max_queue", self.max_queue >= 1, "at least 1"),
            ("timeout_s", self.timeout_s > 0, "more than 0"),
            ("max_concurrent_batches", self.max_concurrent_batches >= 1, "at least 1"),
            ("inline_max_ms", self.inline_max_ms >= 0, "0 or more"),
            ("inline_gil_max_ms", self.inline_gil_max_ms >= 0, "0 or more"),
        )
        for name, ok, what in checks:
            if not ok:
                raise InvalidInput(f"batching setting {name} must be {what}", field=name)


class _Entry(Generic[InT, OutT]):
    __slots__ = ("enqueued", "future", "item")

    def __init__(self, item: InT, future: asyncio.Future[OutT], enqueued: float) -> None:
        self.item = item
        self.future = future
        self.enqueued = enqueued


class AdaptiveBatcher(Generic[InT, OutT]):
    """Batches calls to ``fn`` (a list of inputs -> a list of outputs of the same length)."""

    def __init__(
        self,
        fn: Callable[[list[InT]], Sequence[OutT]],
        settings: BatchSettings | None = None,
        *,
        name: str = "model",
        on_batch: Callable[[int], None] | None = None,
        holds_gil: bool = False,
    ) -> None:
        self.fn = fn
        self.holds_gil = holds_gil  # fn runs Python code most of its time (see BatchSettings)
        self.settings = settings or BatchSettings()
        self.name = name
        self.on_batch = on_batch  # told the size of every batch run (e.g. a Prometheus histogram)
        self.metrics = BatcherMetrics()
        self._queue: deque[_Entry[InT, OutT]] = deque()
        self._executor = ThreadPoolExecutor(
            max_workers=self.settings.max_concurrent_batches, thread_name_prefix=f"batch-{name}"
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._nonempty = asyncio.Event()
        self._full = asyncio.Event()
        self._slots = asyncio.Semaphore(self.settings.max_concurrent_batches)
        self._closed = False
        self._per_item: float | None = None  # moving average of execution seconds per item

    @property
    def queued(self) -> int:
        return len(self._queue)

    async def submit(self, item: InT) -> OutT:
        """Queue one input and wait for its output."""
        return (await self.submit_many([item]))[0]

    async def submit_many(self, items: Sequence[InT]) -> list[OutT]:
        """Queue several inputs at once (all or none) and wait for their outputs, in order."""
        if self._closed:
            raise QueueFull(f"{self.name} is shutting down; retry on another server")
        loop = asyncio.get_running_loop()
        self._start(loop)
        settings = self.settings
        if len(self._queue) + len(items) > settings.max_queue:
            self.metrics.rejected += len(items)
            raise QueueFull(
                f"{self.name} has {len(self._queue)} requests queued (limit {settings.max_queue}); "
                "retry after the Retry-After delay",
                retry_after=self._retry_after(),
            )
        now = time.monotonic()
        futures: list[asyncio.Future[OutT]] = []
        for item in items:
            future: asyncio.Future[OutT] = loop.create_future()
            self._queue.append(_Entry(item, future, now))
            futures.append(future)
        self._nonempty.set()
        if len(self._queue) >= settings.max_batch_size:
            self._full.set()
        try:
            done, pending = await asyncio.wait(futures, timeout=settings.timeout_s)
        except asyncio.CancelledError:  # the caller went away: drop its queued items
            for future in futures:
                future.cancel()
            raise
        for future in pending:
            future.cancel()  # still queued: dropped when the next batch forms
        failures = [f.exception() for f in done if not f.cancelled()]  # retrieves every one
        failure = next((exc for exc in failures if exc is not None), None)
        if pending:
            self.metrics.timed_out += len(pending)
            raise PredictTimeout(
                f"{self.name} did not answer within {settings.timeout_s:g} s; the server is "
                "overloaded or the input is unusually slow: retry later"
            )
        if failure is not None:
            raise failure
        return [f.result() for f in futures]

    def _retry_after(self) -> float:
        mean = self.metrics.execution_seconds.snapshot()["mean"] or 0.0
        batches_ahead = math.ceil(len(self._queue) / self.settings.max_batch_size)
        return max(1.0, batches_ahead * mean / self.settings.max_concurrent_batches)

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._runner is not None and self._loop is loop and not self._runner.done():
            return
        if self._loop is not None and self._loop is not loop:  # a new event loop (tests)
            self._nonempty = asyncio.Event()
            self._full = asyncio.Event()
            self._slots = asyncio.Semaphore(self.settings.max_concurrent_batches)
            self._queue.clear()
        self._loop = loop
        self._runner = loop.create_task(self._run(), name=f"batcher-{self.name}")

    async def _run(self) -> None:
        while True:
            await self._slots.acquire()
            try:
                batch = await self._next_batch()
            except BaseException:
                self._slots.release()
                raise
            task = asyncio.get_running_loop().create_task(self._execute(batch))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _next_batch(self) -> list[_Entry[InT, OutT]]:
        size = self.settings.max_batch_size
        window = self.settings.max_wait_ms / 1000.0
        queue = self._queue
        while True:
            while not queue:
                self._nonempty.clear()
                await self._nonempty.wait()
                await asyncio.sleep(0)  # let requests that are ready in this loop turn enqueue
            if window > 0 and len(queue) < size:
                self._full.clear()
                remaining = queue[0].enqueued + window - time.monotonic()
                if remaining > 0 and len(queue) < size:
                    try:
                        async with asyncio.timeout(remaining):
                            await self._full.wait()
                    except TimeoutError:
                        pass
            batch: list[_Entry[InT, OutT]] = []
            while queue and len(batch) < size:
                entry = queue.popleft()
                if not entry.future.done():  # skip requests that timed out or went away
                    batch.append(entry)
            if len(queue) < size:
                self._full.clear()
            if batch:
                return batch

    def _timed(self, inputs: list[InT]) -> tuple[Sequence[OutT], float]:
        start = time.perf_counter()
        outputs = self.fn(inputs)
        return outputs, time.perf_counter() - start

    async def _execute(self, batch: list[_Entry[InT, OutT]]) -> None:
        start = time.monotonic()
        waits = [start - entry.enqueued for entry in batch]
        ok = False
        seconds = 0.0
        try:
            inputs = [entry.item for entry in batch]
            try:
                if self._runs_inline(len(inputs)):
                    outputs, seconds = self._timed(inputs)
                else:
                    loop = asyncio.get_running_loop()
                    outputs, seconds = await loop.run_in_executor(
                        self._executor, self._timed, inputs
                    )
                if len(outputs) != len(inputs):
                    raise BatchError(
                        f"{self.name} returned {len(outputs)} outputs for {len(inputs)} inputs"
                    )
            except Exception as exc:
                for entry in batch:
                    if not entry.future.done():
                        entry.future.set_exception(exc)
            else:
                ok = True
                for entry, output in zip(batch, outputs, strict=True):
                    if not entry.future.done():
                        entry.future.set_result(output)
        finally:
            if not ok:
                seconds = time.monotonic() - start
            # model execution time only (not the thread hand-off): what the model costs
            self.metrics.observe_batch(len(batch), waits, seconds, ok)
            if self.on_batch is not None:
                self.on_batch(len(batch))
            per_item = seconds / len(batch)
            self._per_item = (
                per_item if self._per_item is None else 0.8 * self._per_item + 0.2 * per_item
            )
            self._slots.release()

    def _runs_inline(self, size: int) -> bool:
        settings = self.settings
        limit = (settings.inline_gil_max_ms if self.holds_gil else settings.inline_max_ms) / 1000.0
        return self._per_item is not None and self._per_item * size < limit

    async def close(self) -> None:
        """Stop forming batches, fail what is still queued, and let running batches finish."""
        self._closed = True
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        while self._queue:
            entry = self._queue.popleft()
            if not entry.future.done():
                entry.future.set_exception(QueueFull(f"{self.name} is shutting down"))
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        self._executor.shutdown(wait=False)
