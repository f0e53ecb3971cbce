from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from limelight.tasks.recommendation.algorithms.base import RecAlgorithm, Scorer
from limelight.tasks.recommendation.algorithms.content import ContentScorer
from limelight.tasks.recommendation.algorithms.ease import EASEScorer, check_regularization


def _standardize(scores: np.ndarray) -> np.ndarray:
    mean = scores.mean(axis=1, keepdims=True)
    std = scores.std(axis=1, keepdims=True)
    return (scores - mean) / np.maximum(std, 1e-9)


class HybridScorer(Scorer):
    """EASE (collaborative; with catalog tags in its Gram when tag_weight > 0, catalog-text
    neighbours when text_weight > 0, EDLAE's regularizer when dropout > 0, interactions weighed
    by their ratings when rating_power > 0) plus content
    similarity. Each is standardized per user; the content
    part of item i is weighted content_weight * shrink / (n_i + shrink), where n_i counts the
    item's interactions, so items with few or no interactions are ranked by their content while
    well-known items are ranked mostly by collaborative evidence."""

    forgets: ClassVar[str] = EASEScorer.forgets + "; item interaction counts are updated"

    def __init__(
        self,
        l2: float,
        content_weight: float,
        shrink: float,
        tag_weight: float = 0.0,
        dropout: float = 0.0,
        text_weight: float = 0.0,
        rating_power: float = 0.0,
    ) -> None:
        self.l2 = l2
        self.content_weight = content_weight
        self.shrink = shrink
        self.tag_weight = tag_weight
        self.dropout = dropout
        self.text_weight = text_weight
        self.rating_power = rating_power
        self.collaborative = EASEScorer(l2, tag_weight, dropout, text_weight, rating_power)
        self.content = ContentScorer()
        self.counts_ = np.zeros(0, np.float32)

    @property
    def _mix(self) -> np.ndarray:
        return self.content_weight * self.shrink / (self.counts_ + self.shrink)

    def fit(
        self,
        X: sp.csr_matrix,
        content: np.ndarray | None,
        seed: int,
        *,
        times: sp.csr_matrix | None = None,
        tags: sp.csr_matrix | None = None,
        ratings: sp.csr_matrix | None = None,
    ) -> HybridScorer:
        self.content.fit(X, content, seed)
        self.collaborative.fit(X, content, seed, tags=tags, ratings=ratings)
        self.counts_ = np.asarray((X > 0).sum(axis=0), dtype=np.float32).ravel()
        return self

    def score(self, rows: sp.csr_matrix, users: np.ndarray) -> np.ndarray:
        collab = _standardize(self.collaborative.score(rows, users))
        content = _standardize(self.content.score(rows, users))
        return collab + self._mix[None, :] * content

    def affinity(self, history: np.ndarray, targets: np.ndarray) -> np.ndarray:
        collab = self.collaborative.affinity(history, targets)
        scale = np.abs(collab).max(axis=0, keepdims=True)
        content = self.content.affinity(history, targets)
        return collab / np.maximum(scale, 1e-9) + self._mix[targets][None, :] * content

    def forget(self, row: sp.csr_matrix, user: int) -> HybridScorer:
        new = HybridScorer(
            self.l2,
            self.content_weight,
            self.shrink,
            self.tag_weight,
            self.dropout,
            self.text_weight,
            self.rating_power,
        )
        new.content = self.content
        new.collaborative = self.collaborative.forget(row, user)
        x = np.asarray((row > 0).toarray(), dtype=np.float32).ravel()
        new.counts_ = np.maximum(self.counts_ - x, 0)
        return new

    def arrays(self) -> dict[str, np.ndarray]:
        return {**self.collaborative.arrays(), "counts": self.counts_}

    def restore(self, arrays: dict[str, np.ndarray], content: np.ndarray | None) -> HybridScorer:
        self.collaborative.restore(arrays, content)
        self.content.restore({}, content)
        self.counts_ = arrays["counts"]
        return self


class Hybrid(RecAlgorithm):
    name = "hybrid"
    dense_items = True
    description = "EASE blended with MiniLM content similarity, content weighted up for rare items"
    needs_content = True
    grid = (
        {"content_weight": 0.1, "shrink": 5.0},
        {"content_weight": 0.5, "shrink": 2.0},
    )

    def __init__(
        self,
        *,
        l2: float = 500.0,
        content_weight: float = 0.3,
        shrink: float = 5.0,
        tag_weight: float = 0.0,
        dropout: float = 0.0,
        text_weight: float = 0.0,
        rating_power: float = 0.0,
    ) -> None:
        self.l2 = l2
        self.content_weight = content_weight
        self.shrink = shrink
        self.tag_weight = tag_weight
        self.dropout = dropout
        self.text_weight = text_weight
        self.rating_power = rating_power

    def build(self, seed: int) -> HybridScorer:
        check_regularization(self.name, self.l2, self.dropout, self.rating_power)
        return HybridScorer(**self.float_params())
