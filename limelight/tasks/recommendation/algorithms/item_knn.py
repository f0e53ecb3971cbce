from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from limelight.tasks.recommendation.algorithms.base import RecAlgorithm, Scorer, dense_rows


def knn_similarity(cooc: np.ndarray, neighbors: int, shrinkage: float) -> np.ndarray:
    """Cosine similarity with shrinkage, C_ij / (sqrt(n_i n_j) + shrinkage), keeping the
    ``neighbors`` most similar items of each item (columns) and a zero diagonal."""
    norms = np.sqrt(np.diag(cooc)).astype(np.float32)
    sim = cooc / (np.outer(norms, norms) + shrinkage + 1e-9)
    np.fill_diagonal(sim, 0)
    n = sim.shape[0]
    if neighbors < n:
        drop = np.argpartition(-sim, neighbors, axis=0)[neighbors:]
        np.put_along_axis(sim, drop, 0, axis=0)
    return sim.astype(np.float32)


class ItemKNNScorer(Scorer):
    forgets: ClassVar[str] = (
        "the user's history, and their co-occurrences in the item-item similarities (exact)"
    )

    def __init__(self, neighbors: int, shrinkage: float) -> None:
        self.neighbors = neighbors
        self.shrinkage = shrinkage
        self.cooc_ = np.zeros((0, 0), np.float32)
        self.sim_ = np.zeros((0, 0), np.float32)

    def fit(
        self,
        X: sp.csr_matrix,
        content: np.ndarray | None,
        seed: int,
        *,
        times: sp.csr_matrix | None = None,
        tags: sp.csr_matrix | None = None,
        ratings: sp.csr_matrix | None = None,
    ) -> ItemKNNScorer:
        binary = (X > 0).astype(np.float32)
        self.cooc_ = np.asarray((binary.T @ binary).toarray(order="C"), dtype=np.float32)
        self.sim_ = knn_similarity(self.cooc_, self.neighbors, self.shrinkage)
        return self

    def score(self, rows: sp.csr_matrix, users: np.ndarray) -> np.ndarray:
        return np.asarray(rows @ self.sim_, dtype=np.float32)

    def affinity(self, history: np.ndarray, targets: np.ndarray) -> np.ndarray:
        return self.sim_[np.ix_(history, targets)]

    def forget(self, row: sp.csr_matrix, user: int) -> ItemKNNScorer:
        x = (dense_rows(row) > 0).astype(np.float32)
        new = ItemKNNScorer(self.neighbors, self.shrinkage)
        new.cooc_ = np.maximum(self.cooc_ - x.T @ x, 0)
        new.sim_ = knn_similarity(new.cooc_, self.neighbors, self.shrinkage)
        return new

    def arrays(self) -> dict[str, np.ndarray]:
        return {"cooc": self.cooc_}

    def restore(self, arrays: dict[str, np.ndarray], content: np.ndarray | None) -> ItemKNNScorer:
        self.cooc_ = arrays["cooc"]
        self.sim_ = knn_similarity(self.cooc_, self.neighbors, self.shrinkage)
        return self


class ItemKNN(RecAlgorithm):
    name = "item-knn"
    dense_items = True
    description = "item-item cosine similarity with shrinkage, top-N neighbours per item"
    grid = (
        {"neighbors": 50, "shrinkage": 10.0},
        {"neighbors": 200, "shrinkage": 10.0},
        {"neighbors": 400, "shrinkage": 0.0},
    )

    def __init__(self, *, neighbors: int = 200, shrinkage: float = 10.0) -> None:
        self.neighbors = neighbors
        self.shrinkage = shrinkage

    def build(self, seed: int) -> ItemKNNScorer:
        return ItemKNNScorer(int(self.neighbors), float(self.shrinkage))
