from __future__ import annotations

from typing import Any

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from limelight.tasks.base import Algorithm
from limelight.tasks.text_classification.features import word_char_tfidf


class TfidfLogReg(Algorithm):
    name = "tfidf-logreg"
    description = "TF-IDF of word 1-2-grams and character 2-5-grams + logistic regression"

    def __init__(self, *, C: float = 4.0, min_df: int = 1, char_ngrams: bool = True) -> None:
        self.C = C
        self.min_df = min_df
        self.char_ngrams = char_ngrams

    @classmethod
    def search_space(cls, trial: Any) -> dict[str, Any]:
        return {
            "C": trial.suggest_float("C", 0.1, 100.0, log=True),
            "min_df": trial.suggest_int("min_df", 1, 3),
            "char_ngrams": trial.suggest_categorical("char_ngrams", [True, False]),
        }

    def build(self, seed: int) -> Pipeline:
        return Pipeline(
            [
                (
                    "features",
                    word_char_tfidf((1, 2), (2, 5) if self.char_ngrams else None, self.min_df),
                ),
                ("classifier", LogisticRegression(C=self.C, max_iter=2000, random_state=seed)),
            ]
        )
