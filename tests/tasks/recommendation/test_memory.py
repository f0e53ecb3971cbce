"""Side matrices (catalog-text neighbours, time-weighted Grams) are computed once per training
and shared read-only by its fits; nothing is kept outside a training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from limelight.registry import Registry
from limelight.tasks.recommendation.algorithms import ease
from limelight.tasks.recommendation.algorithms.ease import text_neighbours
from limelight.tasks.recommendation.algorithms.memory import remembered
from limelight.tasks.recommendation.algorithms.time_ease import time_gram
from tests.tasks.recommendation.test_algorithms import train_recs


def unit_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    emb = rng.normal(size=(n, 4)).astype(np.float32)
    return emb / np.linalg.norm(emb, axis=1, keepdims=True)


def test_text_neighbours_are_kept_per_catalog_inside_a_training_only() -> None:
    emb = unit_rows(np.random.default_rng(1), 30)
    assert text_neighbours(emb, k=2) is not text_neighbours(emb, k=2)  # outside: fresh
    with remembered():
        first = text_neighbours(emb, k=2)
        assert text_neighbours(emb.copy(), k=2) is first  # same content: computed once
        with pytest.raises(ValueError):
            first.data[0] = 5.0  # shared between fits, so nobody may change it
        with remembered():  # a nested block shares the outer memory
            assert text_neighbours(emb, k=2) is first
        other = emb.copy()
        other[0] = other[1]
        assert text_neighbours(other, k=2) is not first  # other content: its own neighbours
        assert text_neighbours(emb, k=3) is not first
    assert text_neighbours(emb, k=2).data.flags.writeable


def test_the_last_time_gram_is_kept_beside_the_text_neighbours() -> None:
    times = sp.csr_matrix(np.array([[1000.0, 1060.0, 0.0], [5.0, 0.0, 99.0]]))
    times.eliminate_zeros()
    emb = unit_rows(np.random.default_rng(2), 3)
    assert time_gram(times, 60.0, 0.2) is not time_gram(times, 60.0, 0.2)
    with remembered():
        first = time_gram(times, 60.0, 0.2)
        neighbours = text_neighbours(emb, k=1)
        assert time_gram(sp.csr_matrix(times, copy=True), 60.0, 0.2) is first
        assert text_neighbours(emb, k=1) is neighbours  # one of each kind is kept
        with pytest.raises(ValueError):
            first[0, 0] = 1.0
        other = time_gram(times, 60.0, 0.3)
        assert other is not first and not np.array_equal(other, first)
        later = times.copy()
        later.data[0] += 1.0
        assert time_gram(later, 60.0, 0.3) is not other  # other times: computed again
        np.testing.assert_array_equal(time_gram(times, 60.0, 0.2), first)
    assert time_gram(times, 60.0, 0.2).flags.writeable


def test_a_training_computes_the_text_neighbours_once(
    registry: Registry, catalog_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    compute = ease._neighbours

    def counted(content: np.ndarray, k: int) -> sp.csr_matrix:
        calls.append(k)
        return compute(content, k)

    monkeypatch.setattr(ease, "_neighbours", counted)
    # auto's text stage (two fits), the hybrid, the test fit and the refit all use the catalog
    train_recs(registry, "ease,hybrid", name="texted", items=str(catalog_file))
    board = registry.resolve("texted").manifest["leaderboard"]
    assert sum(r["params"]["text_weight"] > 0 for r in board) >= 2
    assert calls == [ease.TEXT_NEIGHBOURS]
