"""Candidate selection shared by the classification tasks: fit each candidate on the training
part, score it on validation, keep a leaderboard, refit the winner on train + validation and
measure it once on the untouched test part."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from limelight.errors import InvalidInput
from limelight.tasks.base import Algorithm, Progress
from limelight.tasks.metrics import classification_metrics, macro_f1


@dataclass
class Selected:
    name: str
    algorithm: Algorithm
    estimator: Any
    metrics: dict[str, Any]
    leaderboard: list[dict[str, Any]]


def select_classifier(
    candidates: Sequence[tuple[str, Algorithm]],
    train: tuple[Any, np.ndarray],
    validation: tuple[Any, np.ndarray],
    test: tuple[Any, np.ndarray],
    labels: list[str],
    *,
    seed: int,
    progress: Progress,
    concat: Callable[[Any, Any], Any],
) -> Selected:
    leaderboard: list[dict[str, Any]] = []
    best: tuple[float, int] | None = None
    kept: Any = None
    for index, (name, algorithm) in enumerate(candidates):
        progress.stage(f"fitting {name}", total=None)
        started = time.perf_counter()
        try:
            estimator = algorithm.build(seed).fit(
                train[0], train[1], **_progress_kwargs(algorithm, progress)
            )
        except ValueError as exc:
            raise InvalidInput(f"{name} could not be trained on this data: {exc}") from exc
        fit_seconds = time.perf_counter() - started
        score = macro_f1(validation[1], _ordered_proba(estimator, validation[0], labels), labels)
        leaderboard.append(
            {
                "algorithm": name,
                "params": algorithm.get_params(),
                "validation_f1_macro": round(score, 6),
                "fit_seconds": round(fit_seconds, 3),
            }
        )
        progress.log(f"{name}: validation macro-F1 {score:.4f} ({fit_seconds:.1f} s)")
        progress.advance(1)
        if best is None or score > best[0]:
            best = (score, index)
            kept = estimator  # only the best fit so far stays in memory
    assert best is not None
    name, algorithm = candidates[best[1]]
    leaderboard.sort(key=lambda row: -row["validation_f1_macro"])
    if algorithm.refit:
        progress.stage(f"refitting {name} on train + validation", total=None)
        x_full = concat(train[0], validation[0])
        y_full = np.concatenate([train[1], validation[1]])
        estimator = algorithm.build(seed).fit(
            x_full, y_full, **_progress_kwargs(algorithm, progress)
        )
    else:
        estimator = kept
    progress.stage("evaluating on the test split", total=None)
    metrics = classification_metrics(test[1], _ordered_proba(estimator, test[0], labels), labels)
    return Selected(name, algorithm, estimator, metrics, leaderboard)


def _progress_kwargs(algorithm: Algorithm, progress: Progress) -> dict[str, Any]:
    return {"progress": progress} if algorithm.reports_progress else {}


def _ordered_proba(estimator: Any, x: Any, labels: list[str]) -> np.ndarray:
    proba = np.asarray(estimator.predict_proba(x))
    classes = [str(c) for c in estimator.classes_]
    if classes == labels:
        return proba
    return proba[:, [classes.index(label) for label in labels]]


def aligned_proba(estimator: Any, x: Any, labels: list[str]) -> np.ndarray:
    """Probabilities in ``labels`` order; a class the estimator never saw (it was fitted on a
    subsample) gets 0."""
    proba = np.asarray(estimator.predict_proba(x), dtype=np.float64)
    classes = [str(c) for c in estimator.classes_]
    if classes == labels:
        return proba
    out = np.zeros((proba.shape[0], len(labels)))
    for j, c in enumerate(classes):
        out[:, labels.index(c)] = proba[:, j]
    return out
