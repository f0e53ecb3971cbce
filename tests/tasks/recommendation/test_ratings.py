"""Explicit ratings as confidence in the EASE family (rating_power): the weights, the weighted
Grams, serving known and unknown users, exact forget, the store round trip, auto's stage and
the clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from limelight.errors import InvalidInput
from limelight.registry import Registry
from limelight.tasks.recommendation import store
from limelight.tasks.recommendation.algorithms import ALGORITHMS
from limelight.tasks.recommendation.algorithms.ratings import RATING_GRID, Confidence
from limelight.tasks.recommendation.algorithms.time_ease import pair_weights, time_gram
from limelight.tasks.recommendation.schemas import RecommendInput
from limelight.tasks.recommendation.task import matrix, rating_matrix, time_matrix
from limelight.training import train
from tests.tasks.recommendation.synthetic import catalog, interactions
from tests.tasks.recommendation.test_algorithms import (
    COLUMNS,
    forgotten,
    ratings_without,
    train_recs,
)

# user 0 rated items 0, 1, 2 with 1, 2, 3 (mean 2); user 1 rated items 1, 3 both 4 (mean 4)
RATINGS = sp.csr_matrix(np.array([[1.0, 2.0, 3.0, 0.0], [0.0, 4.0, 0.0, 4.0]]))
X = sp.csr_matrix((RATINGS > 0).astype(np.float32))


def test_confidence_is_the_rating_over_the_users_own_mean_to_the_power() -> None:
    confidence = Confidence(0.5)
    weighted = confidence.fit(X, RATINGS)
    np.testing.assert_allclose(
        weighted.toarray(), [[0.5**0.5, 1.0, 1.5**0.5, 0.0], [0.0, 1.0, 0.0, 1.0]]
    )
    # a stored interaction of a known user counts its confidence; anything else counts 1
    probe = sp.csr_matrix(np.array([[1.0, 0.0, 1.0, 1.0], [1.0, 0.0, 1.0, 1.0]], np.float32))
    out = confidence.weigh(probe, np.asarray([0, -1]))
    assert out.dtype == np.float32  # float32 weights are never copied to float64 per request
    np.testing.assert_allclose(out.toarray(), [[0.5**0.5, 0, 1.5**0.5, 1], [1, 0, 1, 1]])
    np.testing.assert_allclose(confidence.of(0, np.asarray([2, 3])), [1.5**0.5, 1.0])
    # a batch whose first and last rows are the same user, another user between them
    batch = sp.csr_matrix(np.ones((3, 4), np.float32))
    np.testing.assert_allclose(
        confidence.weigh(batch, np.asarray([0, 1, 0])).toarray(),
        [[0.5**0.5, 1, 1.5**0.5, 1], [1, 1, 1, 1], [0.5**0.5, 1, 1.5**0.5, 1]],
    )
    # power 0: the 0/1 interactions, nothing stored, rows untouched
    plain = Confidence(0.0)
    assert plain.fit(X, None).toarray().tolist() == X.toarray().tolist()
    assert plain.arrays() == {} and plain.weigh(probe, np.asarray([0, 1])) is probe


def test_forgotten_user_loses_their_confidences_only() -> None:
    confidence = Confidence(1.0)
    confidence.fit(X, RATINGS)
    rest = confidence.without(0)
    probe = sp.csr_matrix(np.ones((2, 4), np.float32))
    np.testing.assert_allclose(rest.weigh(probe, np.asarray([0, 1])).toarray()[0], 1.0)
    np.testing.assert_allclose(
        rest.weigh(probe, np.asarray([0, 1])).toarray()[1],
        confidence.weigh(probe, np.asarray([0, 1])).toarray()[1],
    )


def test_ease_weighs_its_gram_and_the_known_users_history() -> None:
    model = ALGORITHMS["ease"](l2=1.0, rating_power=1.0).build(0).fit(X, None, 0, ratings=RATINGS)
    W = RATINGS.toarray() / np.array([[2.0], [4.0]])
    np.testing.assert_allclose(model.gram_, W.T @ W, rtol=1e-6)
    known = model.score(X[:1], np.asarray([0]))
    np.testing.assert_allclose(known, W[:1] @ model.weights_, rtol=1e-5)
    unknown = model.score(X[:1], np.asarray([-1]))  # the same items, unweighted
    np.testing.assert_allclose(unknown, X[:1].toarray() @ model.weights_, rtol=1e-5)
    assert not np.allclose(known, unknown)
    # equal ratings everywhere: exactly the unweighted model
    flat = sp.csr_matrix((np.full(X.nnz, 3.0), X.indices, X.indptr), shape=X.shape)
    same = ALGORITHMS["ease"](l2=1.0, rating_power=1.0).build(0).fit(X, None, 0, ratings=flat)
    plain = ALGORITHMS["ease"](l2=1.0).build(0).fit(X, None, 0)
    np.testing.assert_allclose(same.weights_, plain.weights_, rtol=1e-6)


def test_time_gram_multiplies_each_pair_by_both_confidences() -> None:
    times = sp.csr_matrix((np.asarray([0.0, 30.0, 3600.0, 10.0, 20.0]), X.indices, X.indptr))
    weights = Confidence(1.0).fit(X, RATINGS)
    gram = time_gram(times, 60.0, 0.2, weights)
    expected = np.zeros((4, 4))
    for user in range(2):
        lo, hi = X.indptr[user], X.indptr[user + 1]
        items, w = X.indices[lo:hi], weights.data[lo:hi]
        expected[np.ix_(items, items)] += pair_weights(times.data[lo:hi], 60.0, 0.2) * np.outer(
            w, w
        )
    np.testing.assert_allclose(gram, expected)
    assert not np.allclose(gram, time_gram(times, 60.0, 0.2))


@pytest.mark.parametrize("name", ["ease", "time-ease", "hybrid"])
def test_forget_with_rating_power_is_exact_and_the_model_round_trips(
    registry: Registry, tmp_path: Path, name: str
) -> None:
    items = tmp_path / "items.csv"
    catalog().to_csv(items, index=False)
    params = {"l2": 5.0, "rating_power": 0.5}
    recs = train_recs(registry, name, items=str(items), params={name: params})
    manifest = registry.resolve("recs").manifest
    assert manifest["params"]["rating_power"] == 0.5
    scorer = recs._state.scorer
    # the stored confidences come back from disk: known users score the same after loading
    saved = tmp_path / "saved"
    saved.mkdir()
    store.save(
        saved,
        scorer=scorer,
        users=list(recs._state.user_index),
        items=recs.items,
        history=recs._state.history,
        catalog=None,
        embeddings=recs.embeddings,
    )
    loaded = store.load(saved, manifest)._state.scorer
    probe = sp.csr_matrix(recs._state.history[:8])
    np.testing.assert_allclose(
        loaded.score(probe, np.arange(8)), scorer.score(probe, np.arange(8)), rtol=1e-6
    )

    after, history = forgotten(recs, "u3")
    fresh = ALGORITHMS[name](**manifest["params"]).build(0)
    log = interactions().rename(columns={"user_id": "user", "item_id": "item", "ts": "time"})
    log = log[log["user"] != "u3"]
    users = {u: i for i, u in enumerate(sorted(interactions()["user_id"].unique()))}
    fresh.fit(
        history,
        recs.embeddings,
        0,
        times=time_matrix(log, users, recs.item_index),
        ratings=ratings_without(interactions(), "u3", recs.item_index),
    )
    users_kept = np.flatnonzero(np.diff(history.indptr) > 0)[:8]
    np.testing.assert_allclose(
        after.score(history[users_kept], users_kept),
        fresh.score(history[users_kept], users_kept),
        rtol=1e-4,
        atol=1e-5,
    )


def train_log(registry: Registry, log: pd.DataFrame, name: str, **kw: Any) -> Any:
    return train(registry, "recommendation", log, name=name, columns=COLUMNS, **kw)


def test_auto_tries_rating_powers_first_on_top_of_the_grids_best(registry: Registry) -> None:
    version = train_log(registry, interactions(), "rated", algorithm="ease,time-ease")
    board = version.manifest["leaderboard"]
    for name in ("ease", "time-ease"):
        rows = [r for r in board if r["algorithm"] == name]
        grid = [r for r in rows if r["params"]["rating_power"] == r["params"]["dropout"] == 0]
        staged = [
            r
            for r in rows
            if r["params"]["rating_power"] > 0
            and r["params"]["tag_weight"] == r["params"]["text_weight"] == 0
            and r["params"]["dropout"] == 0
        ]
        assert sorted(r["params"]["rating_power"] for r in staged) == sorted(RATING_GRID)
        best = max(grid, key=lambda r: r["score"])["params"]
        for row in staged:
            assert {**row["params"], "rating_power": 0.0} == best
    # no rating column, or the same rating everywhere: nothing to weigh, no stage
    unrated = interactions().drop(columns="rating")
    columns = {"user": "user_id", "item": "item_id", "time": "ts"}
    plain = train(
        registry, "recommendation", unrated, name="unrated", columns=columns, algorithm="ease"
    )
    flat = train_log(registry, interactions().assign(rating=4.0), "flat", algorithm="ease")
    for version in (plain, flat):
        assert {r["params"]["rating_power"] for r in version.manifest["leaderboard"]} == {0.0}


def test_rating_power_without_usable_ratings_is_a_clear_error(registry: Registry) -> None:
    unrated = interactions().drop(columns="rating")
    columns = {"user": "user_id", "item": "item_id", "time": "ts"}
    with pytest.raises(InvalidInput, match="--rating COLUMN"):
        train(
            registry,
            "recommendation",
            unrated,
            name="x",
            columns=columns,
            algorithm="ease",
            params={"ease": {"rating_power": 0.5}},
        )
    zero = interactions().assign(rating=lambda f: f["rating"] - 1)  # some ratings are 0
    with pytest.raises(InvalidInput, match="every rating > 0"):
        train_log(
            registry, zero, "x", algorithm="time-ease", params={"time-ease": {"rating_power": 1}}
        )
    with pytest.raises(InvalidInput, match=r"^ease needs 0 <= rating_power <= 4"):
        train_log(
            registry, interactions(), "x", algorithm="ease", params={"ease": {"rating_power": 5}}
        )
    assert registry.list_models() == []


def test_rating_matrix_has_the_interactions_sparsity() -> None:
    frame = pd.DataFrame(
        {"user": ["b", "a", "a", "a"], "item": ["y", "x", "y", "x"], "rating": [5.0, 1.0, 2.0, 3.0]}
    )
    users, items = {"a": 0, "b": 1}, {"x": 0, "y": 1}
    ratings = rating_matrix(frame, users, items)
    X = matrix(frame, users, items)
    assert np.array_equal(ratings.indptr, X.indptr) and np.array_equal(ratings.indices, X.indices)
    assert ratings.toarray().tolist() == [[3.0, 2.0], [0.0, 5.0]]  # a repeated pair: the last row


def test_served_known_users_are_weighed_also_with_recent_items(registry: Registry) -> None:
    recs = train_recs(registry, "ease", params={"ease": {"l2": 5.0, "rating_power": 1.0}})
    state = recs._state
    user = state.user_index["u0"]
    row = sp.csr_matrix(state.history[user])
    weighted = state.scorer.score(row, np.asarray([user]))[0]
    plain = state.scorer.score(row, np.asarray([-1]))[0]
    assert not np.allclose(weighted, plain)
    answer = recs.recommend(RecommendInput(user_id="u0", k=3))
    for item in answer["items"]:
        assert item["score"] == pytest.approx(weighted[recs.item_index[item["item_id"]]], abs=1e-5)

    def extended(items: list[str]) -> sp.csr_matrix:
        grown = row.copy().tolil()
        for item in items:
            grown[0, recs.item_index[item]] = 1.0
        return sp.csr_matrix(grown)

    # recent items join a known user's history: their stored interactions keep their weights,
    # the recent items count 1
    seen = set(recs.history_of("u0"))
    extra = next(i for i in recs.items if i not in seen)
    with_recent = recs.recommend(RecommendInput(user_id="u0", k=3, recent_items=[extra]))
    assert with_recent["strategy"] == "personalized"
    expected = state.scorer.score(extended([extra]), np.asarray([user]))[0]
    assert not np.allclose(expected, state.scorer.score(extended([extra]), np.asarray([-1]))[0])
    for item in with_recent["items"]:
        assert item["score"] == pytest.approx(expected[recs.item_index[item["item_id"]]], abs=1e-5)
    # an unknown user's session: every item counts 1
    session = recs.recommend(RecommendInput(user_id="stranger", k=3, recent_items=sorted(seen)))
    assert session["strategy"] == "session"
    for item in session["items"]:
        assert item["score"] == pytest.approx(plain[recs.item_index[item["item_id"]]], abs=1e-5)
