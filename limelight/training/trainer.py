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
from limelight.errors import InvalidInput
from limelight.registry import ModelVersion, Registry
from limelight.registry.refs import validate_name
from limelight.tasks import NullProgress, Progress, TrainOptions, get_task
from limelight.tasks.search import Budget
from limelight.training.report import REPORT_FILE, render_report

LIBRARIES = (
    "limelight",
    "scikit-learn",
    "numpy",
    "scipy",
    "pandas",
    "skops",
    "sentence-transformers",
    "torch",
    "lightgbm",
    "optuna",
    "implicit",
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


def check_params(algorithms: dict[str, Any], params: dict[str, Any], task_name: str) -> None:
    """Every key of ``params`` names an algorithm of the task, and every parameter one that
    algorithm takes (values are checked by the algorithm when it is built)."""
    for key, given in params.items():
        if key not in algorithms:
            raise InvalidInput(
                f"parameters for unknown algorithm {key!r} of {task_name}; "
                f"one of: {', '.join(algorithms)}",
                field="params",
            )
        if not isinstance(given, dict):
            raise InvalidInput(f"parameters for {key} must be a mapping", field="params")
        known = algorithms[key]().get_params()
        unknown = [name for name in given if name not in known]
        if unknown:
            raise InvalidInput(
                f"{key} has no parameter {', '.join(map(repr, unknown))}; "
                f"its parameters: {', '.join(known) or 'none'}",
                field="params",
            )


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
    extra: dict[str, Any] | None = None,
    alias: str | None = None,
    progress: Progress | None = None,
    features: list[str] | None = None,
    budget: str | None = None,
) -> ModelVersion:
    """Read ``data``, train ``task_name`` candidates, register the best as a new version.

    ``features`` (tabular tasks) names the input columns, default every column but the target;
    ``budget`` ("300s", "5m" or a trial count such as "50") turns on hyperparameter search.
    """
    progress = progress or NullProgress()
    validate_name(name)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise InvalidInput(f"seed must be a whole number from 0 to 2**32 - 1, not {seed!r}")
    task = get_task(task_name)
    options = TrainOptions(
        columns={k: v for k, v in columns.items() if v},
        algorithm=algorithm,
        seed=seed,
        validation_size=validation_size,
        test_size=test_size,
        params=params or {},
        features=features,
        budget=budget,
        extra=extra or {},
    )
    wanted = task.columns(options)
    names = task.candidates(algorithm)  # fail on an unknown algorithm before reading anything
    check_params(task.algorithms, options.params, task_name)  # and on unknown parameters
    unused = [key for key in options.params if key not in names]
    if unused:
        progress.log(
            f"parameters for {', '.join(unused)} are not used: not trained in this run "
            f"(--algorithm {algorithm})"
        )
    Budget.parse(budget)  # and on a malformed budget
    progress.stage("reading data", total=None)
    as_text = [options.columns[r] for r in task.string_roles if options.columns.get(r)]
    frame = read_table(data, wanted, dtype_str=as_text)
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
        "input_schema": outcome.input_schema or task.input_schema(),
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
    progress.stage("writing the report", total=None)
    report = render_report(name, task.name, outcome.algorithm, manifest, outcome.evaluation)
    manifest["report"] = REPORT_FILE
    with registry.staging() as staged:
        outcome.write(staged)
        (staged / REPORT_FILE).write_text(report, encoding="utf-8")
        version = registry.register(name, task.name, outcome.algorithm, manifest, staged)
    if alias:
        registry.set_alias(name, alias, version.version, actor="train")
        version = registry.resolve(version.ref)
    return version
