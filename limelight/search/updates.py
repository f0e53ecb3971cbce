"""Add or delete catalog items: a new index version that reuses the stored vectors and graph.

Only the new texts are embedded; deleted items are marked dead (HNSW ``mark_deleted``); the
previous version stays untouched and servable, and ``production`` moves to the new version.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from limelight.data import read_table
from limelight.errors import InvalidInput
from limelight.registry import ModelVersion, Registry
from limelight.search.build import apply_changes, embed, rows_of
from limelight.search.store import IndexData
from limelight.tasks.base import NullProgress, Progress
from limelight.tasks.semantic_search.task import encode_texts, index_metrics

TASK = "semantic-search"


def current_index(registry: Registry, name: str) -> tuple[ModelVersion, IndexData]:
    version = registry.resolve(name)
    if version.task != TASK:
        raise InvalidInput(
            f"{name!r} is a {version.task} model, not an index; see `limelight index create`",
            field="name",
        )
    return version, IndexData.load(registry.artifact_dir(version))


def update_index(
    registry: Registry,
    name: str,
    *,
    add: str | Path | pd.DataFrame | None = None,
    delete: Sequence[str] = (),
    progress: Progress | None = None,
) -> tuple[ModelVersion, dict[str, int]]:
    progress = progress or NullProgress()
    if add is None and not delete:
        raise InvalidInput("nothing to change: give items to add or ids to delete", field="items")
    parent, data = current_index(registry, name)
    config = data.config
    changes: dict[str, Any] = {"delete_ids": [str(i) for i in delete]}
    if len(set(changes["delete_ids"])) != len(changes["delete_ids"]):
        raise InvalidInput("an id is listed twice", field="ids")
    if add is not None:
        fields = list(config["fields"])
        columns = [config["id_column"], config["text_column"], *fields]
        frame = read_table(add, list(dict.fromkeys(columns)))
        ids, texts, stored = rows_of(frame, config["id_column"], config["text_column"], fields)
        overlap = set(ids) & set(changes["delete_ids"])
        if overlap:
            raise InvalidInput(f"id {sorted(overlap)[0]!r} is both added and deleted", field="ids")
        changes.update(add_ids=ids, add_vectors=embed(encode_texts, texts, progress))
        changes["add_fields"] = stored
    progress.stage("updating the index", total=None)
    changed, counts = apply_changes(data, **changes)
    manifest = copy.deepcopy(parent.manifest)
    for key in ("name", "version", "task", "algorithm", "artifact"):
        manifest.pop(key, None)
    manifest["metrics"] = index_metrics(changed)
    manifest.setdefault("data", {})["change"] = {"parent_version": parent.version, **counts}
    manifest["created_at"] = datetime.now(UTC).isoformat()
    with registry.staging() as staged:
        changed.save(staged)
        version = registry.register(parent.name, TASK, parent.algorithm, manifest, staged)
    registry.set_alias(parent.name, "production", version.version, actor="index-update")
    return registry.resolve(version.ref), counts
