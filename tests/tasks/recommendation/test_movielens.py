"""A small real slice of MovieLens-100K (read from the shared data folder, never copied)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from limelight.data.datasets import movielens_items, movielens_ratings
from limelight.registry import ModelVersion, Registry
from limelight.runtime import load
from limelight.tasks.recommendation import Recommender
from limelight.tasks.recommendation.schemas import RecommendInput, SimilarInput
from limelight.training import train

COLUMNS = {"user": "user_id", "item": "item_id", "rating": "rating", "time": "timestamp"}


@pytest.fixture(scope="module")
def slice_files(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    ratings = movielens_ratings(data_dir)
    users = sorted(ratings["user_id"].unique(), key=int)[:150]
    part = ratings[ratings["user_id"].isin(users)]
    out = tmp_path_factory.mktemp("ml")
    part.to_csv(out / "ratings.csv", index=False)
    # the slice's movies plus 30 nobody in it rated (cold items), to keep the test short
    items = movielens_items(data_dir)
    rated = items["item_id"].isin(set(part["item_id"]))
    pd.concat([items[rated], items[~rated].head(30)]).to_csv(out / "items.csv", index=False)
    return out / "ratings.csv", out / "items.csv"


def train_slice(
    registry: Registry,
    files: tuple[Path, Path],
    name: str,
    algorithm: str,
    params: dict[str, dict[str, Any]] | None = None,
) -> ModelVersion:
    """Train on the slice's ratings with its catalog."""
    ratings, items = files
    return train(
        registry,
        "recommendation",
        ratings,
        name=name,
        columns=COLUMNS,
        algorithm=algorithm,
        params=params,
        extra={"items": str(items)},
    )


def assert_recommends_unseen(recs: Recommender, user: str) -> None:
    """A known user gets 10 personalized items, none already seen, each explained by seen ones."""
    seen = set(recs.history_of(user))
    answer = recs.recommend(RecommendInput(user_id=user, k=10))
    ids = [i["item_id"] for i in answer["items"]]
    assert answer["strategy"] == "personalized" and len(ids) == 10 and not set(ids) & seen
    assert all(set(i.get("because", [])) <= seen for i in answer["items"])


@pytest.mark.slow
def test_every_algorithm_on_a_movielens_slice(
    registry: Registry, slice_files: tuple[Path, Path]
) -> None:
    ratings, _ = slice_files
    version = train_slice(
        registry,
        slice_files,
        "ml",
        "auto",
        # one configuration each keeps the test short; the benchmark runs the full search
        {
            "item-knn": {"neighbors": 100},
            "rp3beta": {"beta": 0.5},
            "ease": {"l2": 300.0},
            "time-ease": {"tau": 60.0},
            "als": {"iterations": 5},
            "bpr": {"iterations": 20, "factors": 32},
            "hybrid": {"l2": 300.0},
        },
    )
    board = version.manifest["leaderboard"]
    assert {row["algorithm"] for row in board} == {
        "popularity", "item-knn", "rp3beta", "ease", "time-ease", "als", "bpr", "content",
        "hybrid",
    }  # fmt: skip
    metrics = version.manifest["metrics"]
    assert metrics["ndcg@10"] > metrics["popularity_ndcg@10"]
    rated = pd.read_csv(ratings, dtype={"item_id": str})["item_id"].nunique()
    assert version.manifest["data"]["items"] == rated + 30  # unrated catalog items included

    recs = load(registry, "ml").predictor
    assert isinstance(recs, Recommender)
    answer = recs.recommend(RecommendInput(user_id="1", k=10, filter={"genres": ["Comedy"]}))
    assert len(answer["items"]) == 10 and all(i["title"] for i in answer["items"])
    star_wars = recs.similar(SimilarInput(item_id="50", k=5))
    assert star_wars["items"][0]["title"]
    # items no one in the slice rated still get content neighbours
    unrated = next(i for i in recs.items if recs._state.popularity[recs.item_index[i]] == 0)
    assert recs.similar(SimilarInput(item_id=unrated, k=3))["strategy"] == "content"

    started = time.perf_counter()
    for user in range(1, 101):
        recs.recommend(RecommendInput(user_id=str(user), k=10))
    per_call = (time.perf_counter() - started) / 100
    assert per_call < 0.05  # generous bound for a shared CI machine; the benchmark reports ms
    assert np.isfinite(per_call)


def test_rp3beta_on_a_movielens_slice_serves_forgets_and_round_trips(
    registry: Registry, slice_files: tuple[Path, Path]
) -> None:
    import scipy.sparse as sp

    from limelight.tasks.recommendation.algorithms import ALGORITHMS

    version = train_slice(registry, slice_files, "ml-rp3", "rp3beta")
    metrics = version.manifest["metrics"]
    assert metrics["ndcg@10"] > metrics["popularity_ndcg@10"]
    grid = ALGORITHMS["rp3beta"].grid  # one algorithm named: its search space is still tried
    assert {k: version.manifest["params"][k] for k in ("alpha", "beta")} in grid
    assert len(version.manifest["leaderboard"]) == len(grid)
    recs = load(registry, "ml-rp3").predictor
    assert isinstance(recs, Recommender)
    assert_recommends_unseen(recs, "7")
    assert recs.similar(SimilarInput(item_id="50", k=5))["strategy"] == "collaborative"

    # round trip: the stored arrays give the same scores as the scorer they came from
    state = recs._state
    restored = ALGORITHMS["rp3beta"](**version.manifest["params"]).build(0)
    restored.restore(state.scorer.arrays(), None)
    probe = sp.csr_matrix(state.history[:20])
    np.testing.assert_allclose(
        restored.score(probe, np.arange(20)), state.scorer.score(probe, np.arange(20)), rtol=1e-6
    )
    # forget-user is exact: equal to a fit on the log without the user
    recs.forget("7")
    assert recs.recommend(RecommendInput(user_id="7", k=5))["strategy"] == "popular"
    state = recs._state
    fresh = ALGORITHMS["rp3beta"](**version.manifest["params"]).build(0)
    fresh.fit(sp.csr_matrix(state.history), None, 0)
    np.testing.assert_allclose(
        state.scorer.score(probe, np.full(20, -1)),
        fresh.score(probe, np.full(20, -1)),
        rtol=1e-4,
        atol=1e-6,
    )


def test_time_ease_on_a_movielens_slice_serves_round_trips_and_forgets_exactly(
    registry: Registry, slice_files: tuple[Path, Path]
) -> None:
    import scipy.sparse as sp

    from limelight.tasks.recommendation.algorithms import ALGORITHMS
    from limelight.tasks.recommendation.task import matrix, rating_matrix, time_matrix

    ratings, _ = slice_files
    version = train(
        registry,
        "recommendation",
        ratings,
        name="ml-time",
        columns=COLUMNS,
        algorithm="ease,time-ease",
    )
    board = version.manifest["leaderboard"]
    best = {
        name: max(r["score"] for r in board if r["algorithm"] == name)
        for name in ("ease", "time-ease")
    }
    assert version.manifest["algorithm"] == max(best, key=lambda name: best[name])
    assert (
        version.manifest["metrics"]["ndcg@10"] > version.manifest["metrics"]["popularity_ndcg@10"]
    )
    timed = load(registry, "ml-time").predictor
    assert isinstance(timed, Recommender)
    if version.manifest["algorithm"] != "time-ease":  # serve time-ease itself below
        version = train(
            registry,
            "recommendation",
            ratings,
            name="ml-time",
            columns=COLUMNS,
            algorithm="time-ease",
        )
        timed = load(registry, "ml-time").predictor
        assert isinstance(timed, Recommender)
    params = version.manifest["params"]
    assert_recommends_unseen(timed, "7")
    session = timed.recommend(RecommendInput(user_id="stranger", k=5, recent_items=["50", "181"]))
    assert session["strategy"] == "session" and not {"50", "181"} & {
        i["item_id"] for i in session["items"]
    }

    # round trip: the stored arrays (loaded from disk) give the scorer that was trained
    log = pd.read_csv(ratings, dtype={"user_id": str, "item_id": str}).rename(
        columns={"user_id": "user", "item_id": "item", "timestamp": "time"}
    )
    users = {u: i for i, u in enumerate(sorted(log["user"].unique()))}
    items = {item: i for i, item in enumerate(timed.items)}
    fitted = ALGORITHMS["time-ease"](**params).build(0)
    fitted.fit(
        matrix(log, users, items),
        None,
        0,
        times=time_matrix(log, users, items),
        ratings=rating_matrix(log, users, items),
    )
    probe = sp.csr_matrix(timed._state.history[:20])
    np.testing.assert_allclose(
        timed._state.scorer.score(probe, np.arange(20)),
        fitted.score(probe, np.arange(20)),
        rtol=1e-5,
        atol=1e-6,
    )
    # forget-user is exact: equal to a fit on the log without the user
    timed.forget("7")
    assert timed.recommend(RecommendInput(user_id="7", k=5))["strategy"] == "popular"
    rest = log[log["user"] != "7"]
    fresh = ALGORITHMS["time-ease"](**params).build(0)
    fresh.fit(
        matrix(rest, users, items),
        None,
        0,
        times=time_matrix(rest, users, items),
        ratings=rating_matrix(rest, users, items),
    )
    np.testing.assert_allclose(
        timed._state.scorer.score(probe, np.full(20, -1)),
        fresh.score(probe, np.full(20, -1)),
        rtol=1e-4,
        atol=1e-5,
    )


def test_ease_searches_catalog_genres_on_a_movielens_slice(
    registry: Registry, slice_files: tuple[Path, Path]
) -> None:
    from limelight.tasks.recommendation.algorithms import ALGORITHMS

    version = train_slice(registry, slice_files, "ml-tags", "ease")
    manifest = version.manifest
    assert 15 <= manifest["data"]["catalog_tags"] <= 19  # MovieLens' genres
    board = manifest["leaderboard"]
    ease = ALGORITHMS["ease"]
    stages = (ease.grid, ease.rating_grid, ease.tag_grid, ease.text_grid, ease.dropout_grid)
    assert len(board) == sum(len(stage) for stage in stages)
    before_text = [row for row in board if row["params"]["dropout"] == row["params"]["text_weight"]]
    tagged = [row["score"] for row in before_text if row["params"]["tag_weight"] > 0]
    plain = [row["score"] for row in before_text if row["params"]["tag_weight"] == 0]
    assert len(tagged) == 4 and max(tagged) > max(plain) - 0.02  # genres do not hurt
    if manifest["params"]["tag_weight"] == 0:  # validation may keep them out; force them in
        train_slice(
            registry, slice_files, "ml-tags", "ease", {"ease": {"l2": 300.0, "tag_weight": 0.3}}
        )
    recs = load(registry, "ml-tags").predictor
    assert isinstance(recs, Recommender)
    assert_recommends_unseen(recs, "7")
    # the catalog's 30 movies nobody in the slice rated are scored from their genres
    unrated = [i for i in recs.items if recs._state.popularity[recs.item_index[i]] == 0]
    assert len(unrated) == 30
    state = recs._state
    user = state.user_index["7"]
    scores = state.scorer.score(state.history[user], np.asarray([user]))[0]
    cold = scores[[recs.item_index[i] for i in unrated]]  # plain EASE: all exactly 0
    assert np.isfinite(cold).all() and np.abs(cold).max() > 0
    assert len(np.unique(np.round(cold, 6))) > 5
