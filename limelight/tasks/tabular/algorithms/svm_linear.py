from __future__ import annotations

from typing import Any

from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import TransformedTargetRegressor
from sklearn.svm import LinearSVC, LinearSVR

from limelight.tasks.tabular.algorithms.base import (
    CLASSIFICATION,
    REGRESSION,
    TabularAlgorithm,
    standardized_target,
)


class _LinearSVM(TabularAlgorithm):
    description = "linear SVM (scores Platt-calibrated for classification)"
    explainer = "linear"

    def __init__(self, *, C: float = 0.1) -> None:
        self.C = C

    @classmethod
    def search_space(cls, trial: Any) -> dict[str, Any]:
        return {"C": trial.suggest_float("C", 1e-4, 10.0, log=True)}


class LinearSVMClassifier(_LinearSVM):
    name = "svm-linear"
    kind = CLASSIFICATION

    def build(self, seed: int) -> CalibratedClassifierCV:
        svm = LinearSVC(C=self.C, max_iter=5000, random_state=seed)
        return CalibratedClassifierCV(svm, method="sigmoid", cv=3)


class LinearSVMRegressor(_LinearSVM):
    name = "svm-linear"
    kind = REGRESSION

    def build(self, seed: int) -> TransformedTargetRegressor:
        return standardized_target(
            LinearSVR(
                C=self.C, loss="squared_epsilon_insensitive", max_iter=5000, random_state=seed
            )
        )
