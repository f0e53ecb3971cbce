"""semantic-search: a versioned vector index over a catalog (query -> nearest items).

``limelight index create titles --data netflix_titles.csv --id show_id --text description
--fields type,rating,listed_in`` embeds every text with MiniLM and registers the index as a
version like any model. Exact search by default; an HNSW graph (hnswlib) when the catalog is
large (``--index hnsw`` forces it), with its recall@10 against exact search stored as a metric.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel

from limelight.errors import InvalidInput
from limelight.search.build import build, embed, recall_at_k, recall_queries, rows_of
from limelight.search.store import IndexData, filter_mask, search
from limelight.settings import Settings
from limelight.tasks.base import Algorithm, Progress, Task, TrainOptions, TrainOutcome
from limelight.tasks.semantic_search.schemas import SearchInput, SearchOutput


class ExactIndex(Algorithm):
    name = "exact"
    description = "brute-force cosine similarity over every item (exact; fine to ~100k items)"

    def __init__(self) -> None:
        pass

    def build(self, seed: int) -> dict[str, Any]:
        return {"kind": "exact"}


class HnswIndex(Algorithm):
    name = "hnsw"
    description = "hnswlib HNSW graph (approximate; recall@10 vs exact measured at build)"

    def __init__(self, *, M: int = 32, ef_construction: int = 200, ef_search: int = 128) -> None:
        self.M = M
        self.ef_construction = ef_construction
        self.ef_search = ef_search

    def build(self, seed: int) -> dict[str, Any]:
        return {"kind": "hnsw", "seed": seed, **self.get_params()}


def encode_texts(texts: Sequence[str]) -> np.ndarray:
    from limelight.embeddings import MiniLMEncoder

    return MiniLMEncoder.get().encode(list(texts), batch_size=64)


class VectorIndex:
    """A loaded index: queries are embedded with MiniLM and searched with the stored vectors."""

    def __init__(self, data: IndexData) -> None:
        self.data = data

    def search(
        self, query: str, k: int = 10, conditions: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        return self.search_many([query], k, conditions)[0]

    def search_many(
        self, queries: Sequence[str], k: int, conditions: dict[str, Any] | None
    ) -> list[list[dict[str, Any]]]:
        mask = filter_mask(self.data, conditions)
        vectors = encode_texts(queries)
        data = self.data
        return [
            [
                {
                    "id": data.ids[slot],
                    "score": round(score, 6),
                    "fields": {name: values[slot] for name, values in data.fields.items()},
                }
                for slot, score in search(data, vector, k, mask)
            ]
            for vector in vectors
        ]

    def predict_batch(self, inputs: Sequence[BaseModel]) -> list[dict[str, Any]]:
        return [
            {"results": self.search(item.query, item.k, item.filter)}  # type: ignore[attr-defined]
            for item in inputs
        ]


class SemanticSearch(Task):
    name = "semantic-search"
    description = "query -> nearest catalog items: a versioned vector index of MiniLM embeddings"
    roles: ClassVar[dict[str, str]] = {
        "id": "the item id column",
        "text": "the text column to embed",
        "fields": "columns stored with each item (comma-separated), returned and filterable",
    }
    required_roles = ("id", "text")
    algorithms: ClassVar[dict[str, type[Algorithm]]] = {
        ExactIndex.name: ExactIndex,
        HnswIndex.name: HnswIndex,
    }
    default_candidates = ("exact", "hnsw")
    input_model = SearchInput
    output_model = SearchOutput
    selection_metric = ""

    def columns(self, options: TrainOptions) -> list[str]:
        super().columns(options)
        fields = _fields(options)
        return list(dict.fromkeys([options.columns["id"], options.columns["text"], *fields]))

    def train(self, frame: pd.DataFrame, options: TrainOptions, progress: Progress) -> TrainOutcome:
        fields = _fields(options)
        ids, texts, stored = rows_of(frame, options.columns["id"], options.columns["text"], fields)
        if options.algorithm == "auto":
            threshold = Settings().search_ann_min_items
            choice = "hnsw" if len(ids) >= threshold else "exact"
        else:
            names = self.candidates(options.algorithm)
            if len(names) != 1:
                raise InvalidInput("choose one index: auto, exact or hnsw", field="algorithm")
            choice = names[0]
        algorithm = self.algorithms[choice](**options.params.get(choice, {}))
        vectors = embed(encode_texts, texts, progress)
        config = {
            **algorithm.build(options.seed),
            "dimension": int(vectors.shape[1]),
            "embedder": "all-MiniLM-L6-v2",
            "id_column": options.columns["id"],
            "text_column": options.columns["text"],
            "fields": fields,
        }
        data = build(ids, vectors, stored, config, progress)
        metrics = index_metrics(data)

        def write(folder: Path) -> None:
            data.save(folder)

        return TrainOutcome(
            algorithm=choice,
            params=algorithm.get_params(),
            metrics=metrics,
            leaderboard=[],
            data={
                "columns": dict(options.columns),
                "fields": fields,
                "change": {"built": len(ids)},
            },
            write=write,
            selection={"index": choice, "requested": options.algorithm},
        )

    def load(self, folder: Path, manifest: dict[str, Any]) -> VectorIndex:
        from limelight.embeddings import MiniLMEncoder

        MiniLMEncoder.get()  # load (or export once) the query encoder now, not on the first query
        return VectorIndex(IndexData.load(folder))


def index_metrics(data: IndexData) -> dict[str, Any]:
    metrics: dict[str, Any] = {
        "items": data.size,
        "slots": len(data.ids),
        "dimension": int(data.vectors.shape[1]),
    }
    if data.hnsw is not None:
        metrics["recall_at_10"] = round(recall_at_k(data, recall_queries(data), 10), 4)
    return metrics


def _fields(options: TrainOptions) -> list[str]:
    raw = options.columns.get("fields", "")
    return [f.strip() for f in raw.split(",") if f.strip()]
