from __future__ import annotations

from typing import Any

from sklearn.linear_model import Ridge as _Ridge

from limelight.tasks.tabular.algorithms.base import REGRESSION, TabularAlgorithm


class Ridge(TabularAlgorithm):
    name = "ridge"
    description = "linear regression with an L2 penalty; exact per-feature explanations"
    kind = REGRESSION
    explainer = "linear"

    def __init__(self, *, alpha: float = 1.0) -> None:
        self.alpha = alpha

    @classmethod
    def search_space(cls, trial: Any) -> dict[str, Any]:
        return {"alpha": trial.suggest_float("alpha", 1e-3, 1e3, log=True)}

    def build(self, seed: int) -> _Ridge:
        return _Ridge(alpha=self.alpha)
