from __future__ import annotations

from limelight.tasks.recommendation.algorithms.base import RecAlgorithm
from limelight.tasks.recommendation.algorithms.factors import ALSScorer


class ALS(RecAlgorithm):
    name = "als"
    description = "implicit-feedback matrix factorization by alternating least squares (implicit)"
    grid = (
        {"factors": 32, "regularization": 0.1, "alpha": 2.0},
        {"factors": 64, "regularization": 1.0, "alpha": 5.0},
    )

    def __init__(
        self,
        *,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 1.0,
        iterations: int = 15,
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations

    def build(self, seed: int) -> ALSScorer:
        return ALSScorer(
            int(self.factors), float(self.regularization), float(self.alpha), int(self.iterations)
        )
