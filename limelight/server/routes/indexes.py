"""Semantic search routes: search an index, add or delete items (a new version each time)."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import pandas as pd
from fastapi import APIRouter, Path, Request

from limelight.errors import InvalidInput, PayloadTooLarge
from limelight.runtime import LoadedModel
from limelight.search.updates import update_index
from limelight.server.auth import current_key, requires
from limelight.server.body import read_json
from limelight.server.responses import FastJSONResponse
from limelight.server.schemas import ERROR_RESPONSES
from limelight.tasks.semantic_search import VectorIndex
from limelight.tasks.semantic_search.schemas import SearchInput

router = APIRouter(prefix="/v1/indexes", tags=["search"])


async def _index(request: Request, ref: str) -> LoadedModel:
    model = await request.app.state.limelight.manager.get(ref)
    if not isinstance(model.predictor, VectorIndex):
        raise InvalidInput(
            f"{model.name!r} is a {model.task.name} model, not an index; "
            "create one with `limelight index create`",
            field="index",
        )
    return model


@router.get(
    "", summary="List indexes (those the key may search)", openapi_extra=requires("predict:any")
)
async def list_indexes(request: Request) -> FastJSONResponse:
    registry = request.app.state.limelight.registry
    models = await anyio.to_thread.run_sync(registry.list_models)
    key = current_key(request)
    if key is not None:
        models = [m for m in models if key.can_predict(m.name)]
    return FastJSONResponse(
        [
            {"name": m.name, "latest_version": m.latest_version, "aliases": m.aliases}
            for m in models
            if m.task == "semantic-search"
        ]
    )


@router.post(
    "/{ref:path}/search",
    summary="Semantic search",
    description='`{"query": "feel-good heist comedy", "k": 10, "filter": {"type": "Movie"}}` → '
    "ranked items with their cosine similarity and stored fields.",
    responses=ERROR_RESPONSES,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": SearchInput.model_json_schema()}},
        },
        **requires("predict"),
    },
)
async def search(
    request: Request, ref: str = Path(description="Index reference")
) -> FastJSONResponse:
    settings = request.app.state.limelight.settings
    body = await read_json(request, settings.max_body_bytes)
    model = await _index(request, ref)
    parsed = model.parse(body, max_text_chars=settings.max_text_chars)
    output = await anyio.to_thread.run_sync(model.predict_batch, [parsed])
    return FastJSONResponse(
        {**output[0], "index": model.name, "version": model.version},
        headers={"X-Limelight-Model-Version": str(model.version)},
    )


async def _update(request: Request, name: str, **change: Any) -> FastJSONResponse:
    state = request.app.state.limelight
    await _index(request, name)
    version, counts = await anyio.to_thread.run_sync(
        lambda: update_index(state.registry, name, **change)
    )
    state.manager.invalidate()
    return FastJSONResponse({"index": version.name, "version": version.version, **counts})


@router.post(
    "/{name}/items",
    summary="Add or replace items (new version)",
    responses=ERROR_RESPONSES,
    openapi_extra=requires("admin"),
)
async def add_items(request: Request, name: str) -> FastJSONResponse:
    settings = request.app.state.limelight.settings
    body = await read_json(request, settings.max_body_bytes)
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise InvalidInput('send {"items": [{...}, ...]} with the index columns', field="items")
    if len(items) > settings.max_instances:
        raise PayloadTooLarge(f"{len(items)} items; the limit is {settings.max_instances}")
    return await _update(request, name, add=pd.DataFrame(items))


@router.post(
    "/{name}/delete",
    summary="Delete items by id (new version)",
    responses=ERROR_RESPONSES,
    openapi_extra=requires("admin"),
)
async def delete_items(request: Request, name: str) -> FastJSONResponse:
    settings = request.app.state.limelight.settings
    body = await read_json(request, settings.max_body_bytes)
    ids = body.get("ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise InvalidInput('send {"ids": ["...", ...]}', field="ids")
    return await _update(request, name, delete=ids)
