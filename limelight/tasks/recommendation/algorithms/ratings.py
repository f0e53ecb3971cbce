"""Explicit ratings as confidence, for the EASE family (``rating_power``).

With ``rating_power`` γ > 0 an interaction user u rated r counts ``(r / r̄_u)^γ`` instead of 1,
r̄_u being u's own mean rating: in the Gram (a pair of items u rated r and s adds
``(r/r̄_u)^γ (s/r̄_u)^γ``) and in u's history when scoring, so an item a user rated above their
own average says more about what else they will take than one they rated below it. Every rated
item still counts (a low rating is still a sign of interest); only how much it counts changes.
Dividing by the user's own mean makes a harsh and a generous rater alike, keeps the Gram's
scale (``l2`` and the side-information weights keep their meaning), and keeps everything one
user adds in their own rows, so forgetting them stays exact. γ 0 is the unweighted model and
stores nothing.

Serving weighs a known user's stored interactions by their confidences, also when a request
adds ``recent_items`` to their history; items outside the stored history (those recent items)
count 1, as an interaction rated at the user's mean would, and so does every item of an
unknown user's row (user -1, a session).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from limelight.errors import InvalidInput

#: ``rating_power`` values auto mode tries for the EASE family when the log has ratings
RATING_GRID = (0.25, 0.5, 0.75)


def check_power(name: str, power: float) -> None:
    if not 0 <= power <= 4:
        raise InvalidInput(f"{name} needs 0 <= rating_power <= 4", field="params")


class Confidence:
    """Each training interaction's weight ``(r / r̄_u)^power`` (users × items, the sparsity of
    the interactions); nothing when ``power`` is 0."""

    def __init__(self, power: float) -> None:
        self.power = power
        self.values_: sp.csr_matrix | None = None

    @property
    def active(self) -> bool:
        return self.power != 0

    def _set(self, values: sp.csr_matrix) -> None:
        values.sort_indices()  # the lookups search each user's row
        self.values_ = values

    def fit(self, X: sp.csr_matrix, ratings: sp.csr_matrix | None) -> sp.csr_matrix:
        """The interactions to learn from: ``X`` as 0/1, or weighted by the ratings."""
        binary = sp.csr_matrix((X > 0).astype(np.float64))
        binary.sort_indices()
        if not self.active:
            return binary
        if ratings is None:
            raise InvalidInput(
                "rating_power needs the rating of each interaction: pass --rating COLUMN",
                field="rating",
            )
        ratings = sp.csr_matrix(ratings, dtype=np.float64)
        ratings.sort_indices()
        if (
            ratings.shape != binary.shape
            or not np.array_equal(ratings.indptr, binary.indptr)
            or not np.array_equal(ratings.indices, binary.indices)
        ):
            raise ValueError("ratings must have exactly the sparsity pattern of the interactions")
        if ratings.nnz and not (np.all(np.isfinite(ratings.data)) and ratings.data.min() > 0):
            raise InvalidInput(
                "rating_power needs every rating > 0 (shift the scale, or leave rating_power at 0)",
                field="rating",
            )
        counts = np.diff(ratings.indptr)
        means = np.asarray(ratings.sum(axis=1)).ravel() / np.maximum(counts, 1)
        self._set(
            sp.csr_matrix(
                (
                    (ratings.data / np.repeat(means, counts)) ** self.power,
                    ratings.indices,
                    ratings.indptr,
                ),
                shape=ratings.shape,
            )
        )
        assert self.values_ is not None
        return self.values_

    def weigh(self, rows: sp.csr_matrix, users: np.ndarray) -> sp.csr_matrix:
        """``rows`` (0/1 histories) with each stored interaction of a known user (``users`` >= 0)
        at its confidence; everything else stays 1. One sorted search per entry, so serving one
        user costs microseconds; the dtype stays the rows' (a float64 history would make scipy
        copy float32 weights on every product)."""
        users = np.asarray(users, dtype=np.int64)
        if self.values_ is None or not (users >= 0).any():
            return rows
        rows = sp.csr_matrix(rows)
        data = self._lookup(users, rows.indptr, rows.indices).astype(rows.dtype)
        return sp.csr_matrix((data, rows.indices, rows.indptr), shape=rows.shape)

    def of(self, user: int, items: np.ndarray) -> np.ndarray:
        """The confidences of one known user's ``items`` (1 for an item not stored for them)."""
        items = np.asarray(items)
        return self._lookup(np.asarray([user]), np.asarray([0, len(items)]), items)

    def _lookup(self, users: np.ndarray, indptr: np.ndarray, items: np.ndarray) -> np.ndarray:
        """For the rows ``indptr``/``items`` of ``users``: each entry's stored confidence, or 1
        (the stored indices are sorted per row: ``_set`` sorts them)."""
        out = np.ones(len(items), dtype=np.float64)
        values = self.values_
        if values is None or len(items) == 0:
            return out
        if len(users) == 1:  # serving one user: search their stored row in place
            user = int(users[0])
            if not 0 <= user < values.shape[0]:
                return out
            lo, hi = values.indptr[user], values.indptr[user + 1]
            if hi == lo:
                return out
            stored = values.indices[lo:hi]
            at = np.minimum(np.searchsorted(stored, items), hi - lo - 1)
            found = stored[at] == items
            out[found] = values.data[lo:hi][at[found]]
            return out
        known = (users >= 0) & (users < values.shape[0])
        safe = np.where(known, users, 0)
        starts = values.indptr[safe]
        lengths = np.where(known, values.indptr[safe + 1] - starts, 0)
        if not lengths.any():
            return out
        # the stored entries of each asked-for row, gathered by position (no scipy indexing)
        first = np.cumsum(lengths) - lengths
        at_stored = np.repeat(starts - first, lengths) + np.arange(lengths.sum())
        n = values.shape[1]
        keys = np.repeat(np.arange(len(users), dtype=np.int64), lengths) * n
        keys += values.indices[at_stored]
        wanted = np.repeat(np.arange(len(users), dtype=np.int64), np.diff(indptr)) * n + items
        at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        found = keys[at] == wanted
        out[found] = values.data[at_stored[at[found]]]
        return out

    def without(self, user: int) -> Confidence:
        """A copy with one user's stored confidences removed."""
        new = Confidence(self.power)
        if self.values_ is not None:
            keep = np.ones(self.values_.shape[0])
            if 0 <= user < len(keep):
                keep[user] = 0
            values = sp.csr_matrix(sp.diags(keep) @ self.values_)
            values.eliminate_zeros()
            new._set(values)
        return new

    def arrays(self) -> dict[str, np.ndarray]:
        if self.values_ is None:
            return {}
        v = self.values_
        return {
            "confidence_indptr": v.indptr.astype(np.int64),
            "confidence_indices": v.indices.astype(np.int32),
            "confidence_data": v.data.astype(np.float64),
            "confidence_shape": np.asarray(v.shape, dtype=np.int64),
        }

    def restore(self, arrays: dict[str, np.ndarray]) -> Confidence:
        if self.active:
            shape = tuple(int(x) for x in arrays["confidence_shape"])
            self._set(
                sp.csr_matrix(
                    (
                        arrays["confidence_data"],
                        arrays["confidence_indices"],
                        arrays["confidence_indptr"],
                    ),
                    shape=shape,
                )
            )
        return self
