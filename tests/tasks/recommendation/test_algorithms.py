"""Every algorithm trains, registers, loads (numpy + JSON, checksummed) and serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from limelight.registry import Registry
from limelight.runtime import load
from limelight.tasks.recommendation import Recommender, store
from limelight.tasks.recommendation.algorithms import ALGORITHMS
from limelight.tasks.recommendation.algorithms.base import Scorer
from limelight.tasks.recommendation.recommender import UnknownItem, UnknownUser
from limelight.tasks.recommendation.schemas import RecommendInput, SimilarInput
from limelight.tasks.recommendation.task import rating_matrix
from limelight.training import train
from tests.tasks.recommendation.synthetic import GENRES, interactions

COLUMNS = {"user": "user_id", "item": "item_id", "rating": "rating", "time": "ts"}
COLLABORATIVE = ("popularity", "item-knn", "rp3beta", "ease", "time-ease", "als", "bpr")


def genre_of(item: str) -> str:
    return GENRES[int(item[1:]) % len(GENRES)]


# the tiny log needs a faster learning rate than MovieLens-sized data
TINY_PARAMS = {"bpr": {"factors": 16, "learning_rate": 0.05, "iterations": 200}}


def train_recs(
    registry: Registry,
    algorithm: str,
    name: str = "recs",
    params: dict[str, dict[str, Any]] | None = None,
    **extra: Any,
) -> Recommender:
    train(
        registry,
        "recommendation",
        interactions(),
        name=name,
        columns=COLUMNS,
        algorithm=algorithm,
        params={**TINY_PARAMS, **(params or {})},
        extra=extra,
    )
    predictor = load(registry, name).predictor
    assert isinstance(predictor, Recommender)
    return predictor


def forgotten(recs: Recommender, user_id: str) -> tuple[Scorer, sp.csr_matrix]:
    """Forgets ``user_id``: the scorer after it, and the served history (their row empty)."""
    row = recs._state.user_index[user_id]
    recs.forget(user_id)
    history = sp.csr_matrix(recs._state.history)
    history.sort_indices()
    assert history[row].nnz == 0
    return recs._state.scorer, history


def ratings_without(log: pd.DataFrame, user_id: str, items: dict[str, int]) -> sp.csr_matrix:
    """The log's ratings without ``user_id``, in the model's user order (sorted ids; the
    forgotten user keeps an empty row) and item order, for a refit to compare a forget with."""
    users = {u: i for i, u in enumerate(sorted(log["user_id"].unique()))}
    rest = log[log["user_id"] != user_id].rename(columns={"user_id": "user", "item_id": "item"})
    return rating_matrix(rest, users, items)


@pytest.mark.parametrize("algorithm", COLLABORATIVE)
def test_collaborative_algorithms_train_and_serve(registry: Registry, algorithm: str) -> None:
    recs = train_recs(registry, algorithm)
    version = registry.resolve("recs")
    assert version.algorithm == algorithm
    metrics = version.manifest["metrics"]
    assert 0 <= metrics["ndcg@10"] <= 1 and metrics["users_evaluated"] > 0
    files = set(version.manifest["artifact"]["files"])
    assert files >= {"ids.json", "history.npz", "scorer.npz"}
    assert not any(f.endswith((".pkl", ".pickle", ".joblib")) for f in files)

    history = set(recs.history_of("u0"))
    answer = recs.recommend(RecommendInput(user_id="u0", k=5))
    assert answer["strategy"] == "personalized"
    ids = [item["item_id"] for item in answer["items"]]
    assert len(ids) == 5 and not set(ids) & history
    if algorithm != "popularity":  # u0 likes Comedy: most of their top 5 should be comedies
        assert sum(genre_of(i) == "Comedy" for i in ids) >= 3, ids
    with_seen = recs.recommend(RecommendInput(user_id="u0", k=40, exclude_seen=False))
    assert set(i["item_id"] for i in with_seen["items"]) & history


def test_training_metrics_beat_popularity_for_ease(registry: Registry) -> None:
    train_recs(registry, "ease")
    metrics = registry.resolve("recs").manifest["metrics"]
    assert metrics["ndcg@10"] > metrics["popularity_ndcg@10"]


def test_auto_mode_keeps_a_leaderboard_and_validates_on_train_only(registry: Registry) -> None:
    train_recs(registry, "popularity,item-knn,ease")
    manifest = registry.resolve("recs").manifest
    names = {row["algorithm"] for row in manifest["leaderboard"]}
    assert names == {"popularity", "item-knn", "ease"}
    split = manifest["data"]["split"]
    assert split["validation"]["fit"] + split["validation"]["validation"] == split["train"]
    assert manifest["algorithm"] == manifest["leaderboard"][0]["algorithm"]


def test_unknown_users_get_session_or_popular(registry: Registry) -> None:
    recs = train_recs(registry, "ease")
    popular = recs.recommend(RecommendInput(user_id="nobody", k=3))
    assert popular["strategy"] == "popular" and len(popular["items"]) == 3
    assert "because" not in popular["items"][0]
    session = recs.recommend(
        RecommendInput(user_id="nobody", k=5, recent_items=["i1", "i5", "i9", "zzz"])
    )
    assert session["strategy"] == "session"
    assert session["unknown_items"] == ["zzz"]
    ids = [item["item_id"] for item in session["items"]]
    assert not {"i1", "i5", "i9"} & set(ids)
    assert sum(genre_of(i) == "Horror" for i in ids) >= 3, ids
    assert all(set(item.get("because", [])) <= {"i1", "i5", "i9"} for item in session["items"])


def test_a_known_users_recent_items_join_their_history(registry: Registry) -> None:
    """ALS and BPR fold the grown history in (the learned user vector stands for the history as
    trained); the others score it with the user's index (which only weighs stored ratings)."""
    for algorithm in ("als", "ease"):
        recs = train_recs(registry, algorithm, name=f"recs-{algorithm}")
        state = recs._state
        user = state.user_index["u0"]
        extra = next(i for i in recs.items if i not in set(recs.history_of("u0")))
        grown = state.history[user].tolil()
        grown[0, recs.item_index[extra]] = 1.0
        who = -1 if state.scorer.learns_user_vectors else user
        expected = state.scorer.score(sp.csr_matrix(grown), np.asarray([who]))[0]
        answer = recs.recommend(RecommendInput(user_id="u0", k=5, recent_items=[extra]))
        assert answer["strategy"] == "personalized"
        assert extra not in [item["item_id"] for item in answer["items"]]
        for item in answer["items"]:
            score = expected[recs.item_index[item["item_id"]]]
            assert item["score"] == pytest.approx(score, abs=1e-5)
        if algorithm == "als":  # the recent item moved the folded-in vector
            stored = state.scorer.score(state.history[user], np.asarray([user]))[0]
            assert not np.allclose(expected, stored)


def test_forget_user_is_exact_for_ease_knn_and_rp3beta(registry: Registry) -> None:
    for algorithm in ("ease", "item-knn", "rp3beta"):
        recs = train_recs(registry, algorithm, name=f"recs-{algorithm}")
        before = recs.recommend(RecommendInput(user_id="u3", k=5))
        assert before["strategy"] == "personalized"
        result = recs.forget("u3")
        assert result["interactions_removed"] == len(interactions().query("user_id == 'u3'"))
        after = recs.recommend(RecommendInput(user_id="u3", k=5))
        assert after["strategy"] == "popular"
        assert recs.history_of("u3") == []
        with pytest.raises(UnknownUser):
            recs.forget("u3")
        # the scorer now equals one fitted on the log without u3
        state = recs._state
        rows = sp.csr_matrix(state.history)
        refit = ALGORITHMS[algorithm](**registry.resolve(f"recs-{algorithm}").manifest["params"])
        ratings = ratings_without(interactions(), "u3", recs.item_index)
        fresh = refit.build(0).fit(rows, None, 0, ratings=ratings)
        probe = rows[:5]
        np.testing.assert_allclose(
            state.scorer.score(probe, np.full(5, -1)),
            fresh.score(probe, np.full(5, -1)),
            rtol=1e-4,
            atol=1e-5,
        )


def test_similar_items_and_unknown_item(registry: Registry) -> None:
    recs = train_recs(registry, "item-knn")
    answer = recs.similar(SimilarInput(item_id="i2", k=5))
    assert answer["strategy"] == "collaborative"
    ids = [item["item_id"] for item in answer["items"]]
    assert "i2" not in ids and sum(genre_of(i) == "Drama" for i in ids) >= 3
    with pytest.raises(UnknownItem):
        recs.similar(SimilarInput(item_id="nope"))


@pytest.mark.parametrize("algorithm", ["content", "hybrid"])
def test_content_and_hybrid_with_catalog(
    registry: Registry, catalog_file: Path, algorithm: str
) -> None:
    recs = train_recs(registry, algorithm, items=str(catalog_file))
    manifest = registry.resolve("recs").manifest
    assert manifest["data"]["catalog"]["items"] == 84
    assert "embeddings.npy" in manifest["artifact"]["files"]
    answer = recs.recommend(RecommendInput(user_id="u1", k=5))
    ids = [item["item_id"] for item in answer["items"]]
    assert sum(genre_of(i) == "Horror" for i in ids) >= 3, ids
    assert all(item["title"].startswith("Film ") for item in answer["items"])
    # a cold item (no interactions) finds neighbours by content
    cold = recs.similar(SimilarInput(item_id="i81", k=5))
    assert cold["strategy"] == "content"
    assert sum(genre_of(item["item_id"]) == "Horror" for item in cold["items"]) >= 4
    # filters on catalog fields
    comedies = recs.recommend(RecommendInput(user_id="u1", k=5, filter={"genres": ["Comedy"]}))
    assert [genre_of(i["item_id"]) for i in comedies["items"]] == ["Comedy"] * 5
    years = recs.recommend(
        RecommendInput(user_id="u1", k=40, filter={"year": {"min": 1992, "max": 1993}})
    )
    assert years["items"] and all(int(i["item_id"][1:]) % 10 in (2, 3) for i in years["items"])


def test_hybrid_ranks_cold_items_for_a_matching_user(
    registry: Registry, catalog_file: Path
) -> None:
    recs = train_recs(registry, "hybrid", items=str(catalog_file))
    # among cold items only (i80..i83, one per genre), a Sci-Fi user should get the Sci-Fi one
    ranked = recs.recommend(RecommendInput(user_id="u3", k=84, exclude_seen=True))
    cold_order = [i["item_id"] for i in ranked["items"] if int(i["item_id"][1:]) >= 80]
    assert cold_order[0] == "i83"  # 83 % 4 == 3 -> Sci-Fi


def test_catalog_and_split_options_are_checked(registry: Registry, tmp_path: Path) -> None:
    from limelight.errors import DataError, InvalidInput

    with pytest.raises(InvalidInput, match="catalog"):
        train_recs(registry, "content")
    with pytest.raises(DataError, match="split"):
        train_recs(registry, "ease", split="sideways")
    with pytest.raises(InvalidInput, match="unknown recommendation option"):
        train_recs(registry, "ease", colour="blue")
    bad = tmp_path / "items.csv"
    pd.DataFrame({"name": ["x"]}).to_csv(bad, index=False)
    with pytest.raises(DataError, match="item id column"):
        train_recs(registry, "ease", items=str(bad))
    assert registry.list_models() == []  # failed runs registered nothing
    train_recs(registry, "ease", split="leave-last-out")
    assert registry.resolve("recs").manifest["data"]["split"]["test"] == 60


@pytest.mark.parametrize("algorithm", ["bpr", "als", "item-knn"])
def test_same_seed_same_recommendations(registry: Registry, algorithm: str) -> None:
    first = train_recs(registry, algorithm, name="first")
    second = train_recs(registry, algorithm, name="second")
    query = RecommendInput(user_id="u7", k=10)
    assert first.recommend(query) == second.recommend(query)


def test_item_item_models_are_refused_above_max_dense_items(registry: Registry) -> None:
    from limelight.errors import InvalidInput

    # the log has 80 items: above a limit of 50, the items × items models are not fitted
    with pytest.raises(InvalidInput, match="items × items matrices and 80 items exceed"):
        train_recs(registry, "ease,item-knn", max_dense_items=50)
    for bad in (0, -3, 2.5, "many", True):
        with pytest.raises(InvalidInput, match="max_dense_items must be"):
            train_recs(registry, "ease", max_dense_items=bad)
    assert registry.list_models() == []
    recs = train_recs(registry, "auto", max_dense_items=50)
    manifest = registry.resolve("recs").manifest
    dense = {name for name, cls in ALGORITHMS.items() if cls.dense_items}
    assert dense == {"item-knn", "rp3beta", "ease", "time-ease", "hybrid"}
    assert dense - {"hybrid"} <= set(manifest["selection"]["skipped"])  # hybrid: no catalog
    assert {row["algorithm"] for row in manifest["leaderboard"]} == {"popularity", "als", "bpr"}
    assert manifest["selection"]["max_dense_items"] == 50
    assert recs.recommend(RecommendInput(user_id="u0", k=5))["strategy"] == "personalized"


def matrices(scorer: object) -> dict[str, np.ndarray]:
    """Every items × items or users/items × factors array a scorer holds, its parts' included."""
    found = {}
    for name, value in vars(scorer).items():
        if isinstance(value, np.ndarray) and value.ndim == 2:
            found[name] = value
        elif hasattr(value, "arrays"):  # a part of a composite scorer (the hybrid's EASE)
            found.update({f"{name}.{k}": v for k, v in matrices(value).items()})
    return found


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_fitted_and_loaded_matrices_are_c_ordered(algorithm: str, tmp_path: Path) -> None:
    """Scoring multiplies sparse histories by these matrices; scipy copies a Fortran-ordered
    one on every call (a whole items × items matrix per request: 10× slower serving)."""
    rng = np.random.default_rng(0)
    X = sp.random(200, 60, density=0.1, random_state=1, format="csr", dtype=np.float32)
    X.data[:] = 1.0
    times = sp.csr_matrix((rng.random(X.nnz) * 1e6, X.indices, X.indptr), shape=X.shape)
    content = rng.normal(size=(60, 8)).astype(np.float32)
    content /= np.linalg.norm(content, axis=1, keepdims=True)
    fitted = ALGORITHMS[algorithm]().build(0).fit(X, content, 0, times=times)
    store.save(
        tmp_path,
        scorer=fitted,
        users=[str(u) for u in range(200)],
        items=[str(i) for i in range(60)],
        history=X,
        catalog=None,
        embeddings=content,
    )
    manifest = {"algorithm": algorithm, "params": {}, "seed": 0}
    loaded = store.load(tmp_path, manifest)._state.scorer
    # a model saved before 2026-12-07 may hold Fortran-ordered matrices: C-ordered at load
    np.savez(
        tmp_path / store.SCORER,
        **{k: np.asfortranarray(v) if v.ndim == 2 else v for k, v in fitted.arrays().items()},
    )
    loaded_old = store.load(tmp_path, manifest)._state.scorer
    for label, scorer in (("fitted", fitted), ("loaded", loaded), ("old", loaded_old)):
        f_ordered = [name for name, m in matrices(scorer).items() if not m.flags.c_contiguous]
        assert f_ordered == [], f"{algorithm} {label}: {f_ordered}"
