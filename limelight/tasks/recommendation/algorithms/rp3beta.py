"""RP3beta (Christoffel et al. 2015; Paudel et al. 2017): a three-step random walk
item -> user -> item on the interaction graph, with transition probabilities raised to ``alpha``
and the arrival item's probability divided by its popularity to the power ``beta``."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from limelight.tasks.recommendation.algorithms.base import RecAlgorithm, Scorer, dense_rows


def walk_weights(
    cooc: np.ndarray, degrees: np.ndarray, alpha: float, beta: float, neighbors: int
) -> np.ndarray:
    """W_ij = C_ij / d_i^alpha / d_j^beta, where C = sum over users of x_u^T x_u / d_u^alpha is the
    user-degree-weighted co-occurrence and d_i counts item i's interactions; zero diagonal, and
    the ``neighbors`` largest weights of each source item i (rows) kept."""
    d = np.maximum(degrees.astype(np.float64), 1.0)
    # rounded so that equal weights (frequent on sparse data) stay equal whatever the order of
    # the sums that built ``cooc``: forget-user then keeps exactly the neighbours a refit keeps
    w = np.round(cooc / d[:, None] ** alpha / d[None, :] ** beta, 12)
    np.fill_diagonal(w, 0)
    if neighbors < w.shape[1]:
        drop = np.argpartition(-w, neighbors, axis=1)[:, neighbors:]
        np.put_along_axis(w, drop, 0, axis=1)
    return w.astype(np.float32)


def weighted_cooc(binary: sp.csr_matrix, alpha: float) -> np.ndarray:
    user_degree = np.maximum(np.asarray(binary.sum(axis=1), dtype=np.float64).ravel(), 1.0)
    scaled = sp.diags(user_degree**-alpha) @ binary
    return np.asarray((binary.T @ scaled).toarray(order="C"), dtype=np.float64)


class RP3betaScorer(Scorer):
    forgets: ClassVar[str] = (
        "the user's history, their walk steps in the item-item transition weights and their "
        "interactions in the item popularities (exact; the weights are recomputed at once)"
    )

    def __init__(self, alpha: float, beta: float, neighbors: int) -> None:
        self.alpha = alpha
        self.beta = beta
        self.neighbors = neighbors
        self.cooc_ = np.zeros((0, 0), np.float64)
        self.degrees_ = np.zeros(0, np.float64)
        self.weights_ = np.zeros((0, 0), np.float32)

    def _refresh(self) -> None:
        self.weights_ = walk_weights(
            self.cooc_, self.degrees_, self.alpha, self.beta, self.neighbors
        )

    def fit(
        self,
        X: sp.csr_matrix,
        content: np.ndarray | None,
        seed: int,
        *,
        times: sp.csr_matrix | None = None,
        tags: sp.csr_matrix | None = None,
        ratings: sp.csr_matrix | None = None,
    ) -> RP3betaScorer:
        binary = sp.csr_matrix((X > 0).astype(np.float64))
        self.cooc_ = weighted_cooc(binary, self.alpha)
        self.degrees_ = np.asarray(binary.sum(axis=0), dtype=np.float64).ravel()
        self._refresh()
        return self

    def score(self, rows: sp.csr_matrix, users: np.ndarray) -> np.ndarray:
        return np.asarray(rows @ self.weights_, dtype=np.float32)

    def affinity(self, history: np.ndarray, targets: np.ndarray) -> np.ndarray:
        return self.weights_[np.ix_(history, targets)]

    def forget(self, row: sp.csr_matrix, user: int) -> RP3betaScorer:
        x = (dense_rows(row) > 0).astype(np.float64)
        n = max(float(x.sum()), 1.0)
        new = RP3betaScorer(self.alpha, self.beta, self.neighbors)
        new.cooc_ = np.maximum(self.cooc_ - (x.T @ x) / n**self.alpha, 0)
        new.degrees_ = np.maximum(self.degrees_ - x.ravel(), 0)
        new._refresh()
        return new

    def arrays(self) -> dict[str, np.ndarray]:
        return {"cooc": self.cooc_, "degrees": self.degrees_}

    def restore(self, arrays: dict[str, np.ndarray], content: np.ndarray | None) -> RP3betaScorer:
        self.cooc_ = arrays["cooc"]
        self.degrees_ = arrays["degrees"]
        self._refresh()
        return self


class RP3beta(RecAlgorithm):
    name = "rp3beta"
    dense_items = True
    description = (
        "RP3beta (Christoffel et al. 2015): item -> user -> item random walk, popularity "
        "down-weighted by degree^beta"
    )
    grid = (
        {"alpha": 0.8, "beta": 0.4},
        {"alpha": 0.8, "beta": 0.5},
        {"alpha": 0.8, "beta": 0.6},
        {"alpha": 1.0, "beta": 0.5},
    )

    def __init__(self, *, alpha: float = 0.8, beta: float = 0.5, neighbors: int = 200) -> None:
        self.alpha = alpha
        self.beta = beta
        self.neighbors = neighbors

    def build(self, seed: int) -> RP3betaScorer:
        return RP3betaScorer(float(self.alpha), float(self.beta), int(self.neighbors))
