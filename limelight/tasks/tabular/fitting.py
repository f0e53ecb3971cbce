"""Fitting and scoring tabular candidates: what the hyperparameter search calls per trial.

The preprocessing does not depend on the algorithm, so it is fitted once per training-row
fraction and reused by every trial; only the model half is fitted per trial.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import Pipeline
from threadpoolctl import ThreadpoolController

from limelight.tasks.base import Algorithm
from limelight.tasks.selection import aligned_proba
from limelight.tasks.tabular.algorithms import REGRESSION
from limelight.tasks.tabular.columns import ColumnSpec
from limelight.tasks.tabular.preprocessing import build_preprocessor

MIN_PARTIAL_ROWS = 200
_THREADPOOLS: ThreadpoolController | None = None


def one_blas_thread() -> Any:
    """A context in which BLAS/OpenMP use one thread (their own parallelism oversubscribes a
    shared machine; our fits are small)."""
    global _THREADPOOLS
    if _THREADPOOLS is None:
        _THREADPOOLS = ThreadpoolController()
    return _THREADPOOLS.limit(limits=1)


def quiet_fit(model: Any, x: Any, y: Any) -> Any:
    """Fit without turning convergence chatter into errors (trials may stop early on purpose)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", message=".*does not have valid feature names.*")
        return model.fit(x, y)


def selection_metric(kind: str, labels: list[str] | None) -> tuple[str, bool]:
    """(metric name, maximize?) used to compare candidates on validation."""
    if kind == REGRESSION:
        return "rmse", False
    return ("roc_auc", True) if labels and len(labels) == 2 else ("f1_macro", True)


def score(metric: str, y_true: np.ndarray, output: np.ndarray, labels: list[str] | None) -> float:
    if metric == "rmse":
        return float(np.sqrt(skm.mean_squared_error(y_true, output)))
    assert labels is not None
    if metric == "roc_auc":
        return float(skm.roc_auc_score(np.asarray(y_true) == labels[1], output[:, 1]))
    predicted = np.asarray(labels)[output.argmax(axis=1)]
    return float(skm.f1_score(y_true, predicted, labels=labels, average="macro", zero_division=0))


class Fitter:
    def __init__(
        self,
        specs: list[ColumnSpec],
        train: pd.DataFrame,
        validation: pd.DataFrame,
        *,
        kind: str,
        labels: list[str] | None,
        seed: int,
    ) -> None:
        self.specs = specs
        self.columns = [s.name for s in specs]
        self.train = train
        self.validation = validation
        self.kind = kind
        self.labels = labels
        self.seed = seed
        self.metric, self.maximize = selection_metric(kind, labels)
        self._prepared: dict[int, tuple[Any, Any, np.ndarray, Any]] = {}

    def target(self, frame: pd.DataFrame) -> np.ndarray:
        if self.kind == REGRESSION:
            return frame["label"].to_numpy(dtype=np.float64)
        return frame["label"].to_numpy(dtype=str)

    def _rows(self, fraction: float) -> int:
        n = len(self.train)
        rows = max(int(n * fraction), min(n, MIN_PARTIAL_ROWS))
        if self.labels and rows < n:
            present = set(self.train["label"].iloc[:rows])
            if len(present) < len(self.labels):
                return n
        return rows

    def prepared(self, fraction: float) -> tuple[Any, Any, np.ndarray, Any]:
        rows = self._rows(fraction)
        if rows not in self._prepared:
            part = self.train.iloc[:rows]
            prep = build_preprocessor(self.specs, seed=self.seed)
            y = self.target(part)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                x = prep.fit_transform(part[self.columns], y)
            x_val = prep.transform(self.validation[self.columns])
            self._prepared[rows] = (prep, x, y, x_val)
        return self._prepared[rows]

    def output(self, model: Any, x: Any) -> np.ndarray:
        if self.kind == REGRESSION:
            return np.asarray(model.predict(x), dtype=np.float64)
        assert self.labels is not None
        return aligned_proba(model, x, self.labels)

    def fit_model(self, algorithm: Algorithm, x: Any, y: np.ndarray) -> Any:
        limit = getattr(algorithm, "max_rows", None)
        if limit is not None and x.shape[0] > limit:
            x, y = x[:limit], y[:limit]
        return quiet_fit(algorithm.build(self.seed), x, y)

    def fit_score(self, algorithm: Algorithm, fraction: float) -> float:
        _prep, x, y, x_val = self.prepared(fraction)
        model = self.fit_model(algorithm, x, y)
        value = score(
            self.metric, self.target(self.validation), self.output(model, x_val), self.labels
        )
        if not np.isfinite(value):
            raise ArithmeticError(f"validation {self.metric} is not finite")
        return value

    def refit(self, algorithm: Algorithm) -> Pipeline:
        """The final pipeline: preprocessing and model fitted on train + validation."""
        full = pd.concat([self.train, self.validation], ignore_index=True)
        prep = build_preprocessor(self.specs, seed=self.seed)
        y = self.target(full)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            x = prep.fit_transform(full[self.columns], y)
        model = self.fit_model(algorithm, x, y)
        return Pipeline([("prep", prep), ("model", model)])
