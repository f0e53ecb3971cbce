from __future__ import annotations

from limelight.tasks.recommendation.algorithms.base import RecAlgorithm
from limelight.tasks.recommendation.algorithms.factors import BPRScorer


class BPR(RecAlgorithm):
    name = "bpr"
    description = "Bayesian personalized ranking matrix factorization (implicit)"
    grid = ({"factors": 128, "learning_rate": 0.01, "regularization": 0.001},)

    def __init__(
        self,
        *,
        factors: int = 128,
        learning_rate: float = 0.01,
        regularization: float = 0.001,
        iterations: int = 100,
    ) -> None:
        self.factors = factors
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.iterations = iterations

    def build(self, seed: int) -> BPRScorer:
        return BPRScorer(
            int(self.factors),
            float(self.learning_rate),
            float(self.regularization),
            int(self.iterations),
        )
