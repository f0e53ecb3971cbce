from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack

from limelight.errors import InvalidInput
from limelight.tasks.recommendation.algorithms.base import (
    RecAlgorithm,
    Scorer,
    dense_rows,
)
from limelight.tasks.recommendation.algorithms.memory import digest, recall
from limelight.tasks.recommendation.algorithms.ratings import RATING_GRID, Confidence, check_power


def with_share(
    gram: np.ndarray,
    weight: float,
    name: str,
    share: Callable[[], np.ndarray | sp.spmatrix],
) -> np.ndarray:
    """``gram + w · mean(diag(gram)) · share()``: side information joins the Gram as if a
    ``weight`` share of an average item's users had taken each linked pair, whatever the size of
    the log. ``share`` may return a dense or a sparse items × items matrix (a sparse one is added
    entry by entry, never densified). ``weight`` 0 returns ``gram`` (and ``share`` is not
    called); ``name`` is the parameter, for the error a bad weight gets."""
    if weight == 0:
        return gram
    if not (np.isfinite(weight) and weight > 0):
        raise InvalidInput(f"needs {name} >= 0 (a finite number)", field="params")
    extra = share()
    if extra.shape != gram.shape:
        raise ValueError(f"{name}: side information must have one row per item")
    scale = weight * max(float(np.mean(np.diag(gram))) if gram.size else 0.0, 1.0)
    if not sp.issparse(extra):
        return gram + scale * np.asarray(extra)
    out = np.array(gram, dtype=np.result_type(gram.dtype, np.float64))
    entries = sp.coo_matrix(extra)
    entries.sum_duplicates()
    out[entries.row, entries.col] += scale * entries.data
    return out


def with_tags(gram: np.ndarray, tags: sp.csr_matrix | None, weight: float) -> np.ndarray:
    """``gram`` plus catalog tags as pseudo-users: ``w · mean(diag(gram)) · S Sᵀ`` for the
    items × tags indicator S, so two items that share a tag gain co-occurrence as if that many
    users (a ``weight`` share of an average item's count) had taken both. Items with no
    interactions get item-item weights from their tags alone. ``weight`` 0 returns ``gram``."""

    def shared_tags() -> np.ndarray:
        if tags is None:
            raise InvalidInput(
                "tag_weight needs an item catalog with a tag column (--items FILE with "
                "genres/tags)",
                field="params",
            )
        s = sp.csr_matrix(tags, dtype=np.float64)
        return np.asarray((s @ s.T).toarray())

    return with_share(gram, weight, "tag_weight", shared_tags)


#: how many of its most similar catalog texts each item is pulled towards by ``text_weight``
TEXT_NEIGHBOURS = 10


def text_neighbours(content: np.ndarray, k: int = TEXT_NEIGHBOURS) -> sp.csr_matrix:
    """items × items, sparse: for each item, the cosine of its ``k`` most similar catalog texts
    (``content`` holds L2-normalized MiniLM embeddings, zero for an item without text), kept
    where positive and made symmetric by the larger of the two directions. Built in blocks of
    rows, so the full similarity matrix is never held; at most 2k entries per row are kept.
    Computed once per catalog while a training runs (``memory.remembered``)."""
    return recall("text_neighbours", (k, digest(content)), lambda: _neighbours(content, k))


def _neighbours(content: np.ndarray, k: int) -> sp.csr_matrix:
    n = content.shape[0]
    k = min(k, n - 1)
    if k < 1:
        return sp.csr_matrix((n, n), dtype=np.float64)
    emb = np.asarray(content, dtype=np.float32)
    rows_, cols_, vals_ = [], [], []
    for lo in range(0, n, 1024):
        sim = emb[lo : lo + 1024] @ emb.T
        rows = np.arange(sim.shape[0])
        sim[rows, rows + lo] = -np.inf  # never an item's own neighbour
        top = np.argpartition(-sim, k - 1, axis=1)[:, :k]
        rows_.append(np.repeat(rows + lo, k))
        cols_.append(top.ravel())
        vals_.append(np.maximum(np.take_along_axis(sim, top, axis=1), 0).ravel())
    one_way = sp.csr_matrix(
        (
            np.concatenate(vals_).astype(np.float64),
            (np.concatenate(rows_), np.concatenate(cols_)),
        ),
        shape=(n, n),
    )
    found = sp.csr_matrix(one_way.maximum(one_way.T))
    found.eliminate_zeros()
    return found


def with_text(gram: np.ndarray, content: np.ndarray | None, weight: float) -> np.ndarray:
    """``gram`` plus ``w · mean(diag(gram)) · N`` for the catalog-text neighbours N
    (``text_neighbours``): items whose titles and descriptions read alike gain co-occurrence as
    if a ``weight`` share of an average item's users had taken both, so sequels and close
    relatives are pulled together, and an item nobody interacted with gets item-item weights
    from its text alone. ``weight`` 0 returns ``gram``."""

    def neighbours() -> np.ndarray:
        if content is None or not np.any(content):
            raise InvalidInput(
                "text_weight needs an item catalog with titles or text (--items FILE)",
                field="params",
            )
        return text_neighbours(content)

    return with_share(gram, weight, "text_weight", neighbours)


def symmetric_inverse(a: np.ndarray) -> np.ndarray:
    """The inverse of a symmetric matrix: by Cholesky (LAPACK potrf + potri, about twice as fast
    as LU for the positive definite regularized Grams of the EASE family), by LU when ``a`` is
    not positive definite (the text-neighbour share is not guaranteed to be). The inverse is
    formed in the factor's memory and its lower triangle mirrored from the upper one block by
    block, so besides ``a`` only one items × items array is held. The result is C-ordered
    (LAPACK's is Fortran-ordered; for a symmetric matrix its transpose is the same matrix, so
    this costs nothing): serving multiplies sparse histories by the weights, and scipy copies a
    Fortran-ordered right-hand side on every call."""
    if a.size == 0:
        return a.copy()
    factor, info = lapack.dpotrf(a, lower=False, clean=False)
    if info == 0:
        inverse, info = lapack.dpotri(factor, lower=False, overwrite_c=True)
        if info == 0:
            n = inverse.shape[0]
            for lo in range(0, n, 512):
                hi = min(lo + 512, n)
                inverse[lo:hi, :lo] = inverse[:lo, lo:hi].T
                block = inverse[lo:hi, lo:hi]
                below = np.tril_indices(hi - lo, -1)
                block[below] = block.T[below]
            return np.asarray(inverse.T if inverse.flags.f_contiguous else inverse)
    return np.asarray(np.linalg.inv(a))


def ease_weights(gram: np.ndarray, l2: float, dropout: float = 0.0) -> np.ndarray:
    """Steck (2019): B = I - P / diag(P) with P = (G + Λ)^-1, zero diagonal. Λ = λI for EASE;
    with ``dropout`` p > 0 it is Steck's (2020) EDLAE regularizer λI + p/(1-p) · diag(G): the
    closed form of training on histories with each item dropped with probability p, which
    regularizes popular items (large G_jj) more."""
    a = gram.astype(np.float64, copy=True)
    a[np.diag_indices_from(a)] += l2 + dropout / (1.0 - dropout) * np.diag(gram)
    p = symmetric_inverse(a)
    del a
    p /= -np.diag(p)
    np.fill_diagonal(p, 0)
    return p.astype(np.float32)


class EASEScorer(Scorer):
    forgets: ClassVar[str] = (
        "the user's history, and their rows in the Gram matrix XᵀX; the item-item weights are "
        "recomputed without them (exact, one matrix inversion; the catalog tags' share of the "
        "Gram, which no user added, stays as trained)"
    )

    def __init__(
        self,
        l2: float,
        tag_weight: float = 0.0,
        dropout: float = 0.0,
        text_weight: float = 0.0,
        rating_power: float = 0.0,
    ) -> None:
        self.l2 = l2
        self.tag_weight = tag_weight
        self.dropout = dropout
        self.text_weight = text_weight
        self.rating_power = rating_power
        self.confidence = Confidence(rating_power)
        self.gram_ = np.zeros((0, 0), np.float32)
        self.weights_ = np.zeros((0, 0), np.float32)

    def fit(
        self,
        X: sp.csr_matrix,
        content: np.ndarray | None,
        seed: int,
        *,
        times: sp.csr_matrix | None = None,
        tags: sp.csr_matrix | None = None,
        ratings: sp.csr_matrix | None = None,
    ) -> EASEScorer:
        weighted = self.confidence.fit(X, ratings)
        gram = np.asarray((weighted.T @ weighted).toarray(order="C"), dtype=np.float64)
        gram = with_text(with_tags(gram, tags, self.tag_weight), content, self.text_weight)
        self.gram_ = gram.astype(np.float32)
        self.weights_ = ease_weights(gram, self.l2, self.dropout)
        return self

    def score(self, rows: sp.csr_matrix, users: np.ndarray) -> np.ndarray:
        return np.asarray(self.confidence.weigh(rows, users) @ self.weights_, dtype=np.float32)

    def affinity(self, history: np.ndarray, targets: np.ndarray) -> np.ndarray:
        return self.weights_[np.ix_(history, targets)]

    def forget(self, row: sp.csr_matrix, user: int) -> EASEScorer:
        x = dense_rows(self.confidence.weigh(row, np.asarray([user])))
        new = EASEScorer(
            self.l2, self.tag_weight, self.dropout, self.text_weight, self.rating_power
        )
        new.confidence = self.confidence.without(user)
        new.gram_ = np.maximum(self.gram_ - x.T @ x, 0)
        new.weights_ = ease_weights(new.gram_, self.l2, self.dropout)
        return new

    def arrays(self) -> dict[str, np.ndarray]:
        return {"gram": self.gram_, "weights": self.weights_, **self.confidence.arrays()}

    def restore(self, arrays: dict[str, np.ndarray], content: np.ndarray | None) -> EASEScorer:
        self.gram_ = arrays["gram"]
        self.weights_ = arrays["weights"]
        self.confidence.restore(arrays)
        return self


class EASE(RecAlgorithm):
    name = "ease"
    dense_items = True
    description = (
        "EASE (Steck 2019): closed-form item-item linear autoencoder, L2-regularized, with "
        "EDLAE's dropout regularizer as an option (dropout); with a catalog, its tags can join "
        "the Gram as pseudo-users (tag_weight) and items with similar texts can be pulled "
        "together (text_weight); explicit ratings can weigh the interactions (rating_power)"
    )
    grid = tuple({"l2": v} for v in (50.0, 150.0, 300.0, 500.0, 700.0, 1000.0, 2000.0))
    rating_grid = RATING_GRID
    tag_grid = (0.03, 0.1, 0.3, 1.0)
    text_grid = (0.03, 0.1)
    dropout_grid = (0.25, 0.5)

    def __init__(
        self,
        *,
        l2: float = 500.0,
        tag_weight: float = 0.0,
        dropout: float = 0.0,
        text_weight: float = 0.0,
        rating_power: float = 0.0,
    ) -> None:
        self.l2 = l2
        self.tag_weight = tag_weight
        self.dropout = dropout
        self.text_weight = text_weight
        self.rating_power = rating_power

    def build(self, seed: int) -> EASEScorer:
        check_regularization(self.name, self.l2, self.dropout, self.rating_power)
        return EASEScorer(**self.float_params())


def check_regularization(name: str, l2: float, dropout: float, rating_power: float) -> None:
    """The L2, dropout and rating power of the EASE family, numbers (``check_numbers``);
    ``tag_weight`` is checked by ``with_tags``."""
    if not l2 > 0:
        raise InvalidInput(f"{name} needs l2 > 0", field="params")
    if not 0 <= dropout < 1:
        raise InvalidInput(f"{name} needs 0 <= dropout < 1", field="params")
    check_power(name, rating_power)
