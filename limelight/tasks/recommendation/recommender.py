"""A loaded recommender: recommendations per user, similar items, forgetting a user.

Serving state (the scorer, the interaction history and the user index) sits in one immutable
``ServingState``; ``forget`` builds a new one and swaps it in with one assignment, so readers
never take a lock and never see half an update.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel

from limelight.errors import InvalidInput, NotFound
from limelight.tasks.recommendation.algorithms.base import Scorer
from limelight.tasks.recommendation.catalog import Catalog
from limelight.tasks.recommendation.evaluation import top_k
from limelight.tasks.recommendation.filters import FilterIndex
from limelight.tasks.recommendation.schemas import RecommendInput, SimilarInput

BECAUSE = 3


class UnknownItem(NotFound):
    code = "item_not_found"


class UnknownUser(NotFound):
    code = "user_not_found"


@dataclass(frozen=True)
class ServingState:
    scorer: Scorer
    history: sp.csr_matrix  # users × items, 1.0 per interaction
    user_index: dict[str, int]
    popularity: np.ndarray  # interactions per item


class Recommender:
    def __init__(
        self,
        *,
        algorithm: str,
        scorer: Scorer,
        users: list[str],
        items: list[str],
        history: sp.csr_matrix,
        catalog: Catalog | None,
        embeddings: np.ndarray | None,
    ) -> None:
        self.algorithm = algorithm
        self.items = list(items)
        self._item_ids = np.asarray(self.items, dtype=object)
        self.item_index = {item: i for i, item in enumerate(self.items)}
        self.catalog = catalog
        self.embeddings = embeddings
        self.filters = FilterIndex(catalog) if catalog is not None else None
        self._titles = catalog.titles if catalog is not None else None
        self._lock = threading.Lock()
        self.forgotten = 0
        self._state = ServingState(
            scorer=scorer,
            history=history,
            user_index={user: i for i, user in enumerate(users)},
            popularity=np.asarray(history.sum(axis=0), dtype=np.float32).ravel(),
        )

    # ----------------------------------------------------------------------------- queries
    def knows(self, user_id: str) -> bool:
        return user_id in self._state.user_index

    def history_of(self, user_id: str) -> list[str]:
        state = self._state
        user = state.user_index.get(user_id)
        if user is None:
            return []
        row = state.history[user]
        return [self.items[i] for i in row.indices]

    def recommend(self, request: RecommendInput) -> dict[str, Any]:
        state = self._state
        user = state.user_index.get(request.user_id) if request.user_id else None
        seen = state.history[user].indices if user is not None else np.zeros(0, np.int32)
        recent, unknown = self._known_items(request.recent_items or [])
        history = np.union1d(seen, recent).astype(np.int32)
        if len(history) == 0:
            strategy = "popular"
            scores = state.popularity.astype(np.float64)
        else:
            strategy = "personalized" if user is not None else "session"
            row = sp.csr_matrix(
                (np.ones(len(history), np.float32), history, [0, len(history)]),
                shape=(1, len(self.items)),
            )
            # a known user's recent items join their history; only a learned user vector
            # (ALS/BPR) cannot take them, so that history is folded in
            extended = len(recent) > 0 and state.scorer.learns_user_vectors
            who = user if (user is not None and not extended) else -1
            scores = state.scorer.score(row, np.asarray([who])).astype(np.float64).ravel()
        if request.exclude_seen and len(history):
            scores[history] = -np.inf
        top, unmatched = self._best(scores, request.k, request.filter)
        because = self._because(state.scorer, history, top) if strategy != "popular" else None
        out: dict[str, Any] = {
            "items": self._render(top, scores, because),
            "strategy": strategy,
        }
        if unknown:
            out["unknown_items"] = unknown
        if unmatched:
            out["unknown_filter_values"] = unmatched
        return out

    def similar(self, request: SimilarInput) -> dict[str, Any]:
        item = self.item_index.get(request.item_id)
        if item is None:
            raise UnknownItem(
                f"item {request.item_id!r} is not known to this model (neither in the "
                "interactions nor in the catalog it was trained with)",
                field="item_id",
            )
        state = self._state
        row = sp.csr_matrix((np.ones(1, np.float32), [item], [0, 1]), shape=(1, len(self.items)))
        if state.popularity[item] > 0 and self.algorithm != "popularity":
            strategy = "content" if self.algorithm == "content" else "collaborative"
            scores = state.scorer.score(row, np.asarray([-1])).astype(np.float64).ravel()
        elif state.popularity[item] > 0:
            strategy = "collaborative"
            scores = _cooccurrence(state.history, item)
        elif self.embeddings is not None:
            strategy = "content"
            scores = (self.embeddings @ self.embeddings[item]).astype(np.float64)
        else:
            strategy = "popular"
            scores = state.popularity.astype(np.float64)
        scores[item] = -np.inf
        top, unmatched = self._best(scores, request.k, request.filter)
        answer: dict[str, Any] = {"items": self._render(top, scores, None), "strategy": strategy}
        if unmatched:
            answer["unknown_filter_values"] = unmatched
        return answer

    def predict_batch(self, inputs: Sequence[BaseModel]) -> list[dict[str, Any]]:
        return [self.recommend(x) for x in inputs]  # type: ignore[arg-type]

    # ----------------------------------------------------------------------------- forgetting
    def forget(self, user_id: str) -> dict[str, Any]:
        """Remove a user's history from the serving state, at once and for every later call."""
        with self._lock:
            state = self._state
            user = state.user_index.get(user_id)
            if user is None:
                raise UnknownUser(
                    f"user {user_id!r} is not known to this model (or was already forgotten)",
                    field="user_id",
                )
            row = state.history[user]
            keep = np.ones(state.history.shape[0], dtype=np.float32)
            keep[user] = 0
            history = sp.csr_matrix(sp.diags(keep) @ state.history)
            history.eliminate_zeros()
            scorer = state.scorer.forget(row, user)
            index = dict(state.user_index)
            del index[user_id]
            popularity = np.maximum(state.popularity - row.toarray().ravel(), 0)
            self._state = ServingState(scorer, history, index, popularity.astype(np.float32))
            self.forgotten += 1
        return {
            "user_id": user_id,
            "interactions_removed": int(row.nnz),
            "forgotten": state.scorer.forgets,
        }

    # ----------------------------------------------------------------------------- helpers
    def _known_items(self, ids: list[str]) -> tuple[np.ndarray, list[str]]:
        known = [self.item_index[i] for i in ids if i in self.item_index]
        unknown = [i for i in ids if i not in self.item_index]
        return np.asarray(sorted(set(known)), dtype=np.int32), unknown

    def _best(
        self, scores: np.ndarray, k: int, conditions: dict[str, Any] | None
    ) -> tuple[np.ndarray, dict[str, list[str]]]:
        """The top ``k`` items meeting ``conditions``, and the filter values no item holds."""
        unmatched: dict[str, list[str]] = {}
        if conditions:
            if self.filters is None:
                raise InvalidInput(
                    "this model was trained without an item catalog, so it cannot filter; "
                    "retrain with --items FILE",
                    field="filter",
                )
            allowed, unmatched = self.filters.match(conditions)
            scores[~allowed] = -np.inf
        available = int(np.isfinite(scores).sum())
        if available == 0:
            return np.zeros(0, dtype=np.int64), unmatched
        return top_k(scores[None, :], min(k, available))[0], unmatched

    def _because(
        self, scorer: Scorer, history: np.ndarray, top: np.ndarray
    ) -> list[list[str]] | None:
        if len(top) == 0 or len(history) == 0:
            return None
        affinity = scorer.affinity(history, top)
        if affinity is None:
            return None
        out = []
        for j in range(len(top)):
            column = affinity[:, j]
            best = np.argsort(-column, kind="stable")[:BECAUSE]
            out.append([self.items[history[b]] for b in best if column[b] > 0])
        return out

    def _render(
        self, top: np.ndarray, scores: np.ndarray, because: list[list[str]] | None
    ) -> list[dict[str, Any]]:
        out = []
        for j, i in enumerate(top.tolist()):
            entry: dict[str, Any] = {"item_id": self.items[i], "score": round(float(scores[i]), 6)}
            if self._titles is not None and self._titles[i] is not None:
                entry["title"] = self._titles[i]
            if because is not None and because[j]:
                entry["because"] = because[j]
            out.append(entry)
        return out


def _cooccurrence(history: sp.csr_matrix, item: int) -> np.ndarray:
    users = history[:, item].nonzero()[0]
    counts = np.asarray(history[users].sum(axis=0), dtype=np.float64).ravel()
    totals = np.asarray(history.sum(axis=0), dtype=np.float64).ravel()
    return counts / np.sqrt(np.maximum(totals * totals[item], 1e-12))
