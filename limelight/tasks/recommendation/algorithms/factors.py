"""ALS and BPR from the `implicit` library, with BLAS limited to one thread (implicit runs its
own threads and is slower, and warns, when BLAS also does)."""

from __future__ import annotations

import os
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from limelight.tasks.recommendation.algorithms.base import Scorer, cosine_rows


def noise_edge(X: sp.csr_matrix) -> float:
    """``√(interactions per active user) + √(interactions per active item)``: about where the
    singular values of a random interaction matrix of the same size and density end (the edge
    of its bulk), so singular values above it carry signal. ALS's relative L2 is measured in it
    (see ``als``)."""
    if X.nnz == 0:
        return 1.0
    users = int((np.diff(X.indptr) > 0).sum())
    items = int((np.bincount(X.indices, minlength=X.shape[1]) > 0).sum())
    return float(np.sqrt(X.nnz / users) + np.sqrt(X.nnz / items))


def implicit_threads() -> int:
    return max(1, min(2, os.cpu_count() or 1))


class FactorScorer(Scorer):
    """Users and items as vectors; score = user · item. Known users use their learned vector;
    unknown users (and known users bringing recent items) are folded in from their history by
    ``fold_in``."""

    learns_user_vectors: ClassVar[bool] = True
    forgets: ClassVar[str] = (
        "the user's history and their learned user vector; the item vectors still carry what "
        "they learned from the user until the next retrain"
    )

    def __init__(self) -> None:
        self.user_factors_ = np.zeros((0, 0), np.float32)
        self.item_factors_ = np.zeros((0, 0), np.float32)
        self._unit: np.ndarray | None = None

    def fold_in(self, history: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def score(self, rows: sp.csr_matrix, users: np.ndarray) -> np.ndarray:
        vectors = np.zeros((rows.shape[0], self.item_factors_.shape[1]), np.float32)
        for i, user in enumerate(users):
            if user >= 0:
                vectors[i] = self.user_factors_[user]
            else:
                history = rows.indices[rows.indptr[i] : rows.indptr[i + 1]]
                if len(history):
                    vectors[i] = self.fold_in(history)
        return vectors @ self.item_factors_.T

    def affinity(self, history: np.ndarray, targets: np.ndarray) -> np.ndarray:
        if self._unit is None:
            self._unit = cosine_rows(self.item_factors_)
        return self._unit[history] @ self._unit[targets].T

    def forget(self, row: sp.csr_matrix, user: int) -> FactorScorer:
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.user_factors_ = self.user_factors_.copy()
        if 0 <= user < len(new.user_factors_):
            new.user_factors_[user] = 0
        return new

    def arrays(self) -> dict[str, np.ndarray]:
        return {"user_factors": self.user_factors_, "item_factors": self.item_factors_}

    def restore(self, arrays: dict[str, np.ndarray], content: np.ndarray | None) -> FactorScorer:
        self.user_factors_ = arrays["user_factors"]
        self.item_factors_ = arrays["item_factors"]
        return self

    def _fit_implicit(self, make: Any, X: sp.csr_matrix) -> None:
        with threadpool_limits(1, "blas"):  # implicit checks BLAS threads when constructed
            model = make()
            model.fit(sp.csr_matrix(X, dtype=np.float32), show_progress=False)
        self.user_factors_ = np.asarray(model.user_factors, dtype=np.float32)
        self.item_factors_ = np.asarray(model.item_factors, dtype=np.float32)


class ALSScorer(FactorScorer):
    """ALS with λ = ``regularization`` when > 0, else ``relative · alpha · noise_edge(X)`` (see
    ``als``); the λ used is stored with the factors, since folding a user in needs it."""

    def __init__(
        self, factors: int, relative: float, regularization: float, alpha: float, iterations: int
    ) -> None:
        super().__init__()
        self.factors = factors
        self.relative = relative
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.lambda_ = regularization

    def fit(
        self,
        X: sp.csr_matrix,
        content: np.ndarray | None,
        seed: int,
        *,
        times: sp.csr_matrix | None = None,
        tags: sp.csr_matrix | None = None,
        ratings: sp.csr_matrix | None = None,
    ) -> ALSScorer:
        from implicit.cpu.als import AlternatingLeastSquares

        binary = (X > 0).astype(np.float32)
        self.lambda_ = (
            self.regularization
            if self.regularization > 0
            else self.relative * self.alpha * noise_edge(binary)
        )

        def make() -> Any:
            return AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.lambda_,
                alpha=self.alpha,
                iterations=self.iterations,
                random_state=seed,
                num_threads=implicit_threads(),
            )

        self._fit_implicit(make, binary)
        return self

    def fitted_params(self) -> dict[str, Any]:
        return {"regularization": self.lambda_}

    def arrays(self) -> dict[str, np.ndarray]:
        return {**super().arrays(), "regularization": np.asarray([self.lambda_], np.float64)}

    def restore(self, arrays: dict[str, np.ndarray], content: np.ndarray | None) -> ALSScorer:
        super().restore(arrays, content)
        if "regularization" in arrays:  # models saved before λ was relative keep their own
            self.lambda_ = float(arrays["regularization"][0])
        return self

    def fold_in(self, history: np.ndarray) -> np.ndarray:
        """One exact ALS half-step for a new user (what implicit's recalculate_user does)."""
        y = self.item_factors_.astype(np.float64)
        yh = y[history]
        a = y.T @ y + self.alpha * yh.T @ yh + self.lambda_ * np.eye(y.shape[1])
        b = (1 + self.alpha) * yh.sum(axis=0)
        return np.linalg.solve(a, b).astype(np.float32)


class BPRScorer(FactorScorer):
    def __init__(
        self, factors: int, learning_rate: float, regularization: float, iterations: int
    ) -> None:
        super().__init__()
        self.factors = factors
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.iterations = iterations

    def fit(
        self,
        X: sp.csr_matrix,
        content: np.ndarray | None,
        seed: int,
        *,
        times: sp.csr_matrix | None = None,
        tags: sp.csr_matrix | None = None,
        ratings: sp.csr_matrix | None = None,
    ) -> BPRScorer:
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        def make() -> Any:
            return BayesianPersonalizedRanking(
                factors=self.factors,
                learning_rate=self.learning_rate,
                regularization=self.regularization,
                iterations=self.iterations,
                random_state=seed,
                num_threads=1,  # parallel (Hogwild) SGD is not reproducible with a seed
            )

        self._fit_implicit(make, (X > 0).astype(np.float32))
        return self

    def fold_in(self, history: np.ndarray) -> np.ndarray:
        """A new user as the mean of their items' vectors; the last column multiplies the item
        bias that implicit's BPR learns, so it is 1."""
        vector = self.item_factors_[history].mean(axis=0)
        vector[-1] = 1.0
        return vector
