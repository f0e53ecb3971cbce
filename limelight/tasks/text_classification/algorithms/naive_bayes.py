from __future__ import annotations

from typing import Any

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import Pipeline

from limelight.tasks.base import Algorithm
from limelight.tasks.text_classification.features import TOKEN_PATTERN


class NaiveBayes(Algorithm):
    name = "naive-bayes"
    description = "Multinomial naive Bayes over TF-IDF word 1-2-grams: fast, a strong baseline"

    def __init__(self, *, alpha: float = 0.3, min_df: int = 1) -> None:
        self.alpha = alpha
        self.min_df = min_df

    @classmethod
    def search_space(cls, trial: Any) -> dict[str, Any]:
        return {
            "alpha": trial.suggest_float("alpha", 0.01, 3.0, log=True),
            "min_df": trial.suggest_int("min_df", 1, 3),
        }

    def build(self, seed: int) -> Pipeline:
        return Pipeline(
            [
                (
                    "features",
                    TfidfVectorizer(
                        ngram_range=(1, 2),
                        min_df=self.min_df,
                        sublinear_tf=True,
                        token_pattern=TOKEN_PATTERN,
                    ),
                ),
                ("classifier", MultinomialNB(alpha=self.alpha)),
            ]
        )
