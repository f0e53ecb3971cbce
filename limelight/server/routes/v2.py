"""KServe V2 Open Inference Protocol (REST) for every served model.

Works with Triton's ``tritonclient.http`` (JSON tensors, ``binary_data=False``) and any other V2
client. Errors on /v2 paths are ``{"error": "message"}`` with a 4xx/5xx status, as the protocol
says (see ``limelight.server.errors``).
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request

import limelight
from limelight.errors import PayloadTooLarge
from limelight.registry.refs import validate_name
from limelight.runtime import LoadedModel
from limelight.server.auth import requires
from limelight.server.body import read_json
from limelight.server.responses import FastJSONResponse
from limelight.server.v2_codec import (
    decode_inputs,
    encode_outputs,
    requested_outputs,
    signature,
)

router = APIRouter(prefix="/v2", tags=["kserve-v2"])
# any predict key may ask who the server is; model routes need predict on the model named
_ANY = requires("predict:any")
_MODEL = requires("predict")


def _ref(name: str, version: str | None) -> str:
    validate_name(name)
    if version is None:
        return name
    if not version.isdigit() or int(version) < 1:
        from limelight.errors import InvalidInput

        raise InvalidInput(f"version must be a positive integer, not {version!r}", field="version")
    return f"{name}/versions/{int(version)}"


@router.get("", summary="Server metadata", openapi_extra=_ANY)
async def server_metadata() -> FastJSONResponse:
    return FastJSONResponse(
        {"name": "limelight", "version": limelight.__version__, "extensions": []}
    )


@router.head("/health/live", include_in_schema=False)
@router.get("/health/live", summary="Server liveness")
async def live() -> FastJSONResponse:
    return FastJSONResponse({"live": True})


@router.head("/health/ready", include_in_schema=False)
@router.get("/health/ready", summary="Server readiness")
async def ready(request: Request) -> FastJSONResponse:
    state = request.app.state.limelight
    # as /readyz: a model that failed to load is reported by its own model-ready route and
    # does not take the server out of rotation
    ok = state.preloaded
    if ok:
        try:
            await anyio.to_thread.run_sync(state.registry.list_models)
        except Exception:  # any failure to reach the registry means not ready
            ok = False
    return FastJSONResponse({"ready": ok}, status_code=200 if ok else 503)


async def _metadata(request: Request, ref: str) -> FastJSONResponse:
    registry = request.app.state.limelight.registry
    version = await request.app.state.limelight.manager.resolve(ref)
    versions = await anyio.to_thread.run_sync(registry.list_versions, version.name)
    sig = signature(version.manifest)
    body: dict[str, Any] = {
        "name": version.name,
        "versions": [str(v.version) for v in versions],
        "platform": f"limelight_{version.task}",
        "inputs": [t.metadata() for t in sig.inputs],
        "outputs": [t.metadata() for t in sig.outputs],
        "parameters": {"version": str(version.version), "algorithm": version.algorithm},
    }
    if sig.labels:
        body["parameters"]["labels"] = sig.labels
    return FastJSONResponse(body)


async def _ready(request: Request, ref: str) -> FastJSONResponse:
    model = await request.app.state.limelight.manager.get(ref)
    return FastJSONResponse({"name": model.name, "version": str(model.version), "ready": True})


async def _infer(request: Request, ref: str) -> FastJSONResponse:
    state = request.app.state.limelight
    settings = state.settings
    body = await read_json(request, settings.max_body_bytes)
    model: LoadedModel = await state.manager.get(ref)
    sig = signature(model.manifest)
    rows = decode_inputs(sig, body)
    if len(rows) > settings.max_instances:
        raise PayloadTooLarge(
            f"a batch of {len(rows)}; the limit is {settings.max_instances}", field="inputs"
        )
    outputs = requested_outputs(sig, body)
    parsed = [
        model.parse(row, max_text_chars=settings.max_text_chars, where=f"row {i}")
        for i, row in enumerate(rows)
    ]
    predictions = await anyio.to_thread.run_sync(model.predict_batch, parsed)
    response: dict[str, Any] = {
        "model_name": model.name,
        "model_version": str(model.version),
        "outputs": encode_outputs(sig, outputs, predictions),
    }
    if isinstance(body.get("id"), str):
        response["id"] = body["id"]
    return FastJSONResponse(response, headers={"X-Limelight-Model-Version": str(model.version)})


@router.get("/models/{name}", summary="Model metadata (default version)", openapi_extra=_MODEL)
async def model_metadata(request: Request, name: str) -> FastJSONResponse:
    return await _metadata(request, _ref(name, None))


@router.get(
    "/models/{name}/versions/{version}",
    summary="Model metadata (one version)",
    openapi_extra=_MODEL,
)
async def version_metadata(request: Request, name: str, version: str) -> FastJSONResponse:
    return await _metadata(request, _ref(name, version))


@router.get(
    "/models/{name}/ready", summary="Model readiness (default version)", openapi_extra=_MODEL
)
async def model_ready(request: Request, name: str) -> FastJSONResponse:
    return await _ready(request, _ref(name, None))


@router.get(
    "/models/{name}/versions/{version}/ready",
    summary="Model readiness (one version)",
    openapi_extra=_MODEL,
)
async def version_ready(request: Request, name: str, version: str) -> FastJSONResponse:
    return await _ready(request, _ref(name, version))


@router.post("/models/{name}/infer", summary="Inference (default version)", openapi_extra=_MODEL)
async def model_infer(request: Request, name: str) -> FastJSONResponse:
    return await _infer(request, _ref(name, None))


@router.post(
    "/models/{name}/versions/{version}/infer",
    summary="Inference (one version)",
    openapi_extra=_MODEL,
)
async def version_infer(request: Request, name: str, version: str) -> FastJSONResponse:
    return await _infer(request, _ref(name, version))


__all__ = ["router"]
