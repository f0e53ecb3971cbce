from __future__ import annotations

from typing import Any

from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import TransformedTargetRegressor
from sklearn.svm import SVC, SVR

from limelight.tasks.tabular.algorithms.base import (
    CLASSIFICATION,
    REGRESSION,
    TabularAlgorithm,
    standardized_target,
)


class _RbfSVM(TabularAlgorithm):
    description = "kernel SVM, RBF kernel (calibrated scores; fitted on at most 3,000 rows)"
    max_rows = 3000

    def __init__(self, *, C: float = 1.0, gamma: float | str = "scale") -> None:
        self.C = C
        self.gamma = gamma

    @classmethod
    def search_space(cls, trial: Any) -> dict[str, Any]:
        return {
            "C": trial.suggest_float("C", 1e-2, 1e2, log=True),
            "gamma": trial.suggest_float("gamma", 1e-4, 1.0, log=True),
        }


class RbfSVMClassifier(_RbfSVM):
    name = "svm-rbf"
    kind = CLASSIFICATION

    def build(self, seed: int) -> CalibratedClassifierCV:
        svm = SVC(C=self.C, gamma=self.gamma, kernel="rbf", cache_size=500, random_state=seed)
        return CalibratedClassifierCV(svm, method="sigmoid", cv=3)


class RbfSVMRegressor(_RbfSVM):
    name = "svm-rbf"
    kind = REGRESSION

    def __init__(self, *, C: float = 1.0, gamma: float | str = "scale", epsilon: float = 0.1):
        super().__init__(C=C, gamma=gamma)
        self.epsilon = epsilon

    @classmethod
    def search_space(cls, trial: Any) -> dict[str, Any]:
        return {
            **super().search_space(trial),
            "epsilon": trial.suggest_float("epsilon", 1e-3, 1.0, log=True),
        }

    def build(self, seed: int) -> TransformedTargetRegressor:
        return standardized_target(
            SVR(C=self.C, gamma=self.gamma, epsilon=self.epsilon, cache_size=500)
        )
