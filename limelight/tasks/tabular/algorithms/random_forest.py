from __future__ import annotations

from typing import Any

from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

from limelight.tasks.tabular.algorithms.base import CLASSIFICATION, REGRESSION, TabularAlgorithm


class _RandomForest(TabularAlgorithm):
    description = "random forest of decision trees (bagging + random feature subsets)"
    explainer = "tree"

    def __init__(
        self,
        *,
        n_estimators: int = 150,
        max_depth: int | None = 16,
        min_samples_leaf: int = 3,
        max_features: float = 0.3,
    ) -> None:
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features

    @classmethod
    def search_space(cls, trial: Any) -> dict[str, Any]:
        return {
            "n_estimators": trial.suggest_int("n_estimators", 50, 400, step=50),
            "max_depth": trial.suggest_categorical("max_depth", [None, 6, 10, 16, 24]),
            "min_samples_leaf": trial.suggest_int("min_samples_leaf", 1, 20, log=True),
            "max_features": trial.suggest_float("max_features", 0.05, 0.8),
        }

    def _options(self, seed: int) -> dict[str, Any]:
        return {
            "n_estimators": self.n_estimators,
            "max_depth": self.max_depth,
            "min_samples_leaf": self.min_samples_leaf,
            "max_features": self.max_features,
            "n_jobs": 1,
            "random_state": seed,
        }


class RandomForestClassifierAlgo(_RandomForest):
    name = "random-forest"
    kind = CLASSIFICATION

    def build(self, seed: int) -> RandomForestClassifier:
        return RandomForestClassifier(**self._options(seed))


class RandomForestRegressorAlgo(_RandomForest):
    name = "random-forest"
    kind = REGRESSION

    def build(self, seed: int) -> RandomForestRegressor:
        return RandomForestRegressor(**self._options(seed))
