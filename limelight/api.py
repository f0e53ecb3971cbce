"""The Python API: ``limelight.train(...)`` and ``limelight.load(ref)``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from limelight.registry import ModelVersion, Registry
from limelight.runtime import LoadedModel
from limelight.runtime import load as _load
from limelight.settings import Settings
from limelight.tasks import Progress
from limelight.training import train as _train


def train(
    task: str,
    data: str | Path | pd.DataFrame,
    *,
    name: str,
    text: str | None = None,
    target: str | None = None,
    columns: dict[str, str] | None = None,
    algorithm: str = "auto",
    seed: int = 42,
    alias: str | None = None,
    params: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    registry: Registry | None = None,
    settings: Settings | None = None,
    progress: Progress | bool = False,
    features: list[str] | None = None,
    budget: str | int | None = None,
) -> ModelVersion:
    """Train ``task`` on ``data`` (a CSV/JSONL/Parquet path or a DataFrame) and register the
    best candidate as the next version of ``name``. Tabular tasks take ``target`` and
    optionally ``features`` (default: every other column); ``budget`` ("300s", "5m" or a
    number of trials) turns on hyperparameter search.

    >>> limelight.train("text-classification", "reviews.csv", text="review",
    ...                 target="sentiment", name="review-sentiment", alias="production")
    """
    roles = dict(columns or {})
    if text:
        roles["text"] = text
    if target:
        roles["target"] = target
    registry = registry or Registry.from_settings(settings)
    with _progress_context(progress) as bar:
        return _train(
            registry,
            task,
            data,
            name=name,
            columns=roles,
            algorithm=algorithm,
            seed=seed,
            alias=alias,
            params=params,
            extra=extra,
            progress=bar,
            features=features,
            budget=str(budget) if budget is not None else None,
        )


@contextlib.contextmanager
def _progress_context(progress: Progress | bool) -> Iterator[Progress | None]:
    """``True`` renders Rich progress bars; a Progress object is used as is; False is silent."""
    if progress is True:
        from limelight.progress import RichProgress

        with RichProgress() as bar:
            yield bar
    else:
        yield progress or None


def load(
    ref: str, *, registry: Registry | None = None, settings: Settings | None = None
) -> LoadedModel:
    """Load a registered model (``name``, ``name@alias`` or ``name/versions/N``) in process,
    after verifying its artifact checksum. ``.predict(["text", ...])`` then predicts."""
    return _load(registry or Registry.from_settings(settings), ref)
