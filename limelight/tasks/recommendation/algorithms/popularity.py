from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from limelight.tasks.recommendation.algorithms.base import RecAlgorithm, Scorer


class PopularityScorer(Scorer):
    forgets: ClassVar[str] = "the user's history and their counts in item popularity (exact)"

    def __init__(self) -> None:
        self.counts_ = np.zeros(0, np.float32)

    def fit(
        self,
        X: sp.csr_matrix,
        content: np.ndarray | None,
        seed: int,
        *,
        times: sp.csr_matrix | None = None,
        tags: sp.csr_matrix | None = None,
        ratings: sp.csr_matrix | None = None,
    ) -> PopularityScorer:
        self.counts_ = np.asarray(X.sum(axis=0), dtype=np.float32).ravel()
        return self

    def score(self, rows: sp.csr_matrix, users: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.counts_, (rows.shape[0], len(self.counts_))).copy()

    def forget(self, row: sp.csr_matrix, user: int) -> PopularityScorer:
        new = PopularityScorer()
        new.counts_ = np.maximum(self.counts_ - dense(row), 0)
        return new

    def arrays(self) -> dict[str, np.ndarray]:
        return {"counts": self.counts_}

    def restore(
        self, arrays: dict[str, np.ndarray], content: np.ndarray | None
    ) -> PopularityScorer:
        self.counts_ = arrays["counts"]
        return self


def dense(row: sp.csr_matrix) -> np.ndarray:
    return np.asarray(row.toarray(), dtype=np.float32).ravel()


class Popularity(RecAlgorithm):
    name = "popularity"
    description = "most interacted-with items first (the baseline; also the cold-start fallback)"

    def __init__(self) -> None:
        pass

    def build(self, seed: int) -> PopularityScorer:
        return PopularityScorer()
