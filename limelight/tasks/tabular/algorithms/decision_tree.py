from __future__ import annotations

from typing import Any

from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from limelight.tasks.tabular.algorithms.base import CLASSIFICATION, REGRESSION, TabularAlgorithm


class _DecisionTree(TabularAlgorithm):
    description = "one decision tree (CART): readable, fast, easily overfits"
    explainer = "tree"

    def __init__(self, *, max_depth: int | None = 8, min_samples_leaf: int = 5) -> None:
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf

    @classmethod
    def search_space(cls, trial: Any) -> dict[str, Any]:
        return {
            "max_depth": trial.suggest_int("max_depth", 2, 20),
            "min_samples_leaf": trial.suggest_int("min_samples_leaf", 1, 100, log=True),
        }


class DecisionTreeClassifierAlgo(_DecisionTree):
    name = "decision-tree"
    kind = CLASSIFICATION

    def build(self, seed: int) -> DecisionTreeClassifier:
        return DecisionTreeClassifier(
            max_depth=self.max_depth, min_samples_leaf=self.min_samples_leaf, random_state=seed
        )


class DecisionTreeRegressorAlgo(_DecisionTree):
    name = "decision-tree"
    kind = REGRESSION

    def build(self, seed: int) -> DecisionTreeRegressor:
        return DecisionTreeRegressor(
            max_depth=self.max_depth, min_samples_leaf=self.min_samples_leaf, random_state=seed
        )
