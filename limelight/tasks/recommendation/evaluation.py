"""Top-K ranking metrics with each user's training items removed."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from limelight.tasks.recommendation.algorithms.base import Scorer

K = 10


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best scores of each row, best first."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    rows = np.arange(scores.shape[0])[:, None]
    order = np.argsort(-scores[rows, part], axis=1, kind="stable")
    return part[rows, order]


def ranking_metrics(
    scorer: Scorer, train: sp.csr_matrix, test: sp.csr_matrix, k: int = K, batch: int = 512
) -> dict[str, Any]:
    """precision@k, recall@k, nDCG@k (binary relevance, ideal over min(k, relevant)), MAP@k
    (average precision normalized by min(k, relevant)), hit rate@k, and catalog coverage@k
    (distinct items recommended / items in the model), over users with test interactions."""
    users = np.flatnonzero(np.diff(test.indptr) > 0)
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    sums = dict.fromkeys(("precision", "recall", "ndcg", "map", "hit_rate"), 0.0)
    recommended: set[int] = set()
    for start in range(0, len(users), batch):
        chunk = users[start : start + batch]
        rows = train[chunk]
        scores = scorer.score(rows, chunk).astype(np.float64)
        scores[rows.nonzero()] = -np.inf
        top = top_k(scores, k)
        recommended.update(np.unique(top).tolist())
        truth = test[chunk]
        hits = np.zeros(top.shape, dtype=bool)
        for i in range(len(chunk)):
            relevant = truth.indices[truth.indptr[i] : truth.indptr[i + 1]]
            hits[i] = np.isin(top[i], relevant)
        n_rel = np.diff(truth.indptr).astype(np.float64)
        capped = np.minimum(n_rel, k)
        ideal = np.cumsum(discount)[capped.astype(int) - 1]
        precision_at = np.cumsum(hits, axis=1) / np.arange(1, k + 1)
        sums["precision"] += float((hits.sum(axis=1) / k).sum())
        sums["recall"] += float((hits.sum(axis=1) / n_rel).sum())
        sums["ndcg"] += float(((hits * discount).sum(axis=1) / ideal).sum())
        sums["map"] += float(((precision_at * hits).sum(axis=1) / capped).sum())
        sums["hit_rate"] += float(hits.any(axis=1).sum())
    n = max(len(users), 1)
    out: dict[str, Any] = {f"{name}@{k}": round(value / n, 6) for name, value in sums.items()}
    out[f"coverage@{k}"] = round(len(recommended) / train.shape[1], 6)
    out["users_evaluated"] = len(users)
    return out
