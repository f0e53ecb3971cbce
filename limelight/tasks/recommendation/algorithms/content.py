from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from limelight.errors import InvalidInput
from limelight.tasks.recommendation.algorithms.base import RecAlgorithm, Scorer


class ContentScorer(Scorer):
    """Items as MiniLM embeddings of their catalog text; a user is the normalized sum of the
    embeddings of their items; score = cosine similarity."""

    def __init__(self) -> None:
        self.embeddings_ = np.zeros((0, 0), np.float32)

    def fit(
        self,
        X: sp.csr_matrix,
        content: np.ndarray | None,
        seed: int,
        *,
        times: sp.csr_matrix | None = None,
        tags: sp.csr_matrix | None = None,
        ratings: sp.csr_matrix | None = None,
    ) -> ContentScorer:
        if content is None:
            raise InvalidInput(
                "the content algorithm needs an item catalog with text: pass --items FILE",
                field="items",
            )
        self.embeddings_ = content
        return self

    def score(self, rows: sp.csr_matrix, users: np.ndarray) -> np.ndarray:
        binary = (rows > 0).astype(np.float32)
        profiles = np.asarray(binary @ self.embeddings_, dtype=np.float32)
        norms = np.linalg.norm(profiles, axis=1, keepdims=True)
        return (profiles / np.maximum(norms, 1e-12)) @ self.embeddings_.T

    def affinity(self, history: np.ndarray, targets: np.ndarray) -> np.ndarray:
        return self.embeddings_[history] @ self.embeddings_[targets].T

    def arrays(self) -> dict[str, np.ndarray]:
        return {}  # the embeddings are stored once with the catalog

    def restore(self, arrays: dict[str, np.ndarray], content: np.ndarray | None) -> ContentScorer:
        return self.fit(sp.csr_matrix((0, 0)), content, 0)


class Content(RecAlgorithm):
    name = "content"
    description = "content-based: all-MiniLM-L6-v2 embeddings of the catalog's title, tags, text"
    needs_content = True

    def __init__(self) -> None:
        pass

    def build(self, seed: int) -> ContentScorer:
        return ContentScorer()
