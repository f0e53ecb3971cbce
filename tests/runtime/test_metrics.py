from __future__ import annotations

import math

from limelight.runtime.metrics import BatcherMetrics, Histogram


def test_histogram_is_cumulative_like_prometheus() -> None:
    h = Histogram((1.0, 2.0, 4.0))
    for value in (0.5, 1.0, 3.0, 9.0):
        h.observe(value)
    assert h.cumulative() == [(1.0, 2), (2.0, 2), (4.0, 3), (math.inf, 4)]
    snap = h.snapshot()
    assert snap["count"] == 4 and snap["sum"] == 13.5 and snap["mean"] == 13.5 / 4


def test_batcher_metrics_snapshot() -> None:
    m = BatcherMetrics()
    m.observe_batch(3, [0.001, 0.002, 0.003], 0.01, ok=True)
    m.observe_batch(1, [0.0], 0.02, ok=False)
    snap = m.snapshot()
    assert snap["items"] == 4 and snap["batches"] == 2 and snap["failed_batches"] == 1
    assert snap["batch_sizes"] == {1: 1, 3: 1} and snap["mean_batch_size"] == 2
    assert snap["queue_wait_seconds"]["count"] == 4
    assert abs(snap["execution_seconds"]["sum"] - 0.03) < 1e-12
