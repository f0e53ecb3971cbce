"""ALS's L2 relative to the data: λ = relative_regularization · alpha · noise_edge(X), stored with the
factors (folding a user in needs it), an absolute λ on request, auto's grid and its rescale
stage, and the clear errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

from limelight.errors import InvalidInput
from limelight.registry import Registry
from limelight.runtime import load
from limelight.tasks.recommendation import Recommender
from limelight.tasks.recommendation.algorithms import ALGORITHMS
from limelight.tasks.recommendation.algorithms.factors import ALSScorer, noise_edge
from limelight.tasks.recommendation.task import matrix
from limelight.training import train
from tests.tasks.recommendation.synthetic import interactions
from tests.tasks.recommendation.test_algorithms import COLUMNS, train_recs


def log_matrix() -> sp.csr_matrix:
    frame = interactions().rename(columns={"user_id": "user", "item_id": "item"})
    users = {u: i for i, u in enumerate(sorted(frame["user"].unique()))}
    items = {t: i for i, t in enumerate(sorted(frame["item"].unique()))}
    return matrix(frame, users, items)


def fold_in_error(scorer: ALSScorer, X: sp.csr_matrix) -> float:
    """How far folding each user's history in lands from the vector ALS learned for them (the
    same half-step with the same λ lands close; another λ does not)."""
    errors = []
    for user in range(X.shape[0]):
        history = X.indices[X.indptr[user] : X.indptr[user + 1]]
        learned = scorer.user_factors_[user]
        errors.append(np.linalg.norm(scorer.fold_in(history) - learned) / np.linalg.norm(learned))
    return float(np.mean(errors))


def test_lambda_is_relative_to_the_noise_level_of_the_interactions() -> None:
    X = log_matrix()  # 60 users with 10 interactions each, 80 items
    edge = np.sqrt(600 / 60) + np.sqrt(600 / 80)
    assert noise_edge(X) == pytest.approx(edge)
    scorer = ALGORITHMS["als"](relative_regularization=0.5, alpha=3.0).build(0).fit(X, None, 0)
    assert isinstance(scorer, ALSScorer)
    assert scorer.lambda_ == pytest.approx(0.5 * 3.0 * edge)
    assert fold_in_error(scorer, X) < 0.2
    # the λ used travels with the factors: a restored scorer folds users in the same way
    restored = ALGORITHMS["als"](relative_regularization=0.5, alpha=3.0).build(0)
    restored.restore(scorer.arrays(), None)
    assert restored.lambda_ == scorer.lambda_
    np.testing.assert_allclose(restored.fold_in(X.indices[:5]), scorer.fold_in(X.indices[:5]))
    # any other λ folds users in elsewhere
    wrong = ALGORITHMS["als"](relative_regularization=0.5, alpha=3.0).build(0)
    wrong.restore({**scorer.arrays(), "regularization": np.asarray([0.1])}, None)
    assert fold_in_error(wrong, X) > 0.4


def test_an_absolute_regularization_is_used_as_it_is() -> None:
    X = log_matrix()
    scorer = ALGORITHMS["als"](regularization=0.5).build(0).fit(X, None, 0)
    assert isinstance(scorer, ALSScorer) and scorer.lambda_ == 0.5
    # a model saved before λ was relative has no stored λ: its own parameter is it
    legacy = {k: v for k, v in scorer.arrays().items() if k != "regularization"}
    old = ALGORITHMS["als"](regularization=0.5).build(0).restore(legacy, None)
    assert isinstance(old, ALSScorer) and old.lambda_ == 0.5


def test_auto_searches_the_relative_l2_then_rescales_the_best(
    registry: Registry,
) -> None:
    version = train(
        registry, "recommendation", interactions(), name="als", columns=COLUMNS, algorithm="als"
    )
    rows = version.manifest["leaderboard"]

    def key(row: dict[str, Any]) -> tuple[float, float]:
        return row["params"]["alpha"], row["params"]["relative_regularization"]

    grid = {(3.0, p["relative_regularization"]) for p in ALGORITHMS["als"].grid}
    tried = [r for r in rows if key(r) in grid]
    assert {key(r) for r in tried} == grid and len(tried) == len(grid)
    best = max(tried, key=lambda r: r["score"])["params"]
    rescaled = [r["params"] for r in rows if key(r) not in grid]
    relative = best["relative_regularization"]
    assert sorted(p["relative_regularization"] for p in rescaled) == [
        pytest.approx(relative * 0.8, rel=1e-3),
        pytest.approx(relative * 1.25, rel=1e-3),
    ]
    for params in rescaled:
        assert {**params, "relative_regularization": relative} == best
    # the refit reuses the λ the winning validated fit came to, as an absolute λ
    winner = max(rows, key=lambda r: r["score"])
    lam = winner["fitted"]["regularization"]
    assert lam > 0 and version.manifest["params"] == {**winner["params"], "regularization": lam}
    served = load(registry, "als").predictor
    assert isinstance(served, Recommender) and isinstance(served._state.scorer, ALSScorer)
    assert served._state.scorer.lambda_ == lam
    # parameters the user gives are trained as given: no grid, no rescale stage
    given = train(
        registry,
        "recommendation",
        interactions(),
        name="als-given",
        columns=COLUMNS,
        algorithm="als",
        params={"als": {"alpha": 2.0}},
    )
    assert [r["params"]["alpha"] for r in given.manifest["leaderboard"]] == [2.0]


@pytest.mark.parametrize(
    ("params", "needs"),
    [
        ({"factors": 0}, "factors >= 1"),
        ({"iterations": 0}, "iterations >= 1"),
        ({"alpha": 0}, "alpha > 0"),
        ({"relative_regularization": 0}, "relative_regularization > 0"),
        ({"regularization": -1}, "regularization >= 0"),
    ],
)
def test_bad_als_parameters_are_clear_errors(
    registry: Registry, params: dict[str, float], needs: str
) -> None:
    with pytest.raises(InvalidInput, match=needs):
        train_recs(registry, "als", params={"als": params})
    assert registry.list_models() == []
