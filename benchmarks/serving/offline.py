"""The limits a served model is compared with, measured in process: the model's offline batch
throughput (predictions/s at its best batch size) and the latency of one direct call."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from limelight.registry import Registry
from limelight.runtime import load
from limelight.settings import Settings

BATCH_SIZES = (1, 8, 32, 64, 128)


def _throughput(
    fn: Callable[[list[Any]], Any], items: list[Any], size: int, seconds: float
) -> float:
    done = 0
    start = time.perf_counter()
    position = 0
    while True:
        batch = items[position : position + size] or items[:size]
        position = (position + size) % len(items)
        fn(batch)
        done += len(batch)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def offline_numbers(
    home: Path, name: str, sentences: list[str], seconds: float = 1.5
) -> dict[str, Any]:
    registry = Registry.from_settings(Settings(home=home))
    try:
        model = load(registry, name)
    finally:
        registry.close()
    parsed = [model.parse({"text": s}) for s in sentences]
    labels = [o["label"] for o in model.predict_batch(parsed)]
    fast = "minilm" not in name
    calls = 400 if fast else 60
    latencies = []
    for item in parsed[:calls]:
        start = time.perf_counter()
        model.predict_batch([item])
        latencies.append(time.perf_counter() - start)
    limelight = {str(b): _throughput(model.predict_batch, parsed, b, seconds) for b in BATCH_SIZES}
    estimator = model.predictor.estimator  # type: ignore[attr-defined]
    plain = {str(b): _throughput(estimator.predict_proba, sentences, b, seconds) for b in (1, 64)}
    best = max(limelight, key=lambda b: limelight[b])
    return {
        "labels": labels,
        "direct_call_p50_ms": statistics.median(latencies) * 1000,
        "limelight_batch_throughput": limelight,
        "best_batch_size": int(best),
        "best_throughput": limelight[best],
        "scikit_learn_pipeline_throughput": plain,
    }
