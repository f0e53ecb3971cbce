"""What a tabular algorithm adds to the task contract: which task kind it serves and how its
predictions are explained."""

from __future__ import annotations

from typing import Any, ClassVar

from sklearn.compose import TransformedTargetRegressor
from sklearn.preprocessing import StandardScaler

from limelight.tasks.base import Algorithm

CLASSIFICATION, REGRESSION = "classification", "regression"


class TabularAlgorithm(Algorithm):
    """``build(seed)`` returns the model half of the pipeline: it is fitted on the output of
    the shared preprocessing (a numeric, possibly sparse, matrix)."""

    kind: ClassVar[str]  # classification | regression
    # How explain() attributes a prediction: linear (exact: coefficients x inputs), lightgbm
    # (TreeSHAP from the booster), tree (TreeSHAP of scikit-learn trees) or occlusion.
    explainer: ClassVar[str] = "occlusion"
    # Fit on at most this many training rows (the first ones of the shuffled split): for
    # algorithms whose cost grows faster than linearly with the rows (kernel SVMs).
    max_rows: ClassVar[int | None] = None

    def build(self, seed: int) -> Any:
        raise NotImplementedError


def standardized_target(regressor: Any) -> TransformedTargetRegressor:
    """Fit ``regressor`` on a standardized target (gradient-trained and kernel models need a
    target of unit scale; predictions come back in the original units)."""
    return TransformedTargetRegressor(regressor=regressor, transformer=StandardScaler())
