"""Catalog tags as side information in EASE and time-ease (``tag_weight``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from limelight.errors import InvalidInput
from limelight.registry import Registry
from limelight.tasks.recommendation.algorithms import ALGORITHMS
from limelight.tasks.recommendation.algorithms.ease import ease_weights, with_tags
from limelight.tasks.recommendation.catalog import read_catalog, tag_matrix
from limelight.tasks.recommendation.schemas import RecommendInput
from tests.tasks.recommendation.synthetic import (
    GENRES,
    TWO_KINDS,
    assert_cold_item_of_the_same_kind_first,
)
from tests.tasks.recommendation.test_algorithms import genre_of, train_recs


def test_tag_matrix_has_one_column_per_shared_tag_value() -> None:
    frame = pd.DataFrame(
        {
            "item_id": ["a", "b", "c", "d"],
            "genres": ["Comedy|Drama", "Drama", "Comedy", None],
            "tags": ["cult", "cult", "rare", ""],
        }
    )
    tags = tag_matrix(read_catalog(frame))
    assert tags is not None
    # genres:Comedy, genres:Drama, tags:cult; tags:rare (one item) links nothing and is dropped
    assert tags.shape == (4, 3)
    assert tags.toarray().tolist() == [[1, 1, 1], [0, 1, 1], [1, 0, 0], [0, 0, 0]]
    assert tag_matrix(read_catalog(frame[["item_id"]])) is None
    assert tag_matrix(None) is None


def test_tags_join_the_gram_scaled_by_the_average_item_count() -> None:
    gram = np.diag([4.0, 2.0, 0.0])
    tags = sp.csr_matrix(np.array([[1.0], [0.0], [1.0]]))
    out = with_tags(gram, tags, 0.5)
    # mean diagonal 2 -> each shared tag adds 0.5 * 2 = 1 to the pair (and to each diagonal)
    np.testing.assert_allclose(out, gram + np.array([[1, 0, 1], [0, 0, 0], [1, 0, 1]]))
    assert with_tags(gram, None, 0.0) is gram
    with pytest.raises(InvalidInput, match="tag column"):
        with_tags(gram, None, 0.1)
    with pytest.raises(InvalidInput, match=">= 0"):
        with_tags(gram, tags, -1.0)


def test_ease_with_tags_scores_items_nobody_interacted_with() -> None:
    X = sp.csr_matrix(TWO_KINDS)
    horror, comedy = [1, 0], [0, 1]
    tags = sp.csr_matrix(np.array([horror, horror, comedy, comedy, horror, comedy], np.float32))
    plain = ALGORITHMS["ease"](l2=1.0).build(0).fit(X, None, 0)
    tagged = ALGORITHMS["ease"](l2=1.0, tag_weight=0.5).build(0).fit(X, None, 0, tags=tags)
    assert_cold_item_of_the_same_kind_first(plain, tagged)
    expected = ease_weights(with_tags((X.T @ X).toarray().astype(float), tags, 0.5), 1.0)
    np.testing.assert_allclose(tagged.weights_, expected, rtol=1e-6)


def test_auto_tries_tag_weights_only_when_the_catalog_has_tags(
    registry: Registry, catalog_file: Path
) -> None:
    train_recs(registry, "ease,time-ease", name="tagged", items=str(catalog_file))
    manifest = registry.resolve("tagged").manifest
    assert manifest["data"]["catalog_tags"] == len(GENRES)
    weights = {(row["algorithm"], row["params"]["tag_weight"]) for row in manifest["leaderboard"]}
    for name in ("ease", "time-ease"):
        assert {w for n, w in weights if n == name} == {0.0, *ALGORITHMS[name].tag_grid}
    train_recs(registry, "ease,time-ease", name="plain")
    plain = registry.resolve("plain").manifest
    assert plain["data"]["catalog_tags"] == 0
    assert {row["params"]["tag_weight"] for row in plain["leaderboard"]} == {0.0}


def test_a_tag_weighted_model_ranks_cold_items_by_the_users_taste(
    registry: Registry, catalog_file: Path
) -> None:
    recs = train_recs(
        registry,
        "ease",
        items=str(catalog_file),
        params={"ease": {"l2": 10.0, "tag_weight": 0.3}},
    )
    # among cold items only (i80..i83, one per genre), each user's genre comes first
    for user in ("u0", "u1", "u2", "u3"):
        ranked = recs.recommend(RecommendInput(user_id=user, k=84))
        cold = [i["item_id"] for i in ranked["items"] if int(i["item_id"][1:]) >= 80]
        assert genre_of(cold[0]) == GENRES[int(user[1:]) % len(GENRES)], (user, cold)


def test_forget_keeps_the_tag_share_of_the_gram_and_removes_the_users(
    registry: Registry, catalog_file: Path
) -> None:
    recs = train_recs(
        registry,
        "time-ease",
        items=str(catalog_file),
        params={"time-ease": {"l2": 5.0, "tag_weight": 0.3}},
    )
    before = recs._state.scorer
    tag_share = (
        before.gram_
        - ALGORITHMS["time-ease"](l2=5.0)
        .build(0)
        .fit(recs._state.history, None, 0, times=before.times_)
        .gram_
    )
    assert tag_share.max() > 0
    row = recs._state.user_index["u3"]
    assert recs._state.history[row].nnz > 0
    recs.forget("u3")
    after = recs._state.scorer
    history = sp.csr_matrix(recs._state.history)
    history.sort_indices()
    rest = ALGORITHMS["time-ease"](l2=5.0).build(0).fit(history, None, 0, times=after.times_)
    assert history[row].nnz == 0 and after.times_[row].nnz == 0
    np.testing.assert_allclose(after.gram_, rest.gram_ + tag_share, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(
        after.weights_, ease_weights(rest.gram_ + tag_share, 5.0), rtol=1e-3, atol=1e-5
    )


def test_bad_tag_weights_fail_clearly_and_register_nothing(
    registry: Registry, catalog_file: Path
) -> None:
    with pytest.raises(InvalidInput, match="tag column"):
        train_recs(registry, "ease", params={"ease": {"tag_weight": 0.1}})
    with pytest.raises(InvalidInput, match="needs tag_weight >= 0"):
        train_recs(
            registry, "time-ease", items=str(catalog_file), params={"time-ease": {"tag_weight": -1}}
        )
    assert registry.list_models() == []
