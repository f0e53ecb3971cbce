from __future__ import annotations

from typing import Any

from sklearn.compose import TransformedTargetRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor

from limelight.tasks.tabular.algorithms.base import (
    CLASSIFICATION,
    REGRESSION,
    TabularAlgorithm,
    standardized_target,
)

LAYERS = {"64": (64,), "128": (128,), "64-32": (64, 32), "128-64": (128, 64)}


class _MLP(TabularAlgorithm):
    description = "small multi-layer perceptron (ReLU, Adam, early stopping)"

    def __init__(
        self, *, layers: str = "64", alpha: float = 1e-3, learning_rate_init: float = 1e-3
    ) -> None:
        self.layers = layers
        self.alpha = alpha
        self.learning_rate_init = learning_rate_init

    @classmethod
    def search_space(cls, trial: Any) -> dict[str, Any]:
        return {
            "layers": trial.suggest_categorical("layers", list(LAYERS)),
            "alpha": trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
            "learning_rate_init": trial.suggest_float("learning_rate_init", 1e-4, 1e-2, log=True),
        }

    def _options(self, seed: int) -> dict[str, Any]:
        if self.layers not in LAYERS:
            raise ValueError(f"layers must be one of {', '.join(LAYERS)}")
        return {
            "hidden_layer_sizes": LAYERS[self.layers],
            "alpha": self.alpha,
            "learning_rate_init": self.learning_rate_init,
            "max_iter": 200,
            "early_stopping": True,
            "n_iter_no_change": 10,
            "random_state": seed,
        }


class MLPClassifierAlgo(_MLP):
    name = "mlp"
    kind = CLASSIFICATION

    def build(self, seed: int) -> MLPClassifier:
        return MLPClassifier(**self._options(seed))


class MLPRegressorAlgo(_MLP):
    name = "mlp"
    kind = REGRESSION

    def build(self, seed: int) -> TransformedTargetRegressor:
        return standardized_target(MLPRegressor(**self._options(seed)))
