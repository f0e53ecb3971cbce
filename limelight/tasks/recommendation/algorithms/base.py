"""The small interface every recommendation algorithm implements.

An algorithm (``RecAlgorithm``) holds explicit hyperparameters and builds a ``Scorer``. A scorer
is fitted on a users × items interaction matrix (and, when a catalog was given, L2-normalized item
embeddings; when the log has a time column, each interaction's time), then scores items for rows
of interaction history. Scoring from history rather than from stored user ids is what lets one
code path serve known users, unknown users with recent items, and forgotten users. Scorers
persist as plain numpy arrays (no pickle).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from limelight.errors import InvalidInput
from limelight.tasks.base import Algorithm


class Scorer(ABC):
    """A fitted recommendation model."""

    @abstractmethod
    def fit(
        self,
        X: sp.csr_matrix,
        content: np.ndarray | None,
        seed: int,
        *,
        times: sp.csr_matrix | None = None,
        tags: sp.csr_matrix | None = None,
        ratings: sp.csr_matrix | None = None,
    ) -> Scorer:
        """Learn from ``X`` (users × items, 1.0 per positive interaction). ``times``, when the
        log has a time column, holds each interaction's time in seconds with exactly the
        sparsity of ``X`` (see ``aligned_times``); scorers that do not use time ignore it.
        ``tags``, when the catalog has tag columns (genres...), is the items × tags indicator
        matrix (see ``catalog.tag_matrix``); scorers that do not use tags ignore it.
        ``ratings``, when the log has a rating column, holds each interaction's rating with the
        sparsity of ``X`` (see ``task.rating_matrix``); only the EASE family uses it, and only
        with ``rating_power`` > 0 (``ratings.Confidence``)."""

    #: the user index selects a learned per-user vector (matrix factorization) that stands for
    #: exactly the user's history as trained, so a known user's row with more items than that
    #: must be scored as a fold-in (-1); scorers without it only weigh a known user's stored
    #: interactions and score any row from the row itself
    learns_user_vectors: ClassVar[bool] = False

    @abstractmethod
    def score(self, rows: sp.csr_matrix, users: np.ndarray) -> np.ndarray:
        """Scores (len(rows) × items) for histories ``rows``; ``users`` holds each row's
        training user index, or -1 for a user the model did not train on (folded in). A known
        user's row may hold items beyond their trained history (a request's recent items)
        unless ``learns_user_vectors``."""

    def affinity(self, history: np.ndarray, targets: np.ndarray) -> np.ndarray | None:
        """How much each history item supports each target item (len(history) × len(targets)),
        used to explain recommendations; None when the algorithm cannot say."""
        return None

    def fitted_params(self) -> dict[str, Any]:
        """Parameters this fit derived from the data that a refit on more data should reuse as
        they are (ALS: the λ its relative L2 came to); empty for most scorers."""
        return {}

    def forget(self, row: sp.csr_matrix, user: int) -> Scorer:
        """A copy of this scorer with the contribution of one user's history removed where the
        algorithm allows it (default: nothing learned from users can be removed)."""
        return self

    #: what ``forget`` removes, for the documentation and the API answer
    forgets: ClassVar[str] = (
        "the user's history (their own recommendations fall back to cold start)"
    )

    @abstractmethod
    def arrays(self) -> dict[str, np.ndarray]:
        """Learned state as named numpy arrays."""

    @abstractmethod
    def restore(self, arrays: dict[str, np.ndarray], content: np.ndarray | None) -> Scorer:
        """Set learned state from ``arrays`` (as returned by ``arrays()``); returns self."""


class RecAlgorithm(Algorithm):
    """A recommendation candidate: explicit hyperparameters, a search space for auto mode."""

    needs_content: ClassVar[bool] = False
    #: fit() needs ``times`` (auto mode skips the algorithm when the log has no time column)
    needs_time: ClassVar[bool] = False
    #: the model holds dense items × items matrices (memory grows with items², fitting EASE
    #: with items³): training refuses it above the ``max_dense_items`` option
    dense_items: ClassVar[bool] = False
    #: parameter sets tried by auto mode (each merged over the defaults)
    grid: ClassVar[tuple[dict[str, Any], ...]] = ({},)
    #: ``tag_weight`` values auto mode tries on top of the best of ``grid`` when the catalog
    #: has tags (empty: the algorithm does not use tags)
    tag_grid: ClassVar[tuple[float, ...]] = ()
    #: ``text_weight`` values auto mode tries next, on top of the best so far, when the catalog
    #: has text (empty: the algorithm does not use catalog-text neighbours)
    text_grid: ClassVar[tuple[float, ...]] = ()
    #: (parameter, factors): auto mode tries the best of ``grid`` with that parameter multiplied
    #: by each factor, to refine a parameter whose best value the grid brackets only coarsely
    rescale_grid: ClassVar[tuple[tuple[str, tuple[float, ...]], ...]] = ()
    #: ``rating_power`` values auto mode tries first after ``grid``, on top of its best, when the
    #: log has ratings (empty: the algorithm does not weigh interactions by their ratings)
    rating_grid: ClassVar[tuple[float, ...]] = ()
    #: ``dropout`` values (EDLAE's regularizer) auto mode tries last, on top of the best so far
    dropout_grid: ClassVar[tuple[float, ...]] = ()

    def check_numbers(self) -> None:
        """Every recommendation parameter is a number: text, a bool, NaN or infinity is a clear
        InvalidInput (ranges are each algorithm's ``build`` to check)."""
        for name, value in self.get_params().items():
            if not finite(value):
                raise InvalidInput(
                    f"{self.name} needs {name} to be a finite number, not {value!r}",
                    field="params",
                )

    def float_params(self) -> dict[str, float]:
        """Every parameter as a float, for scorers built from numbers named as the parameters."""
        return {name: float(value) for name, value in self.get_params().items()}

    @abstractmethod
    def build(self, seed: int) -> Scorer: ...


def finite(value: object) -> bool:
    """A real number (not a bool, not text), finite."""
    return isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)


def dense_rows(rows: sp.csr_matrix) -> np.ndarray:
    return np.asarray(rows.toarray(), dtype=np.float32)


def cosine_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


def aligned_times(X: sp.csr_matrix, times: sp.csr_matrix | None) -> sp.csr_matrix:
    """``times`` checked to hold one time per interaction of ``X``, in X's order."""
    if times is None:
        from limelight.errors import InvalidInput

        raise InvalidInput(
            "this algorithm needs the time of each interaction: pass --time COLUMN", field="time"
        )
    if (
        times.shape != X.shape
        or not np.array_equal(times.indptr, X.indptr)
        or not np.array_equal(times.indices, X.indices)
    ):
        raise ValueError("times must have exactly the sparsity pattern of the interactions")
    return times
