from __future__ import annotations

from typing import Any

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from limelight.embeddings import SentenceEmbedder
from limelight.tasks.base import Algorithm


class MiniLMLogReg(Algorithm):
    name = "minilm-logreg"
    description = "all-MiniLM-L6-v2 sentence embeddings (frozen) + logistic regression head"

    def __init__(self, *, C: float = 2.0) -> None:
        self.C = C

    @classmethod
    def search_space(cls, trial: Any) -> dict[str, Any]:
        return {"C": trial.suggest_float("C", 0.01, 100.0, log=True)}

    def build(self, seed: int) -> Pipeline:
        return Pipeline(
            [
                ("embed", SentenceEmbedder()),
                ("classifier", LogisticRegression(C=self.C, max_iter=2000, random_state=seed)),
            ]
        )
