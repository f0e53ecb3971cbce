"""A vector index as plain files: what is stored, how it is read back, and how it is searched.

Files (no pickle anywhere): ``vectors.npy`` (float32, one row per slot), ``items.json`` (the id,
whether the slot is live, and the stored fields, per slot), ``index.json`` (settings) and, for an
approximate index, ``hnsw.bin`` (hnswlib's own format; labels are slot numbers). Deleting an item
only marks its slot dead, and adding one appends a slot, so updates never re-embed or rebuild.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from limelight.errors import InvalidInput, ModelLoadError

VECTORS = "vectors.npy"
ITEMS = "items.json"
CONFIG = "index.json"
HNSW = "hnsw.bin"


@dataclass
class IndexData:
    vectors: np.ndarray
    ids: list[str]
    live: np.ndarray
    fields: dict[str, list[Any]]
    config: dict[str, Any]
    hnsw: Any = None
    _slot_of: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._slot_of = {i: s for s, i in enumerate(self.ids) if self.live[s]}

    @property
    def kind(self) -> str:
        return str(self.config["kind"])

    @property
    def size(self) -> int:
        return int(self.live.sum())

    def slot(self, item_id: str) -> int | None:
        return self._slot_of.get(item_id)

    def save(self, folder: Path) -> None:
        np.save(folder / VECTORS, self.vectors, allow_pickle=False)
        items = {"ids": self.ids, "live": self.live.tolist(), "fields": self.fields}
        (folder / ITEMS).write_text(json.dumps(items, ensure_ascii=False))
        (folder / CONFIG).write_text(json.dumps(self.config, indent=2))
        if self.hnsw is not None:
            self.hnsw.save_index(str(folder / HNSW))

    @classmethod
    def load(cls, folder: Path) -> IndexData:
        try:
            vectors = np.load(folder / VECTORS, allow_pickle=False)
            items = json.loads((folder / ITEMS).read_text())
            config = json.loads((folder / CONFIG).read_text())
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"the index artifact cannot be read: {exc}") from exc
        data = cls(
            vectors=np.ascontiguousarray(vectors, dtype=np.float32),
            ids=[str(i) for i in items["ids"]],
            live=np.asarray(items["live"], dtype=bool),
            fields={k: list(v) for k, v in items["fields"].items()},
            config=config,
        )
        if config["kind"] == "hnsw":
            data.hnsw = load_hnsw(folder / HNSW, config, len(data.ids))
        return data


def new_hnsw(dimension: int, capacity: int, config: dict[str, Any]) -> Any:
    import hnswlib

    index = hnswlib.Index(space="ip", dim=dimension)
    index.init_index(
        max_elements=max(capacity, 1),
        M=int(config["M"]),
        ef_construction=int(config["ef_construction"]),
        random_seed=int(config.get("seed", 42)),
        allow_replace_deleted=False,
    )
    index.set_ef(int(config["ef_search"]))
    index.set_num_threads(1)
    return index


def load_hnsw(path: Path, config: dict[str, Any], capacity: int) -> Any:
    import hnswlib

    index = hnswlib.Index(space="ip", dim=int(config["dimension"]))
    index.load_index(str(path), max_elements=max(capacity, 1))
    index.set_ef(int(config["ef_search"]))
    index.set_num_threads(1)
    return index


def filter_mask(data: IndexData, conditions: dict[str, Any] | None) -> np.ndarray | None:
    """Slots whose stored fields match every condition: ``{"type": "Movie"}`` (equal),
    ``{"rating": ["PG", "PG-13"]}`` (any of), ``{"listed_in": {"contains": "Comedies"}}``."""
    if not conditions:
        return None
    mask = data.live.copy()
    for name, condition in conditions.items():
        if name not in data.fields:
            known = ", ".join(data.fields) or "none"
            raise InvalidInput(
                f"filter field {name!r} is not stored in this index (stored: {known})",
                field=f"filter.{name}",
            )
        values = data.fields[name]
        if isinstance(condition, dict):
            if set(condition) != {"contains"} or not isinstance(condition["contains"], str):
                raise InvalidInput(
                    'a filter object must be {"contains": "text"}', field=f"filter.{name}"
                )
            needle = condition["contains"].lower()
            hit = [v is not None and needle in str(v).lower() for v in values]
        elif isinstance(condition, list):
            wanted = {str(c) for c in condition}
            hit = [v is not None and str(v) in wanted for v in values]
        elif isinstance(condition, str | int | float | bool):
            hit = [v is not None and str(v) == str(condition) for v in values]
        else:
            raise InvalidInput(
                "a filter value must be a string, a number, a list or {contains}",
                field=f"filter.{name}",
            )
        mask &= np.asarray(hit, dtype=bool)
    return mask


def exact_search(
    data: IndexData, query: np.ndarray, k: int, mask: np.ndarray | None
) -> list[tuple[int, float]]:
    """Top-k by cosine over every allowed slot: one matrix-vector product, no copy."""
    allowed = data.live if mask is None else mask
    count = int(allowed.sum())
    if count == 0:
        return []
    scores = np.where(allowed, data.vectors @ query, -np.inf)
    k = min(k, count)
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(int(i), float(scores[i])) for i in top]


# Below this many matching items a filtered query scans them exactly: HNSW with a selective
# filter visits most of the graph anyway and loses recall.
FILTERED_EXACT_BELOW = 2_000


def search(
    data: IndexData, query: np.ndarray, k: int, mask: np.ndarray | None
) -> list[tuple[int, float]]:
    if data.hnsw is None:
        return exact_search(data, query, k, mask)
    allowed = int(mask.sum()) if mask is not None else data.size
    if allowed == 0:
        return []
    if mask is not None and allowed < FILTERED_EXACT_BELOW:
        return exact_search(data, query, k, mask)
    k = min(k, allowed)
    index = data.hnsw
    index.set_ef(max(int(data.config["ef_search"]), k))
    selected = (lambda label: bool(mask[label])) if mask is not None else None
    labels, distances = index.knn_query(query[None, :], k=k, num_threads=1, filter=selected)
    # inner-product space: distance = 1 - similarity
    return [(int(s), float(1.0 - d)) for s, d in zip(labels[0], distances[0], strict=True)]
