"""Train a model from a table and register it as the next version of a named model.

The order of work is what makes a failed run change nothing: everything is computed and written
into a staging folder first; only then does one registry transaction create the version.
"""

from __future__ import annotations

import platform
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from limelight.data import dataset_fingerprint, read_table
from limelight.registry import ModelVersion, Registry
from limelight.registry.refs import validate_name
from limelight.tasks import NullProgress, Progress, TrainOptions, get_task

LIBRARIES = (
    "limelight",
    "scikit-learn",
    "numpy",
    "scipy",
    "pandas",
    "skops",
    "sentence-transformers",
    "torch",
    "onnxruntime",
    "tokenizers",
    "hnswlib",
)


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def train(
    registry: Registry,
    task_name: str,
    data: str | Path | pd.DataFrame,
    *,
    name: str,
    columns: dict[str, str],
    algorithm: str = "auto",
    seed: int = 42,
    validation_size: float = 0.1,
    test_size: float = 0.1,
    params: dict[str, Any] | None = None,
    alias: str | None = None,
    progress: Progress | None = None,
) -> ModelVersion:
    """Read ``data``, train ``task_name`` candidates, register the best as a new version."""
    progress = progress or NullProgress()
    validate_name(name)
    task = get_task(task_name)
    options = TrainOptions(
        columns={k: v for k, v in columns.items() if v},
        algorithm=algorithm,
        seed=seed,
        validation_size=validation_size,
        test_size=test_size,
        params=params or {},
    )
    wanted = task.columns(options)
    task.candidates(algorithm)  # fail on an unknown algorithm before reading anything
    progress.stage("reading data", total=None)
    frame = read_table(data, wanted)
    source = "<DataFrame>" if isinstance(data, pd.DataFrame) else str(Path(data).resolve())
    fingerprint = dataset_fingerprint(frame)

    started = time.perf_counter()
    outcome = task.train(frame, options, progress)
    seconds = time.perf_counter() - started

    progress.stage("registering", total=None)
    manifest: dict[str, Any] = {
        "params": outcome.params,
        "metrics": outcome.metrics,
        "leaderboard": outcome.leaderboard,
        "selection": outcome.selection,
        "input_schema": task.input_schema(),
        "output_schema": task.output_schema(),
        "data": {
            **outcome.data,
            "source": source,
            "rows": len(frame),
            "fingerprint": fingerprint,
        },
        "seed": seed,
        "training_seconds": round(seconds, 3),
        "libraries": library_versions(),
        "created_at": datetime.now(UTC).isoformat(),
    }
    with registry.staging() as staged:
        outcome.write(staged)
        version = registry.register(name, task.name, outcome.algorithm, manifest, staged)
    if alias:
        registry.set_alias(name, alias, version.version, actor="train")
        version = registry.resolve(version.ref)
    return version
