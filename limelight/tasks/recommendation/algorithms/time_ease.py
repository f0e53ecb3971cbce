"""EASE over a time-weighted Gram matrix.

Plain EASE counts, for every pair of items, the users who interacted with both. Here a pair counts
``exp(-|t_j - t_k| / tau) + beta`` per user: items a user took in the same sitting (seconds to
minutes apart) count up to ``(1 + beta) / beta`` times more than items they took months apart.
Only the training interactions' own times are used, and only to weight pairs; scoring is the
same ``history @ B`` as EASE, so serving needs no time and no reference date.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from limelight.errors import InvalidInput
from limelight.tasks.recommendation.algorithms.base import RecAlgorithm, Scorer, aligned_times
from limelight.tasks.recommendation.algorithms.ease import (
    check_regularization,
    ease_weights,
    with_tags,
    with_text,
)
from limelight.tasks.recommendation.algorithms.memory import digest, recall
from limelight.tasks.recommendation.algorithms.ratings import RATING_GRID, Confidence


def pair_weights(times: np.ndarray, tau: float, beta: float) -> np.ndarray:
    """One user's contribution to the Gram over their items (len(times) × len(times))."""
    gaps = np.abs(times[:, None] - times[None, :])
    return np.exp(-gaps / tau) + beta


def time_gram(
    times: sp.csr_matrix, tau: float, beta: float, weights: sp.csr_matrix | None = None
) -> np.ndarray:
    """Σ over users of ``pair_weights`` on their items' block (items × items, float64), each
    pair also multiplied by its two interactions' ``weights`` when given (the rating
    confidences, with the sparsity of ``times``). Computed once per (times, tau, beta, weights)
    while a training runs (``memory.remembered``): the tag, text and dropout stages of auto mode
    reuse the best configuration's Gram."""

    def compute() -> np.ndarray:
        n = times.shape[1]
        gram = np.zeros((n, n), dtype=np.float64)
        for user in range(times.shape[0]):
            lo, hi = times.indptr[user], times.indptr[user + 1]
            if hi > lo:
                items = times.indices[lo:hi]
                block = pair_weights(times.data[lo:hi], tau, beta)
                if weights is not None:
                    w = weights.data[lo:hi]
                    block *= w[:, None] * w[None, :]
                gram[np.ix_(items, items)] += block
        return gram

    weighed = () if weights is None else (digest(weights.data),)
    key = (tau, beta, digest(times.indptr, times.indices, times.data), times.shape, *weighed)
    return recall("time_gram", key, compute)


def without_row(matrix: sp.csr_matrix, row: int) -> sp.csr_matrix:
    """``matrix`` with one row emptied, keeping every other stored entry (even a time of 0)."""
    lo, hi = matrix.indptr[row], matrix.indptr[row + 1]
    indptr = matrix.indptr.copy()
    indptr[row + 1 :] -= hi - lo
    return sp.csr_matrix(
        (np.delete(matrix.data, np.s_[lo:hi]), np.delete(matrix.indices, np.s_[lo:hi]), indptr),
        shape=matrix.shape,
    )


class TimeEASEScorer(Scorer):
    forgets: ClassVar[str] = (
        "the user's history, their time-weighted pairs in the Gram matrix and their stored "
        "interaction times; the item-item weights are recomputed without them (exact, one "
        "matrix inversion; the catalog tags' share of the Gram, which no user added, stays as "
        "trained)"
    )

    def __init__(
        self,
        l2: float,
        tau: float,
        beta: float,
        tag_weight: float = 0.0,
        dropout: float = 0.0,
        text_weight: float = 0.0,
        rating_power: float = 0.0,
    ) -> None:
        self.l2 = l2
        self.tau = tau
        self.beta = beta
        self.tag_weight = tag_weight
        self.dropout = dropout
        self.text_weight = text_weight
        self.rating_power = rating_power
        self.confidence = Confidence(rating_power)
        self.gram_ = np.zeros((0, 0), np.float32)
        self.weights_ = np.zeros((0, 0), np.float32)
        self.times_ = sp.csr_matrix((0, 0), dtype=np.float64)

    def fit(
        self,
        X: sp.csr_matrix,
        content: np.ndarray | None,
        seed: int,
        *,
        times: sp.csr_matrix | None = None,
        tags: sp.csr_matrix | None = None,
        ratings: sp.csr_matrix | None = None,
    ) -> TimeEASEScorer:
        self.times_ = sp.csr_matrix(aligned_times(X, times), dtype=np.float64, copy=True)
        self.times_.sort_indices()
        weighted = self.confidence.fit(X, ratings)
        weights = weighted if self.confidence.active else None
        gram = time_gram(self.times_, self.tau, self.beta, weights)
        gram = with_tags(gram, tags, self.tag_weight)
        gram = with_text(gram, content, self.text_weight)
        self.gram_ = gram.astype(np.float32)
        self.weights_ = ease_weights(gram, self.l2, self.dropout)
        return self

    def score(self, rows: sp.csr_matrix, users: np.ndarray) -> np.ndarray:
        return np.asarray(self.confidence.weigh(rows, users) @ self.weights_, dtype=np.float32)

    def affinity(self, history: np.ndarray, targets: np.ndarray) -> np.ndarray:
        return self.weights_[np.ix_(history, targets)]

    def forget(self, row: sp.csr_matrix, user: int) -> TimeEASEScorer:
        """Removes exactly what the user added at fit time: their stored times' pair weights
        (times their rating confidences)."""
        new = TimeEASEScorer(
            self.l2,
            self.tau,
            self.beta,
            self.tag_weight,
            self.dropout,
            self.text_weight,
            self.rating_power,
        )
        new.gram_ = self.gram_.copy()
        new.times_ = self.times_
        new.confidence = self.confidence.without(user)
        if 0 <= user < self.times_.shape[0]:
            lo, hi = self.times_.indptr[user], self.times_.indptr[user + 1]
            items = self.times_.indices[lo:hi]
            w = self.confidence.of(user, items)
            block = new.gram_[np.ix_(items, items)] - pair_weights(
                self.times_.data[lo:hi], self.tau, self.beta
            ) * np.outer(w, w)
            new.gram_[np.ix_(items, items)] = np.maximum(block, 0)
            new.times_ = without_row(self.times_, user)
        new.weights_ = ease_weights(new.gram_, self.l2, self.dropout)
        return new

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "gram": self.gram_,
            "weights": self.weights_,
            "times_indptr": self.times_.indptr.astype(np.int64),
            "times_indices": self.times_.indices.astype(np.int32),
            "times_data": self.times_.data.astype(np.float64),
            "times_shape": np.asarray(self.times_.shape, dtype=np.int64),
            **self.confidence.arrays(),
        }

    def restore(self, arrays: dict[str, np.ndarray], content: np.ndarray | None) -> TimeEASEScorer:
        self.gram_ = arrays["gram"]
        self.weights_ = arrays["weights"]
        shape = tuple(int(x) for x in arrays["times_shape"])
        self.times_ = sp.csr_matrix(
            (arrays["times_data"], arrays["times_indices"], arrays["times_indptr"]), shape=shape
        )
        self.confidence.restore(arrays)
        return self


class TimeEASE(RecAlgorithm):
    name = "time-ease"
    dense_items = True
    description = (
        "EASE over a time-weighted Gram: item pairs a user took within minutes of each other "
        "count more (needs a time column); EDLAE's dropout regularizer as an option (dropout); "
        "with a catalog, its tags can join the Gram as pseudo-users (tag_weight) and items "
        "with similar texts can be pulled together (text_weight); explicit ratings can weigh "
        "the interactions (rating_power)"
    )
    needs_time = True
    grid = (
        {"tau": 60.0, "beta": 0.2, "l2": 100.0},
        {"tau": 60.0, "beta": 0.35, "l2": 150.0},
        {"tau": 300.0, "beta": 0.15, "l2": 200.0},
        {"tau": 1200.0, "beta": 0.05, "l2": 300.0},
    )

    rating_grid = RATING_GRID
    tag_grid = (0.03, 0.1, 0.3, 1.0)
    text_grid = (0.03, 0.1)
    dropout_grid = (0.25, 0.5)

    def __init__(
        self,
        *,
        l2: float = 100.0,
        tau: float = 60.0,
        beta: float = 0.2,
        tag_weight: float = 0.0,
        dropout: float = 0.0,
        text_weight: float = 0.0,
        rating_power: float = 0.0,
    ) -> None:
        self.l2 = l2
        self.tau = tau
        self.beta = beta
        self.tag_weight = tag_weight
        self.dropout = dropout
        self.text_weight = text_weight
        self.rating_power = rating_power

    def build(self, seed: int) -> TimeEASEScorer:
        if not (self.tau > 0 and self.beta >= 0):
            raise InvalidInput("time-ease needs tau > 0 (seconds) and beta >= 0", field="params")
        check_regularization(self.name, self.l2, self.dropout, self.rating_power)
        return TimeEASEScorer(**self.float_params())
