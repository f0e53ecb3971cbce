from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from limelight.tasks.recommendation.algorithms.base import RecAlgorithm, Scorer, dense_rows


def ease_weights(gram: np.ndarray, l2: float) -> np.ndarray:
    """Steck (2019): B = I - P / diag(P) with P = (G + λI)^-1, zero diagonal."""
    a = gram.astype(np.float64, copy=True)
    a[np.diag_indices_from(a)] += l2
    p = np.linalg.inv(a)
    b = p / (-np.diag(p))
    np.fill_diagonal(b, 0)
    return b.astype(np.float32)


class EASEScorer(Scorer):
    forgets: ClassVar[str] = (
        "the user's history, and their rows in the Gram matrix XᵀX; the item-item weights are "
        "recomputed without them (exact, one matrix inversion)"
    )

    def __init__(self, l2: float) -> None:
        self.l2 = l2
        self.gram_ = np.zeros((0, 0), np.float32)
        self.weights_ = np.zeros((0, 0), np.float32)

    def fit(
        self,
        X: sp.csr_matrix,
        content: np.ndarray | None,
        seed: int,
        *,
        times: sp.csr_matrix | None = None,
    ) -> EASEScorer:
        binary = (X > 0).astype(np.float32)
        self.gram_ = np.asarray((binary.T @ binary).toarray(), dtype=np.float32)
        self.weights_ = ease_weights(self.gram_, self.l2)
        return self

    def score(self, rows: sp.csr_matrix, users: np.ndarray) -> np.ndarray:
        return np.asarray(rows @ self.weights_, dtype=np.float32)

    def affinity(self, history: np.ndarray, targets: np.ndarray) -> np.ndarray:
        return self.weights_[np.ix_(history, targets)]

    def forget(self, row: sp.csr_matrix, user: int) -> EASEScorer:
        x = (dense_rows(row) > 0).astype(np.float32)
        new = EASEScorer(self.l2)
        new.gram_ = np.maximum(self.gram_ - x.T @ x, 0)
        new.weights_ = ease_weights(new.gram_, self.l2)
        return new

    def arrays(self) -> dict[str, np.ndarray]:
        return {"gram": self.gram_, "weights": self.weights_}

    def restore(self, arrays: dict[str, np.ndarray], content: np.ndarray | None) -> EASEScorer:
        self.gram_ = arrays["gram"]
        self.weights_ = arrays["weights"]
        return self


class EASE(RecAlgorithm):
    name = "ease"
    description = "EASE (Steck 2019): closed-form item-item linear autoencoder, L2-regularized"
    grid = tuple({"l2": v} for v in (50.0, 150.0, 300.0, 500.0, 700.0, 1000.0, 2000.0))

    def __init__(self, *, l2: float = 500.0) -> None:
        self.l2 = l2

    def build(self, seed: int) -> EASEScorer:
        return EASEScorer(float(self.l2))
