"""Vector index storage, exact and HNSW search, filters and updates (synthetic vectors)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from limelight.errors import DataError, InvalidInput
from limelight.search.build import apply_changes, build, recall_at_k, recall_queries
from limelight.search.store import IndexData, exact_search, filter_mask, search

HNSW = {"kind": "hnsw", "M": 16, "ef_construction": 100, "ef_search": 64, "seed": 1}


def clustered(n: int, d: int = 32, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(20, d))
    x = centers[rng.integers(0, 20, n)] + rng.normal(scale=0.5, size=(n, d))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def catalog(n: int, config: dict[str, object]) -> IndexData:
    vectors = clustered(n)
    ids = [f"i{k}" for k in range(n)]
    fields = {
        "type": ["Movie" if k % 3 else "TV Show" for k in range(n)],
        "genre": [f"Dramas, {'Comedies' if k % 2 else 'Horror'}" for k in range(n)],
    }
    return build(ids, vectors, fields, dict(config))


def test_exact_search_ranks_by_cosine() -> None:
    data = catalog(300, {"kind": "exact"})
    query = data.vectors[7]
    hits = exact_search(data, query, 5, None)
    assert hits[0][0] == 7 and abs(hits[0][1] - 1) < 1e-5
    scores = data.vectors @ query
    assert [s for s, _ in hits] == list(np.argsort(-scores)[:5])


def test_filters() -> None:
    data = catalog(90, {"kind": "exact"})
    movie = filter_mask(data, {"type": "Movie"})
    assert movie is not None and movie.sum() == 60
    hits = exact_search(data, data.vectors[0], 10, movie)
    assert all(data.fields["type"][s] == "Movie" for s, _ in hits)
    both = filter_mask(data, {"type": ["Movie", "TV Show"], "genre": {"contains": "horror"}})
    assert both is not None and both.sum() == 45
    for bad in ({"nope": 1}, {"type": {"like": "x"}}, {"type": {"a": 1}}):
        with pytest.raises(InvalidInput):
            filter_mask(data, bad)


def test_hnsw_recall_and_round_trip(tmp_path: Path) -> None:
    data = catalog(3000, HNSW)
    assert recall_at_k(data, recall_queries(data, 200), 10) >= 0.95
    data.save(tmp_path)
    loaded = IndexData.load(tmp_path)
    q = data.vectors[11]
    assert search(loaded, q, 10, None) == search(data, q, 10, None)
    assert not any(p.suffix == ".pkl" for p in tmp_path.iterdir())
    for kind in ("TV Show", "Movie"):  # 1,000 items: exact scan; 2,000: HNSW with a filter
        mask = filter_mask(loaded, {"type": kind})
        hits = search(loaded, q, 10, mask)
        assert len(hits) == 10 and all(loaded.fields["type"][s] == kind for s, _ in hits)
        assert {s for s, _ in hits} == {s for s, _ in exact_search(loaded, q, 10, mask)}


@pytest.mark.parametrize("config", [{"kind": "exact"}, HNSW])
def test_add_delete_replace_without_rebuild(config: dict[str, object]) -> None:
    data = catalog(500, config)
    new = clustered(3, seed=9)
    changed, counts = apply_changes(
        data,
        add_ids=["new1", "new2", "i5"],
        add_vectors=new,
        add_fields={"type": ["Movie"] * 3, "genre": ["Comedies"] * 3},
        delete_ids=["i7", "i8"],
    )
    assert counts == {"added": 2, "replaced": 1, "deleted": 2}
    assert changed.size == 500 + 2 - 2 and len(changed.ids) == 503
    top = search(changed, new[0], 1, None)[0]
    assert changed.ids[top[0]] == "new1"
    assert changed.ids[search(changed, new[2], 1, None)[0][0]] == "i5"
    hits = {changed.ids[s] for s, _ in search(changed, data.vectors[7], 20, None)}
    assert "i7" not in hits and "i8" not in hits
    # the parent is untouched (it may still be serving)
    assert data.ids[search(data, data.vectors[7], 1, None)[0][0]] == "i7"
    assert data.size == 500
    with pytest.raises(InvalidInput, match="not in the index"):
        apply_changes(changed, delete_ids=["i7"])
    with pytest.raises(DataError):
        apply_changes(data, add_ids=["x"], add_vectors=new[:1], add_fields={"type": ["Movie"]})
