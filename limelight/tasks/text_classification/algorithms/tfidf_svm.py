from __future__ import annotations

from typing import Any

from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from limelight.tasks.base import Algorithm
from limelight.tasks.text_classification.features import word_char_tfidf


class TfidfLinearSVM(Algorithm):
    name = "tfidf-svm"
    description = "TF-IDF word + character n-grams + linear SVM, scores calibrated (Platt, 3-fold)"

    def __init__(self, *, C: float = 0.3, min_df: int = 1) -> None:
        self.C = C
        self.min_df = min_df

    @classmethod
    def search_space(cls, trial: Any) -> dict[str, Any]:
        return {
            "C": trial.suggest_float("C", 0.01, 10.0, log=True),
            "min_df": trial.suggest_int("min_df", 1, 3),
        }

    def build(self, seed: int) -> Pipeline:
        svm = LinearSVC(C=self.C, random_state=seed)
        return Pipeline(
            [
                ("features", word_char_tfidf((1, 2), (2, 5), self.min_df)),
                ("classifier", CalibratedClassifierCV(svm, method="sigmoid", cv=3)),
            ]
        )
