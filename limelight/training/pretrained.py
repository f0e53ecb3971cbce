"""Register a pretrained model (e.g. the MiniLM embedding model) as the next version of a name.

Same guarantees as training: the artifact is written to a staging folder first and one registry
transaction creates the version, so a failure registers nothing.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from limelight.registry import ModelVersion, Registry
from limelight.registry.refs import validate_name
from limelight.tasks import NullProgress, Progress, TrainOptions, get_task
from limelight.training.trainer import library_versions


def register_pretrained(
    registry: Registry,
    task_name: str,
    *,
    name: str,
    algorithm: str = "auto",
    params: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
    alias: str | None = None,
    progress: Progress | None = None,
) -> ModelVersion:
    """``params``: hyperparameters per algorithm name; ``settings``: the same for whichever
    algorithm ``algorithm`` picks (e.g. ``{"precision": "int8"}`` for the embedding model)."""
    progress = progress or NullProgress()
    validate_name(name)
    task = get_task(task_name)
    params = dict(params or {})
    if settings:
        for candidate in task.candidates(algorithm):
            params[candidate] = {**params.get(candidate, {}), **settings}
    options = TrainOptions(columns={}, algorithm=algorithm, params=params)
    started = time.perf_counter()
    outcome = task.pretrained(options, progress)
    progress.stage("registering", total=None)
    manifest: dict[str, Any] = {
        "params": outcome.params,
        "metrics": outcome.metrics,
        "leaderboard": outcome.leaderboard,
        "selection": outcome.selection,
        "input_schema": task.input_schema(),
        "output_schema": task.output_schema(),
        "data": outcome.data,
        "training_seconds": round(time.perf_counter() - started, 3),
        "libraries": library_versions(),
        "created_at": datetime.now(UTC).isoformat(),
    }
    with registry.staging() as staged:
        outcome.write(staged)
        version = registry.register(name, task.name, outcome.algorithm, manifest, staged)
    if alias:
        registry.set_alias(name, alias, version.version, actor="register")
        version = registry.resolve(version.ref)
    return version
