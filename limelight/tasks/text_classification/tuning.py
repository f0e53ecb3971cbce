"""Hyperparameter search for text classification, on the shared Optuna machinery."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from limelight.tasks.base import Algorithm, Progress, TrainOptions
from limelight.tasks.metrics import classification_metrics, macro_f1
from limelight.tasks.search import Budget, Candidate, search
from limelight.tasks.selection import Selected, aligned_proba

MIN_PARTIAL_ROWS = 200

Part = tuple[list[str], np.ndarray]


def search_text(
    names: list[str],
    algorithms: dict[str, type[Algorithm]],
    options: TrainOptions,
    budget: Budget,
    train: Part,
    validation: Part,
    test: Part,
    labels: list[str],
    progress: Progress,
) -> Selected:
    seed = options.seed

    def fit(algorithm: Algorithm, x: list[str], y: np.ndarray) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return algorithm.build(seed).fit(x, y)

    def fit_score(algorithm: Algorithm, fraction: float) -> float:
        n = len(train[0])
        rows = max(int(n * fraction), min(n, MIN_PARTIAL_ROWS))
        if len(set(train[1][:rows])) < len(labels):
            rows = n
        estimator = fit(algorithm, train[0][:rows], train[1][:rows])
        return macro_f1(validation[1], aligned_proba(estimator, validation[0], labels), labels)

    candidates = [Candidate(n, algorithms[n], options.params.get(n, {})) for n in names]
    result = search(
        candidates,
        fit_score,
        metric="f1_macro",
        maximize=True,
        budget=budget,
        seed=seed,
        progress=progress,
    )
    progress.stage(f"refitting {result.name} on train + validation", total=None)
    estimator = fit(
        result.algorithm, train[0] + validation[0], np.concatenate([train[1], validation[1]])
    )
    progress.stage("evaluating on the test split", total=None)
    metrics = classification_metrics(test[1], aligned_proba(estimator, test[0], labels), labels)
    leaderboard = [
        {**row, "validation_f1_macro": row["validation_score"]} for row in result.leaderboard
    ]
    return Selected(result.name, result.algorithm, estimator, metrics, leaderboard)
