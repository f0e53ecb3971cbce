"""Building a vector index from a table, and changing one without rebuilding it."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from limelight.errors import DataError, InvalidInput
from limelight.search.store import IndexData, exact_search, new_hnsw, search

if TYPE_CHECKING:  # limelight.tasks imports this module: no runtime import back
    from limelight.tasks.base import Progress


class _Quiet:
    def stage(self, description: str, total: float | None = None) -> None:
        pass

    def advance(self, amount: float = 1) -> None:
        pass


Encode = Callable[[Sequence[str]], np.ndarray]
EMBED_CHUNK = 256


def _clean_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def rows_of(
    frame: pd.DataFrame, id_column: str, text_column: str, fields: Sequence[str]
) -> tuple[list[str], list[str], dict[str, list[Any]]]:
    """Ids, texts and stored fields of a table; refuses missing or duplicate ids and no text."""
    for column in (id_column, text_column, *fields):
        if column not in frame.columns:
            raise DataError(f"the data has no column {column!r}", field=column)
    frame = frame[frame[text_column].notna()]
    frame = frame[frame[text_column].astype(str).str.strip() != ""]
    if frame.empty:
        raise DataError(f"no row has a non-empty {text_column!r}", field=text_column)
    if frame[id_column].isna().any():
        raise DataError(f"some rows have no {id_column!r}", field=id_column)
    ids = [str(_clean_value(v)) for v in frame[id_column]]
    if len(set(ids)) != len(ids):
        dup = pd.Series(ids)[pd.Series(ids).duplicated()].iloc[0]
        raise DataError(f"id {dup!r} appears more than once", field=id_column)
    texts = [str(t) for t in frame[text_column]]
    stored = {f: [_clean_value(v) for v in frame[f]] for f in fields}
    return ids, texts, stored


def embed(encode: Encode, texts: Sequence[str], progress: Progress) -> np.ndarray:
    progress.stage("embedding texts", total=len(texts))
    parts = []
    for start in range(0, len(texts), EMBED_CHUNK):
        chunk = texts[start : start + EMBED_CHUNK]
        parts.append(encode(chunk))
        progress.advance(len(chunk))
    return np.vstack(parts).astype(np.float32) if parts else np.zeros((0, 384), np.float32)


def build(
    ids: list[str],
    vectors: np.ndarray,
    fields: dict[str, list[Any]],
    config: dict[str, Any],
    progress: Progress | None = None,
) -> IndexData:
    quiet = progress or _Quiet()
    config = {**config, "dimension": int(vectors.shape[1])}
    data = IndexData(vectors, ids, np.ones(len(ids), dtype=bool), fields, config)
    if config["kind"] == "hnsw":
        quiet.stage("building the HNSW graph", total=None)
        data.hnsw = new_hnsw(vectors.shape[1], len(ids), config)
        data.hnsw.add_items(vectors, np.arange(len(ids)), num_threads=1)
    return data


def recall_at_k(data: IndexData, queries: np.ndarray, k: int = 10) -> float:
    """Share of the exact top-k that the index returns, averaged over ``queries``."""
    if data.hnsw is None or len(queries) == 0:
        return 1.0
    found = 0
    for query in queries:
        truth = {s for s, _ in exact_search(data, query, k, None)}
        found += len(truth & {s for s, _ in search(data, query, k, None)})
    return found / (len(queries) * min(k, data.size))


def recall_queries(data: IndexData, count: int = 200, seed: int = 0) -> np.ndarray:
    """Held-out-style queries: live item vectors with noise, so no query is an exact item."""
    rng = np.random.default_rng(seed)
    live = np.flatnonzero(data.live)
    picks = rng.choice(live, size=min(count, live.size), replace=False)
    noisy = data.vectors[picks] + rng.normal(0, 0.05, size=(picks.size, data.vectors.shape[1]))
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def apply_changes(
    data: IndexData,
    *,
    add_ids: list[str] | None = None,
    add_vectors: np.ndarray | None = None,
    add_fields: dict[str, list[Any]] | None = None,
    delete_ids: Sequence[str] = (),
) -> tuple[IndexData, dict[str, int]]:
    """A new IndexData with items deleted (slots marked dead) and added or replaced (appended);
    the HNSW graph is extended in place of a rebuild. ``data`` itself is not changed."""
    add_ids = add_ids or []
    unknown = [i for i in delete_ids if data.slot(i) is None]
    if unknown:
        shown = ", ".join(repr(u) for u in unknown[:5])
        raise InvalidInput(f"not in the index: {shown}", field="ids")
    if add_ids and set(add_fields or {}) != set(data.fields):
        raise DataError(
            f"new items must carry the index's fields: {', '.join(data.fields) or 'none'}",
            field="fields",
        )
    replaced = [data.slot(i) for i in add_ids if data.slot(i) is not None]
    dead = [data.slot(i) for i in delete_ids] + replaced
    live = data.live.copy()
    live[[s for s in dead if s is not None]] = False
    vectors = data.vectors
    ids = list(data.ids)
    fields = {k: list(v) for k, v in data.fields.items()}
    if add_ids:
        assert add_vectors is not None and add_fields is not None
        vectors = np.vstack([vectors, add_vectors.astype(np.float32)])
        ids.extend(add_ids)
        live = np.concatenate([live, np.ones(len(add_ids), dtype=bool)])
        for name in fields:
            fields[name].extend(add_fields[name])
    changed = IndexData(vectors, ids, live, fields, dict(data.config))
    if data.hnsw is not None:
        import tempfile
        from pathlib import Path

        from limelight.search.store import load_hnsw

        # copy the graph (hnswlib mutates in place; the served version must not change)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "graph.bin"
            data.hnsw.save_index(str(path))
            graph = load_hnsw(path, data.config, len(ids))
        for slot in dead:
            graph.mark_deleted(int(slot))  # type: ignore[arg-type]
        if add_ids:
            start = len(data.ids)
            graph.add_items(vectors[start:], np.arange(start, len(ids)), num_threads=1)
        changed.hnsw = graph
    counts = {
        "added": len(add_ids) - len(replaced),
        "replaced": len(replaced),
        "deleted": len(delete_ids),
    }
    return changed, counts
