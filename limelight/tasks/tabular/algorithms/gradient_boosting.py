from __future__ import annotations

from typing import Any

from limelight.tasks.tabular.algorithms.base import CLASSIFICATION, REGRESSION, TabularAlgorithm
from limelight.tasks.tabular.lgbm import LightGBMClassifier, LightGBMRegressor


class _LightGBM(TabularAlgorithm):
    description = "gradient-boosted trees (LightGBM); TreeSHAP explanations"
    explainer = "lightgbm"

    def __init__(
        self,
        *,
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        min_child_samples: int = 20,
        subsample: float = 1.0,
        colsample_bytree: float = 1.0,
        reg_lambda: float = 0.0,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda

    @classmethod
    def search_space(cls, trial: Any) -> dict[str, Any]:
        return {
            "n_estimators": trial.suggest_int("n_estimators", 50, 800, step=50),
            "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
            "num_leaves": trial.suggest_int("num_leaves", 4, 128, log=True),
            "min_child_samples": trial.suggest_int("min_child_samples", 5, 100, log=True),
            "subsample": trial.suggest_float("subsample", 0.5, 1.0),
            "colsample_bytree": trial.suggest_float("colsample_bytree", 0.3, 1.0),
            "reg_lambda": trial.suggest_float("reg_lambda", 1e-3, 10.0, log=True),
        }

    def _options(self, seed: int) -> dict[str, Any]:
        return {**self.get_params(), "random_state": seed}


class LightGBMClassifierAlgo(_LightGBM):
    name = "lightgbm"
    kind = CLASSIFICATION

    def build(self, seed: int) -> LightGBMClassifier:
        return LightGBMClassifier(**self._options(seed))


class LightGBMRegressorAlgo(_LightGBM):
    name = "lightgbm"
    kind = REGRESSION

    def build(self, seed: int) -> LightGBMRegressor:
        return LightGBMRegressor(**self._options(seed))
