"""Semantic search on the real Netflix catalog (a seeded sample of 1,500 titles): a query set we
wrote returns relevant titles in the top 10, filters hold, HNSW keeps recall@10 >= 0.95, and the
index can be changed without a rebuild."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from limelight.registry import Registry
from limelight.runtime import load
from limelight.search.build import build, recall_at_k, recall_queries
from limelight.search.store import IndexData
from limelight.search.updates import update_index
from limelight.server import create_app
from limelight.settings import Settings
from limelight.tasks.semantic_search import VectorIndex
from limelight.tasks.semantic_search.task import encode_texts
from limelight.training import train

# query -> genres (Netflix's own `listed_in`) that make a hit relevant
QUERIES: dict[str, tuple[str, ...]] = {
    "stand-up comedy special": ("Stand-Up Comedy",),
    "comedian performs jokes on stage": ("Stand-Up Comedy",),
    "terrifying demon possession horror": ("Horror",),
    "documentary about wildlife and nature": ("Documentaries", "Docuseries", "Science & Nature"),
    "cartoon adventures for young children": ("Kids' TV", "Children & Family"),
    "romantic love story": ("Romantic",),
    "true crime docuseries about a murder case": ("Crime", "Docuseries", "Documentaries"),
    "ghosts haunt a family in their new house": ("Horror",),
    "football soccer players and their team": ("Sports",),
    "rock band music concert": ("Music & Musicals", "Documentaries"),
}


@pytest.fixture(scope="module")
def titles(catalog_home: Path) -> Iterator[VectorIndex]:
    registry = Registry.from_settings(Settings(home=catalog_home))
    model = load(registry, "titles")
    assert isinstance(model.predictor, VectorIndex)
    yield model.predictor
    registry.close()


def test_query_set_returns_relevant_titles(
    titles: VectorIndex, netflix_sample: pd.DataFrame
) -> None:
    precisions = {}
    for query, genres in QUERIES.items():
        hits = titles.search(query, k=10)
        assert len(hits) == 10
        relevant = [any(g in (h["fields"]["listed_in"] or "") for g in genres) for h in hits]
        listed = netflix_sample["listed_in"].fillna("").tolist()
        base = sum(any(g in s for g in genres) for s in listed) / len(listed)
        precisions[query] = (sum(relevant) / 10, base)
    for query, (precision, base_rate) in precisions.items():
        # relevant titles in the top 10, far above their share of the catalog
        assert precision >= max(0.3, 3 * base_rate), (query, precision, base_rate)
    assert sum(p for p, _ in precisions.values()) / len(precisions) >= 0.6


def test_filter_and_http_search(catalog_home: Path) -> None:
    settings = Settings(home=catalog_home)
    registry = Registry.from_settings(settings)
    with TestClient(create_app(settings, registry)) as client:
        response = client.post(
            "/v1/indexes/titles/search",
            json={"query": "feel-good heist comedy", "k": 10, "filter": {"type": "Movie"}},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["index"] == "titles" and len(body["results"]) == 10
        assert all(r["fields"]["type"] == "Movie" for r in body["results"])
        scores = [r["score"] for r in body["results"]]
        assert scores == sorted(scores, reverse=True)
        tv = client.post(
            "/v1/indexes/titles@production/search",
            json={
                "query": "anime",
                "k": 5,
                "filter": {"type": "TV Show", "listed_in": {"contains": "anime"}},
            },
        ).json()["results"]
        assert tv and all("Anime" in r["fields"]["listed_in"] for r in tv)
        assert client.get("/v1/indexes").json()[0]["name"] == "titles"
        for bad, status in (
            ({"query": ""}, 422),
            ({"query": "x", "k": 0}, 422),
            ({"query": "x", "k": 101}, 422),
            ({"query": "x", "filter": {"director": "x"}}, 422),
            ({"query": "x", "extra": 1}, 422),
        ):
            assert client.post("/v1/indexes/titles/search", json=bad).status_code == status, bad
        assert client.post("/v1/indexes/nope/search", json={"query": "x"}).status_code == 404
    registry.close()


def test_hnsw_recall_at_10_on_the_catalog(catalog_home: Path) -> None:
    registry = Registry.from_settings(Settings(home=catalog_home))
    exact = IndexData.load(registry.artifact_dir(registry.resolve("titles")))
    config = {"kind": "hnsw", "M": 32, "ef_construction": 200, "ef_search": 128, "seed": 42}
    hnsw = build(exact.ids, exact.vectors, exact.fields, config)
    written = encode_texts(list(QUERIES))
    assert recall_at_k(hnsw, written, 10) >= 0.95
    assert recall_at_k(hnsw, recall_queries(hnsw, 200), 10) >= 0.95
    registry.close()


def test_add_and_delete_make_new_versions_without_rebuild(
    registry: Registry, netflix_sample: pd.DataFrame
) -> None:
    catalog = netflix_sample.head(40)
    columns = {"id": "show_id", "text": "description", "fields": "type,title"}
    first = train(
        registry,
        "semantic-search",
        catalog,
        name="mini",
        columns=columns,
        algorithm="hnsw",
        alias="production",
    )
    assert first.manifest["metrics"]["items"] == 40
    new = pd.DataFrame(
        [
            {
                "show_id": "new-1",
                "type": "Movie",
                "title": "Penguin Parade",
                "description": "Emperor penguins march across Antarctic ice to breed.",
            }
        ]
    )
    second, counts = update_index(registry, "mini", add=new)
    assert counts == {"added": 1, "replaced": 0, "deleted": 0}
    assert second.version == 2 and "production" in second.aliases
    assert second.manifest["data"]["change"]["parent_version"] == 1
    index = load(registry, "mini").predictor
    assert isinstance(index, VectorIndex)
    assert index.search("penguins on the ice", k=1)[0]["id"] == "new-1"
    # the stored vectors of the 40 old items were reused, not recomputed
    old = IndexData.load(registry.artifact_dir(first))
    assert (index.data.vectors[:40] == old.vectors).all()
    victim = catalog["show_id"].iloc[0]
    third, counts = update_index(registry, "mini", delete=["new-1", victim])
    assert counts["deleted"] == 2 and third.manifest["metrics"]["items"] == 39
    after = load(registry, "mini").predictor
    assert isinstance(after, VectorIndex)
    ids = {h["id"] for h in after.search("penguins on the ice", k=39)}
    assert "new-1" not in ids and victim not in ids and len(ids) == 39
    assert load(registry, "mini/versions/2").predictor.search("penguins", k=1)[0]["id"] == "new-1"  # type: ignore[attr-defined]
