"""In-process batcher metrics, shaped for a later Prometheus export (cumulative histograms).

Nothing here knows Prometheus: a ``Histogram`` keeps fixed bucket bounds, per-bucket counts, a
sum and a count, exactly what a Prometheus histogram needs, and ``snapshot()`` hands them out as
plain data. The batcher observes from the event loop thread only, so no lock is needed.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# Seconds: from 100 µs to 10 s.
TIME_BUCKETS: tuple[float, ...] = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
SIZE_BUCKETS: tuple[float, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256)


@dataclass
class Histogram:
    """Counts per upper bound (``le``), plus an overflow bucket (+Inf), a sum and a count."""

    bounds: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        if not self.counts:
            self.counts = [0] * (len(self.bounds) + 1)

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.total += value
        self.count += 1

    def cumulative(self) -> list[tuple[float, int]]:
        """``(le, count of observations <= le)`` pairs, the last with ``le = inf``."""
        running = 0
        pairs = []
        for bound, n in zip((*self.bounds, float("inf")), self.counts, strict=True):
            running += n
            pairs.append((bound, running))
        return pairs

    def snapshot(self) -> dict[str, Any]:
        return {
            "buckets": [[le, n] for le, n in self.cumulative()],
            "sum": self.total,
            "count": self.count,
            "mean": self.total / self.count if self.count else None,
        }


@dataclass
class BatcherMetrics:
    """What one batcher did: realized batch sizes, time items waited in the queue, model
    execution time per batch, and how many requests were refused (queue full) or timed out."""

    batch_size: Histogram = field(default_factory=lambda: Histogram(SIZE_BUCKETS))
    batch_sizes: Counter[int] = field(default_factory=Counter)
    queue_wait_seconds: Histogram = field(default_factory=lambda: Histogram(TIME_BUCKETS))
    execution_seconds: Histogram = field(default_factory=lambda: Histogram(TIME_BUCKETS))
    items: int = 0
    batches: int = 0
    failed_batches: int = 0
    rejected: int = 0
    timed_out: int = 0

    def observe_batch(self, size: int, waits: list[float], seconds: float, ok: bool) -> None:
        self.batches += 1
        self.items += size
        self.batch_size.observe(size)
        self.batch_sizes[size] += 1
        for wait in waits:
            self.queue_wait_seconds.observe(wait)
        self.execution_seconds.observe(seconds)
        if not ok:
            self.failed_batches += 1

    def snapshot(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "batches": self.batches,
            "failed_batches": self.failed_batches,
            "rejected": self.rejected,
            "timed_out": self.timed_out,
            "mean_batch_size": self.items / self.batches if self.batches else None,
            "batch_sizes": dict(sorted(self.batch_sizes.items())),
            "batch_size": self.batch_size.snapshot(),
            "queue_wait_seconds": self.queue_wait_seconds.snapshot(),
            "execution_seconds": self.execution_seconds.snapshot(),
        }
