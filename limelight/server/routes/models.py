"""Native model routes: list, describe, predict."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Path, Request
from pydantic import TypeAdapter

from limelight.registry.refs import parse_ref
from limelight.runtime import LoadedModel
from limelight.server.auth import current_key, requires
from limelight.server.body import read_json
from limelight.server.instances import parse_instances
from limelight.server.responses import FastJSONResponse
from limelight.server.schemas import (
    ERROR_RESPONSES,
    ModelDetail,
    ModelInfo,
    PredictBatchRequest,
    PredictResponse,
)
from limelight.tasks.text_classification.schemas import TextInput

router = APIRouter(prefix="/v1", tags=["models"])

REF_DOC = "Model reference: `name`, `name@alias` or `name/versions/N`"

_PREDICT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        TypeAdapter(TextInput).json_schema(),
                        TypeAdapter(PredictBatchRequest).json_schema(),
                    ]
                },
                "examples": {
                    "single": {"value": {"text": "What a wonderful film"}},
                    "batch": {"value": {"instances": [{"text": "Loved it"}, {"text": "Dull"}]}},
                    "tabular": {"value": {"features": {"country": "France", "release_year": 2019}}},
                },
            }
        },
    }
}


@router.get(
    "/models",
    summary="List models (those the key may predict with)",
    response_model=list[ModelInfo],
    openapi_extra=requires("predict:any"),
)
async def list_models(request: Request) -> FastJSONResponse:
    state = request.app.state.limelight
    models = await anyio.to_thread.run_sync(state.registry.list_models)
    key = current_key(request)
    if key is not None:
        models = [m for m in models if key.can_predict(m.name)]
    held = state.manager.versions()
    return FastJSONResponse(
        [
            {
                "name": m.name,
                "task": m.task,
                "latest_version": m.latest_version,
                "aliases": m.aliases,
                "created_at": m.created_at.isoformat(),
                **model_state(m.name, held),
            }
            for m in models
        ]
    )


def model_state(name: str, held: list[dict[str, Any]]) -> dict[str, Any]:
    """``state``: loaded (some version is loaded), loading, failed (a version failed to load and
    none is loaded) or unloaded; with the loaded versions and load errors."""
    mine = [v for v in held if v["name"] == name]
    loaded = sorted(v["version"] for v in mine if v["state"] == "loaded")
    errors = {str(v["version"]): v["error"] for v in mine if v["state"] == "failed"}
    states = {v["state"] for v in mine}
    state = next((s for s in ("loaded", "loading", "failed") if s in states), "unloaded")
    return {"state": state, "loaded_versions": loaded, "load_errors": errors}


@router.post(
    "/models/{ref:path}/predict",
    summary="Predict with a model",
    description='Send one input (`{"text": ...}`, or `{"features": {...}}` for tabular models) '
    'for one prediction, or `{"instances": [...]}` for a batch. Any content type is read as JSON.',
    response_model=PredictResponse,
    responses=ERROR_RESPONSES,
    openapi_extra={**_PREDICT_BODY, **requires("predict")},
)
async def predict(request: Request, ref: str = Path(description=REF_DOC)) -> FastJSONResponse:
    state = request.app.state.limelight
    body = await read_json(request, state.settings.max_body_bytes)
    model = await state.manager.get(ref)
    payload = await run_predict(state, model, body)
    return FastJSONResponse(payload, headers={"X-Limelight-Model-Version": str(model.version)})


async def run_predict(state: Any, model: LoadedModel, body: Any) -> dict[str, Any]:
    """One input or ``{"instances": [...]}`` through ``model``; the payload names the version."""
    parsed, batch = parse_instances(body, model, state.settings)
    outputs = await state.manager.predict(model, parsed)
    if batch:
        return {"predictions": outputs, "model": model.name, "version": model.version}
    return {**outputs[0], "model": model.name, "version": model.version}


_DESCRIBE: dict[str, Any] = {
    "summary": "Describe a model version",
    "response_model": ModelDetail,
    "responses": {404: ERROR_RESPONSES[404]},
    "openapi_extra": requires("predict"),
}


# Two routes rather than one ``{ref:path}``: a catch-all GET under /v1/models would answer
# ``GET /v1/models/x/recommend`` (a POST route) as an invalid model name, and be the route
# Starlette names in the Allow header of every other wrong-method request there.
@router.get("/models/{ref}", **_DESCRIBE)
async def get_model(request: Request, ref: str = Path(description=REF_DOC)) -> FastJSONResponse:
    return await _describe(request, ref)


@router.get("/models/{name}/versions/{version}", **_DESCRIBE)
async def get_model_version(
    request: Request,
    name: str = Path(description="Model name"),
    version: str = Path(description="Version number"),
) -> FastJSONResponse:
    return await _describe(request, f"{name}/versions/{version}")


async def _describe(request: Request, ref: str) -> FastJSONResponse:
    registry = request.app.state.limelight.registry
    version = await anyio.to_thread.run_sync(registry.resolve, parse_ref(ref))
    versions = await anyio.to_thread.run_sync(registry.list_versions, version.name)
    m = version.manifest
    return FastJSONResponse(
        {
            "name": version.name,
            "version": version.version,
            "task": version.task,
            "algorithm": version.algorithm,
            "aliases": list(version.aliases),
            "created_at": version.created_at.isoformat(),
            "input_schema": m.get("input_schema"),
            "output_schema": m.get("output_schema"),
            "metrics": m.get("metrics"),
            "params": m.get("params"),
            "leaderboard": m.get("leaderboard"),
            "versions": [
                {
                    "version": v.version,
                    "algorithm": v.algorithm,
                    "aliases": list(v.aliases),
                    "created_at": v.created_at.isoformat(),
                    "metrics": _headline(v.manifest.get("metrics") or {}),
                }
                for v in versions
            ],
        }
    )


def _headline(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metrics.items() if isinstance(v, int | float)}
