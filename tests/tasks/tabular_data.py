"""Small synthetic tables with every column kind, for fast tabular tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from limelight.registry import ModelVersion
from limelight.runtime import LoadedModel
from limelight.tasks import NullProgress, TrainOptions, get_task

WORDS = ["great", "film", "dull", "plot", "actor", "music", "long", "story", "cast", "score"]


def records(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Columns: age (numeric, some missing), country (low-cardinality), user (high-cardinality),
    premium (boolean), bio (free text), clicked (yes/no target) and watch (numeric target)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n).round(),
            "country": rng.choice(["FR", "US", "DE", "JP", "BR"], n),
            "user": [f"u{int(i)}" for i in rng.integers(0, 60, n)],
            "premium": rng.choice([True, False], n),
            "bio": [" ".join(rng.choice(WORDS, 6)) for _ in range(n)],
        }
    )
    logit = (
        0.1 * (frame["age"] - 40)
        + (frame["country"] == "FR") * 2.0
        + frame["premium"] * 1.5
        + frame["bio"].str.contains("great") * 1.0
        - 1.0
    )
    frame["clicked"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    frame["watch"] = 2 * frame["age"] + 5 * frame["premium"] + rng.normal(0, 3, n)
    frame.loc[::13, "age"] = np.nan
    return frame


def classification(n: int = 300, seed: int = 0) -> pd.DataFrame:
    return records(n, seed).drop(columns=["watch"])


def regression(n: int = 300, seed: int = 0) -> pd.DataFrame:
    return records(n, seed).drop(columns=["clicked"])


GOOD = {"age": 30, "country": "FR", "user": "u1", "premium": True, "bio": "great film"}


def fitted(
    task_name: str, frame: pd.DataFrame, target: str, algorithm: str, folder: Path
) -> LoadedModel:
    """Train with the task contract, write the artifact to ``folder`` and load it back (the
    registry and the report are left out: they are tested on their own)."""
    task = get_task(task_name)
    options = TrainOptions(columns={"target": target}, algorithm=algorithm, seed=1)
    outcome = task.train(frame, options, NullProgress())
    folder.mkdir(parents=True, exist_ok=True)
    outcome.write(folder)
    manifest = {"algorithm": outcome.algorithm, "data": outcome.data, "metrics": outcome.metrics}
    version = ModelVersion(
        "m", 1, task_name, outcome.algorithm, manifest, "", "", datetime.now(UTC), ()
    )
    return LoadedModel(version, task, task.load(folder, manifest))
