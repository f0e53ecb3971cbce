from __future__ import annotations

from typing import Any

from sklearn.linear_model import LogisticRegression

from limelight.tasks.tabular.algorithms.base import CLASSIFICATION, TabularAlgorithm


class Logistic(TabularAlgorithm):
    name = "logistic"
    description = "logistic regression (L2); exact per-feature explanations"
    kind = CLASSIFICATION
    explainer = "linear"

    def __init__(self, *, C: float = 1.0, class_weight: str | None = None) -> None:
        self.C = C
        self.class_weight = class_weight

    @classmethod
    def search_space(cls, trial: Any) -> dict[str, Any]:
        return {
            "C": trial.suggest_float("C", 1e-3, 1e2, log=True),
            "class_weight": trial.suggest_categorical("class_weight", [None, "balanced"]),
        }

    def build(self, seed: int) -> LogisticRegression:
        return LogisticRegression(
            C=self.C, class_weight=self.class_weight, max_iter=2000, random_state=seed
        )
