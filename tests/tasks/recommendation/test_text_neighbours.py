"""Catalog-text neighbours as side information in EASE and time-ease (``text_weight``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from limelight.data.datasets import movielens_items
from limelight.errors import InvalidInput
from limelight.registry import Registry
from limelight.tasks.recommendation.algorithms import ALGORITHMS
from limelight.tasks.recommendation.algorithms.ease import (
    ease_weights,
    symmetric_inverse,
    text_neighbours,
    with_share,
    with_text,
)
from limelight.tasks.recommendation.catalog import embed_texts, read_catalog
from tests.tasks.recommendation.synthetic import (
    TWO_KINDS,
    assert_cold_item_of_the_same_kind_first,
)
from tests.tasks.recommendation.test_algorithms import train_recs


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def test_text_neighbours_are_each_items_k_most_similar_texts_made_symmetric() -> None:
    rng = np.random.default_rng(0)
    emb = unit_rows(rng.normal(size=(1100, 8))).astype(np.float32)  # more than one block
    emb[7] = 0.0  # an item without text
    found = text_neighbours(emb, k=3)
    assert sp.issparse(found) and found.nnz <= 2 * 3 * len(emb)
    got = found.toarray()
    sim = emb @ emb.T
    np.fill_diagonal(sim, -np.inf)
    expected = np.zeros_like(got)
    for i in range(len(emb)):
        if i == 7:
            continue
        top = np.argsort(-sim[i])[:3]
        expected[i, top] = np.maximum(sim[i, top], 0)
    expected = np.maximum(expected, expected.T)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert np.allclose(got, got.T) and np.all(np.diag(got) == 0)
    assert not got[7].any() and not got[:, 7].any()  # no text, no neighbours either way
    assert text_neighbours(emb[:1], k=3).shape == (1, 1)  # a lone item has none


def test_sparse_side_information_adds_like_dense() -> None:
    rng = np.random.default_rng(4)
    gram = rng.random((6, 6))
    gram = gram + gram.T
    side = sp.random(6, 6, density=0.3, random_state=5, format="csr")
    side = side + side.T
    dense = with_share(gram, 0.2, "w", lambda: side.toarray())
    np.testing.assert_allclose(with_share(gram, 0.2, "w", lambda: side), dense)
    assert not np.shares_memory(with_share(gram, 0.2, "w", lambda: side), gram)


def test_text_joins_the_gram_scaled_by_the_average_item_count() -> None:
    gram = np.diag([4.0, 2.0, 0.0])
    emb = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], np.float32)
    out = with_text(gram, emb, 0.5)
    # k = 2 neighbours of 3 items: 0 and 2 share a text (cosine 1), 1 is orthogonal to both;
    # mean diagonal 2 -> 0.5 * 2 * cosine
    np.testing.assert_allclose(out, gram + np.array([[0, 0, 1], [0, 0, 0], [1, 0, 0]]))
    assert with_text(gram, None, 0.0) is gram
    with pytest.raises(InvalidInput, match="titles or text"):
        with_text(gram, None, 0.1)
    with pytest.raises(InvalidInput, match="titles or text"):
        with_text(gram, np.zeros((3, 2), np.float32), 0.1)
    with pytest.raises(InvalidInput, match=">= 0"):
        with_text(gram, emb, -1.0)


def test_ease_with_text_scores_items_nobody_interacted_with_by_their_text() -> None:
    X = sp.csr_matrix(TWO_KINDS)
    a, b = [1.0, 0.1, 0.0], [0.0, 0.1, 1.0]  # item 4 reads like items 0-1, item 5 like 2-3
    emb = unit_rows(np.array([a, a, b, b, a, b], np.float32))
    plain = ALGORITHMS["ease"](l2=1.0).build(0).fit(X, emb, 0)
    texted = ALGORITHMS["ease"](l2=1.0, text_weight=0.5).build(0).fit(X, emb, 0)
    assert_cold_item_of_the_same_kind_first(plain, texted)
    gram = (X.T @ X).toarray().astype(np.float64)
    np.testing.assert_allclose(
        texted.weights_, ease_weights(with_text(gram, emb, 0.5), 1.0), rtol=1e-5
    )


def test_time_ease_and_hybrid_take_text_weight() -> None:
    X = sp.csr_matrix(np.eye(4, dtype=np.float32)[[0, 1, 2, 3, 0, 1]].reshape(3, 2, 4).sum(1))
    times = X.copy()
    times.data = np.arange(len(times.data), dtype=np.float64)
    emb = unit_rows(np.random.default_rng(1).normal(size=(4, 3))).astype(np.float32)
    fitted = ALGORITHMS["time-ease"](l2=1.0, text_weight=0.2).build(0).fit(X, emb, 0, times=times)
    plain = ALGORITHMS["time-ease"](l2=1.0).build(0).fit(X, emb, 0, times=times)
    np.testing.assert_allclose(
        fitted.gram_, with_text(plain.gram_.astype(np.float64), emb, 0.2), rtol=1e-5
    )
    hybrid = ALGORITHMS["hybrid"](l2=1.0, text_weight=0.2).build(0).fit(X, emb, 0)
    ease = ALGORITHMS["ease"](l2=1.0, text_weight=0.2).build(0).fit(X, emb, 0)
    np.testing.assert_allclose(hybrid.collaborative.weights_, ease.weights_)


def test_auto_tries_text_weights_only_when_the_catalog_has_text(
    registry: Registry, catalog_file: Path
) -> None:
    train_recs(registry, "ease,time-ease,hybrid", name="texted", items=str(catalog_file))
    board = registry.resolve("texted").manifest["leaderboard"]
    for name in ("ease", "time-ease"):
        # the text stage (dropout comes after it) tries every text weight on top of the best
        # configuration found before it: one tag weight and one rating power
        staged = [
            r
            for r in board
            if r["algorithm"] == name
            and r["params"]["text_weight"] > 0
            and r["params"]["dropout"] == 0
        ]
        assert sorted(r["params"]["text_weight"] for r in staged) == sorted(
            ALGORITHMS[name].text_grid
        )
        assert len({r["params"]["tag_weight"] for r in staged}) == 1
        assert len({r["params"]["rating_power"] for r in staged}) == 1
    best_ease = max((r for r in board if r["algorithm"] == "ease"), key=lambda r: r["score"])[
        "params"
    ]
    for row in (r for r in board if r["algorithm"] == "hybrid"):
        assert row["params"]["text_weight"] == best_ease["text_weight"]
    train_recs(registry, "ease,time-ease", name="plain")
    plain = registry.resolve("plain").manifest["leaderboard"]
    assert {row["params"]["text_weight"] for row in plain} == {0.0}


def test_forget_keeps_the_text_share_of_the_gram_and_removes_the_users(
    registry: Registry, catalog_file: Path
) -> None:
    recs = train_recs(
        registry,
        "ease",
        items=str(catalog_file),
        params={"ease": {"l2": 5.0, "tag_weight": 0.1, "text_weight": 0.3}},
    )
    before = recs._state.scorer
    row = recs._state.user_index["u2"]
    x = recs._state.history[row].toarray().astype(np.float64)
    assert x.sum() > 0
    recs.forget("u2")
    after = recs._state.scorer
    # exactly the user's co-occurrences leave; the tag and text shares (added by no user)
    # stay as trained, and the weights are recomputed from what is left
    np.testing.assert_allclose(after.gram_, before.gram_ - x.T @ x, rtol=1e-5, atol=1e-4)
    assert (before.gram_ - (recs._state.history.T @ recs._state.history).toarray() > 0).any()
    np.testing.assert_allclose(after.weights_, ease_weights(after.gram_, 5.0), rtol=1e-3, atol=1e-5)


def test_bad_text_weights_fail_clearly_and_register_nothing(
    registry: Registry, catalog_file: Path
) -> None:
    with pytest.raises(InvalidInput, match="titles or text"):
        train_recs(registry, "ease", params={"ease": {"text_weight": 0.1}})
    with pytest.raises(InvalidInput, match="needs text_weight >= 0"):
        train_recs(
            registry,
            "time-ease",
            items=str(catalog_file),
            params={"time-ease": {"text_weight": -1}},
        )
    with pytest.raises(InvalidInput, match="finite number"):
        train_recs(
            registry, "ease", items=str(catalog_file), params={"ease": {"text_weight": "lots"}}
        )
    assert registry.list_models() == []


def test_movielens_titles_find_their_franchise(data_dir: Path) -> None:
    """On the real catalog the nearest texts are the same saga, which genres cannot tell."""
    frame = movielens_items(data_dir)
    cat = read_catalog(frame, "item_id")
    neighbours = text_neighbours(embed_texts(cat.texts))
    title = dict(zip(cat.ids, frame["title"], strict=True))
    index = {item: i for i, item in enumerate(cat.ids)}

    def nearest(item: str, n: int) -> set[str]:
        row = neighbours[index[item]].toarray().ravel()
        return {title[cat.ids[j]] for j in np.argsort(-row)[:n]}

    assert {"Return of the Jedi (1983)", "Empire Strikes Back, The (1980)"} <= nearest("50", 2)
    assert sum("Star Trek" in t for t in nearest("228", 5)) == 5  # The Wrath of Khan


def test_symmetric_inverse_by_cholesky_and_by_lu_when_not_positive_definite() -> None:
    rng = np.random.default_rng(2)
    x = rng.random((40, 12))
    spd = x.T @ x + np.eye(12)
    np.testing.assert_allclose(symmetric_inverse(spd), np.linalg.inv(spd), rtol=1e-9, atol=1e-12)
    # C order: serving's sparse history @ weights copies a Fortran-ordered matrix every call
    assert symmetric_inverse(spd).flags.c_contiguous
    assert ease_weights(spd, 1.0, 0.5).flags.c_contiguous
    indefinite = spd - 3 * np.trace(spd) / 12 * np.eye(12)  # symmetric, negative eigenvalues
    assert np.linalg.eigvalsh(indefinite).min() < 0
    np.testing.assert_allclose(
        symmetric_inverse(indefinite), np.linalg.inv(indefinite), rtol=1e-8, atol=1e-10
    )
    assert symmetric_inverse(np.zeros((0, 0))).shape == (0, 0)
    y = rng.random((900, 700))  # more than one 512-row block of the mirrored triangle
    big = y.T @ y + np.eye(700)
    inverse = symmetric_inverse(big)
    np.testing.assert_allclose(inverse, inverse.T)
    np.testing.assert_allclose(inverse @ big, np.eye(700), atol=1e-8)
