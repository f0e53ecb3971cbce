"""A small real slice of MovieLens-100K (read from the shared data folder, never copied)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from limelight.data.datasets import movielens_items, movielens_ratings
from limelight.registry import Registry
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


@pytest.mark.slow
def test_every_algorithm_on_a_movielens_slice(
    registry: Registry, slice_files: tuple[Path, Path]
) -> None:
    ratings, items = slice_files
    version = train(
        registry,
        "recommendation",
        ratings,
        name="ml",
        columns=COLUMNS,
        algorithm="auto",
        # one configuration each keeps the test short; the benchmark runs the full search
        params={
            "item-knn": {"neighbors": 100},
            "ease": {"l2": 300.0},
            "als": {"iterations": 5},
            "bpr": {"iterations": 20, "factors": 32},
            "hybrid": {"l2": 300.0},
        },
        extra={"items": str(items)},
    )
    board = version.manifest["leaderboard"]
    assert {row["algorithm"] for row in board} == {
        "popularity", "item-knn", "ease", "als", "bpr", "content", "hybrid"
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
