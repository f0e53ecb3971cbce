"""Saving and loading a recommender without pickle: numpy arrays (``allow_pickle=False``) and
JSON. The registry has verified every file's sha256 before ``load`` runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from limelight.errors import ModelLoadError
from limelight.tasks.recommendation.algorithms import ALGORITHMS
from limelight.tasks.recommendation.algorithms.base import Scorer
from limelight.tasks.recommendation.catalog import Catalog
from limelight.tasks.recommendation.recommender import Recommender

IDS = "ids.json"
HISTORY = "history.npz"
SCORER = "scorer.npz"
CATALOG = "catalog.json"
EMBEDDINGS = "embeddings.npy"


def save(
    folder: Path,
    *,
    scorer: Scorer,
    users: list[str],
    items: list[str],
    history: sp.csr_matrix,
    catalog: Catalog | None,
    embeddings: np.ndarray | None,
) -> None:
    (folder / IDS).write_text(json.dumps({"users": users, "items": items}), encoding="utf-8")
    np.savez(
        folder / HISTORY,
        indptr=history.indptr.astype(np.int64),
        indices=history.indices.astype(np.int32),
        shape=np.asarray(history.shape, dtype=np.int64),
    )
    arrays: dict[str, Any] = scorer.arrays()
    np.savez(folder / SCORER, **arrays)
    if catalog is not None:
        (folder / CATALOG).write_text(json.dumps(catalog.to_json()), encoding="utf-8")
    if embeddings is not None:
        np.save(folder / EMBEDDINGS, embeddings, allow_pickle=False)


def load(folder: Path, manifest: dict[str, Any]) -> Recommender:
    name = manifest.get("algorithm")
    if name not in ALGORITHMS:
        raise ModelLoadError(f"unknown recommendation algorithm {name!r} in the manifest")
    try:
        ids = json.loads((folder / IDS).read_text(encoding="utf-8"))
        with np.load(folder / HISTORY, allow_pickle=False) as raw:
            indptr, indices = raw["indptr"], raw["indices"]
            shape = tuple(int(x) for x in raw["shape"])
        history = sp.csr_matrix((np.ones(len(indices), np.float32), indices, indptr), shape=shape)
        with np.load(folder / SCORER, allow_pickle=False) as raw:
            # C order: scoring multiplies sparse histories by these matrices, and scipy copies a
            # Fortran-ordered one on every call (models saved before 2026-12-07 hold some)
            arrays = {key: np.ascontiguousarray(raw[key]) for key in raw.files}
        catalog = (
            Catalog.from_json(json.loads((folder / CATALOG).read_text(encoding="utf-8")))
            if (folder / CATALOG).is_file()
            else None
        )
        embeddings = (
            np.load(folder / EMBEDDINGS, allow_pickle=False)
            if (folder / EMBEDDINGS).is_file()
            else None
        )
    except (OSError, ValueError, KeyError) as exc:
        raise ModelLoadError(f"cannot read the recommender artifact: {exc}") from exc
    algorithm = ALGORITHMS[name](**manifest.get("params", {}))
    scorer = algorithm.build(int(manifest.get("seed", 42))).restore(arrays, embeddings)
    return Recommender(
        algorithm=name,
        scorer=scorer,
        users=[str(u) for u in ids["users"]],
        items=[str(i) for i in ids["items"]],
        history=history,
        catalog=catalog,
        embeddings=embeddings,
    )
