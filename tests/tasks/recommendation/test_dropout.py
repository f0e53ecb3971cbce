"""EDLAE's dropout regularizer (Steck 2020) in the EASE family, and parameter checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

from limelight.errors import InvalidInput
from limelight.registry import Registry
from limelight.tasks.recommendation.algorithms import ALGORITHMS
from limelight.tasks.recommendation.algorithms.ease import ease_weights
from tests.tasks.recommendation.synthetic import catalog
from tests.tasks.recommendation.test_algorithms import forgotten, train_recs


def column_by_column(gram: np.ndarray, penalty: np.ndarray) -> np.ndarray:
    """Each column j of B solved on its own: min ||x_j - X b||² + Σ_k penalty_k b_k² over b
    with b_j = 0, i.e. b = (G + diag(penalty))[-j,-j]^-1 G[-j, j]."""
    n = gram.shape[0]
    out = np.zeros((n, n))
    for j in range(n):
        rest = np.delete(np.arange(n), j)
        a = gram[np.ix_(rest, rest)] + np.diag(penalty[rest])
        out[rest, j] = np.linalg.solve(a, gram[rest, j])
    return out


def test_dropout_is_an_item_specific_l2_growing_with_popularity() -> None:
    rng = np.random.default_rng(0)
    X = (rng.random((40, 12)) < 0.3).astype(np.float64)
    gram = X.T @ X
    for p in (0.0, 0.25, 0.5):
        penalty = 2.0 + p / (1 - p) * np.diag(gram)
        np.testing.assert_allclose(
            ease_weights(gram, 2.0, p), column_by_column(gram, penalty), rtol=1e-4, atol=1e-6
        )
    # the scorers use it: same weights as the function, and dropout changes them
    model = ALGORITHMS["ease"](l2=2.0, dropout=0.5).build(0).fit(sp.csr_matrix(X), None, 0)
    np.testing.assert_allclose(model.weights_, ease_weights(gram, 2.0, 0.5), rtol=1e-5)
    assert not np.allclose(model.weights_, ease_weights(gram, 2.0), atol=1e-3)


def test_auto_tries_dropout_last_on_top_of_the_best_so_far(
    registry: Registry, tmp_path: Path
) -> None:
    items = tmp_path / "items.csv"
    catalog().to_csv(items, index=False)
    train_recs(registry, "ease,time-ease,hybrid", items=str(items))
    board = registry.resolve("recs").manifest["leaderboard"]
    for name in ("ease", "time-ease"):
        rows = [r for r in board if r["algorithm"] == name]
        staged = [r for r in rows if r["params"]["dropout"] > 0]
        assert sorted(r["params"]["dropout"] for r in staged) == sorted(
            ALGORITHMS[name].dropout_grid
        )
        # the dropout stage keeps every other parameter of the best earlier configuration
        earlier = max((r for r in rows if r["params"]["dropout"] == 0), key=lambda r: r["score"])
        for row in staged:
            assert {**row["params"], "dropout": 0.0} == earlier["params"]
    best_ease = max((r for r in board if r["algorithm"] == "ease"), key=lambda r: r["score"])
    for row in (r for r in board if r["algorithm"] == "hybrid"):
        assert row["params"]["dropout"] == best_ease["params"]["dropout"]
        assert row["params"]["l2"] == best_ease["params"]["l2"]


@pytest.mark.parametrize("name", ["ease", "time-ease"])
def test_forget_with_dropout_is_exact(registry: Registry, name: str) -> None:
    recs = train_recs(registry, name, params={name: {"l2": 5.0, "dropout": 0.5}})
    after, history = forgotten(recs, "u3")
    times = getattr(after, "times_", None)
    rest = ALGORITHMS[name](l2=5.0, dropout=0.5).build(0).fit(history, None, 0, times=times)
    np.testing.assert_allclose(after.weights_, rest.weights_, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize(
    "params",
    [
        {"dropout": 1.0},
        {"dropout": -0.1},
        {"dropout": float("nan")},
        {"dropout": "0.5"},
        {"dropout": True},
        {"l2": "100"},
        {"l2": 0},
    ],
)
@pytest.mark.parametrize("name", ["ease", "time-ease", "hybrid"])
def test_bad_regularization_fails_clearly_and_registers_nothing(
    registry: Registry, tmp_path: Path, name: str, params: dict[str, Any]
) -> None:
    items = tmp_path / "items.csv"
    catalog().to_csv(items, index=False)
    with pytest.raises(InvalidInput, match=f"^{name} needs "):
        train_recs(registry, name, items=str(items), params={name: params})
    assert registry.list_models() == []


@pytest.mark.parametrize(
    ("name", "param"),
    [(n, p) for n, a in ALGORITHMS.items() for p in a().get_params()],
)
def test_every_parameter_must_be_a_number(
    registry: Registry, tmp_path: Path, name: str, param: str
) -> None:
    items = tmp_path / "items.csv"
    catalog().to_csv(items, index=False)
    for bad in ("x", True, float("inf")):
        with pytest.raises(InvalidInput, match=f"{name} needs {param} to be a finite number"):
            train_recs(registry, name, items=str(items), params={name: {param: bad}})
    assert registry.list_models() == []
