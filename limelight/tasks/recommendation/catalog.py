"""The optional item catalog: titles, tags (e.g. genres), free text and other fields.

Columns are recognized by name: the item id (the interaction log's item column name, else
``item_id``/``item``/``id``), a title (``title``/``name``), tag lists (``genres``/``genre``/
``tags``/``categories``: lists, or strings separated by ``|``, ``,`` or ``;``), free text
(``description``/``overview``/``summary``/``plot``/``text``). Other columns become filterable
fields: numeric ones by range, the rest by value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from limelight.data import read_table
from limelight.errors import DataError
from limelight.tasks.recommendation.interactions import ids_as_strings

ID_NAMES = ("item_id", "item", "id", "movie_id")
TITLE_NAMES = ("title", "name")
TAG_NAMES = ("genres", "genre", "tags", "categories", "category_list")
TEXT_NAMES = ("description", "overview", "summary", "plot", "text", "synopsis")
_SEPARATORS = re.compile(r"\s*[|,;]\s*")


@dataclass
class Catalog:
    """Item metadata, one entry per id in ``ids`` order."""

    ids: list[str]
    titles: list[str | None] | None = None
    tags: dict[str, list[list[str]]] = field(default_factory=dict)
    values: dict[str, list[str | None]] = field(default_factory=dict)
    numbers: dict[str, list[float | None]] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "ids": self.ids,
            "titles": self.titles,
            "tags": self.tags,
            "values": self.values,
            "numbers": self.numbers,
            "texts": self.texts,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Catalog:
        return cls(
            ids=[str(x) for x in data["ids"]],
            titles=data.get("titles"),
            tags=data.get("tags") or {},
            values=data.get("values") or {},
            numbers=data.get("numbers") or {},
            texts=data.get("texts") or [],
        )

    def fields(self) -> dict[str, str]:
        out = dict.fromkeys(self.tags, "tags")
        out.update(dict.fromkeys(self.values, "value"))
        out.update(dict.fromkeys(self.numbers, "number"))
        return out

    def aligned(self, item_ids: list[str]) -> Catalog:
        """The catalog re-ordered to ``item_ids``; items it does not know get empty entries."""
        position = {item: i for i, item in enumerate(self.ids)}
        index = [position.get(item, -1) for item in item_ids]

        def take(values: list[Any], empty: Any) -> list[Any]:
            return [values[i] if i >= 0 else empty for i in index]

        return Catalog(
            ids=list(item_ids),
            titles=take(self.titles, None) if self.titles is not None else None,
            tags={k: take(v, []) for k, v in self.tags.items()},
            values={k: take(v, None) for k, v in self.values.items()},
            numbers={k: take(v, None) for k, v in self.numbers.items()},
            texts=take(self.texts, "") if self.texts else [],
        )


def _find(columns: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {c.lower(): c for c in columns}
    return next((lowered[n] for n in names if n in lowered), None)


def _tag_list(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, list | tuple | np.ndarray):
        return [str(v).strip() for v in value if str(v).strip()]
    return [t for t in _SEPARATORS.split(str(value).strip()) if t]


def read_catalog(source: str | Path | pd.DataFrame, item_column: str | None = None) -> Catalog:
    probe = read_table(source)
    columns = [str(c) for c in probe.columns]
    id_col = item_column if item_column in columns else _find(columns, ID_NAMES)
    if id_col is None:
        raise DataError(
            f"the catalog has no item id column (looked for {item_column!r} and "
            f"{', '.join(ID_NAMES)}); it has: {', '.join(columns[:20])}",
            field="items",
        )
    frame = probe if isinstance(source, pd.DataFrame) else read_table(source, dtype_str=[id_col])
    ids = ids_as_strings(frame[id_col])
    keep = ids.notna() & ~ids.duplicated()
    frame = frame.loc[keep].reset_index(drop=True)
    ids = ids.loc[keep].reset_index(drop=True)
    if frame.empty:
        raise DataError("the catalog has no items with an id", field="items")
    title_col = _find(columns, TITLE_NAMES)
    tag_cols = [c for c in columns if c.lower() in TAG_NAMES]
    text_cols = [c for c in columns if c.lower() in TEXT_NAMES]
    catalog = Catalog(ids=ids.tolist())
    if title_col:
        catalog.titles = [None if pd.isna(t) else str(t).strip() for t in frame[title_col].tolist()]
    for col in tag_cols:
        catalog.tags[col] = [_tag_list(v) for v in frame[col].tolist()]
    for col in columns:
        if col in (id_col, title_col, *tag_cols, *text_cols):
            continue
        series = frame[col]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            catalog.numbers[col] = [None if pd.isna(v) else float(v) for v in series.tolist()]
        else:
            catalog.values[col] = [None if pd.isna(v) else str(v).strip() for v in series.tolist()]
    texts = []
    for i in range(len(frame)):
        parts = []
        if catalog.titles and catalog.titles[i]:
            parts.append(str(catalog.titles[i]))
        for col in tag_cols:
            if catalog.tags[col][i]:
                parts.append(f"{col}: {', '.join(catalog.tags[col][i])}")
        for col in text_cols:
            value = frame[col].iloc[i]
            if not pd.isna(value) and str(value).strip():
                parts.append(str(value).strip())
        texts.append(". ".join(parts))
    catalog.texts = texts
    return catalog


def tag_matrix(catalog: Catalog | None, min_items: int = 2) -> sp.csr_matrix | None:
    """Items × tags indicator (0/1, items in ``catalog.ids`` order): one column per distinct
    value of every tag column (``genres:Comedy``...), kept when at least ``min_items`` items
    hold it (a tag of one item links nothing). None when there is no such tag."""
    if catalog is None or not catalog.tags:
        return None
    columns: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for name, per_item in catalog.tags.items():
        for item, tags in enumerate(per_item):
            for tag in dict.fromkeys(tags):
                rows.append(item)
                cols.append(columns.setdefault(f"{name}:{tag}", len(columns)))
    if not rows:
        return None
    full = sp.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, cols)), shape=(len(catalog.ids), len(columns))
    )
    keep = np.flatnonzero(np.asarray(full.sum(axis=0)).ravel() >= min_items)
    if len(keep) == 0:
        return None
    return sp.csr_matrix(full[:, keep])


def embed_texts(texts: list[str]) -> np.ndarray:
    """MiniLM embeddings of item texts (L2-normalized); items without text get a zero vector."""
    from limelight.embeddings import MiniLMEncoder
    from limelight.embeddings.minilm import DIMENSION

    out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
    present = [i for i, t in enumerate(texts) if t.strip()]
    if present:
        out[present] = MiniLMEncoder.get().encode([texts[i] for i in present])
    return out
