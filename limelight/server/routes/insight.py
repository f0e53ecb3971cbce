"""Looking inside a model version: its HTML training report and per-prediction explanations."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from limelight.errors import NotFound
from limelight.server.auth import requires
from limelight.server.body import read_json
from limelight.server.instances import parse_instances
from limelight.server.responses import FastJSONResponse
from limelight.server.schemas import ERROR_RESPONSES
from limelight.training.report import REPORT_FILE

router = APIRouter(prefix="/v1", tags=["models"])

REF_DOC = "Model reference: `name`, `name@alias` or `name/versions/N`"


@router.get(
    "/models/{ref:path}/report",
    summary="The version's training report (HTML with plots)",
    response_class=HTMLResponse,
    responses={404: ERROR_RESPONSES[404], 503: ERROR_RESPONSES[503]},
    openapi_extra=requires("predict"),
)
async def report(request: Request, ref: str = Path(description=REF_DOC)) -> HTMLResponse:
    state = request.app.state.limelight
    version = await state.manager.resolve(ref)
    folder = await anyio.to_thread.run_sync(state.registry.artifact_dir, version)
    path = folder / REPORT_FILE
    if not path.is_file():
        raise NotFound(
            f"{version.name} version {version.version} has no report (it was trained before "
            "reports existed); train a new version to get one"
        )
    text = await anyio.to_thread.run_sync(path.read_text, "utf-8")
    return HTMLResponse(text, headers={"X-Limelight-Model-Version": str(version.version)})


@router.post(
    "/models/{ref:path}/explain",
    summary="Predict and explain: the top contributing features with signed contributions",
    description='Same body as predict (one input, or `{"instances": [...]}`). Linear models '
    "give exact contributions that sum with `base_value` to `output_value`; tree models give "
    "TreeSHAP values; TF-IDF text models give the top tokens.",
    responses=ERROR_RESPONSES,
    openapi_extra=requires("predict"),
)
async def explain(
    request: Request,
    ref: str = Path(description=REF_DOC),
    top_k: int = Query(10, ge=1, le=100, description="How many contributions to return"),
) -> FastJSONResponse:
    state = request.app.state.limelight
    body = await read_json(request, state.settings.max_body_bytes)
    model = await state.manager.get(ref)
    parsed, batch = parse_instances(body, model, state.settings)
    outputs = await anyio.to_thread.run_sync(lambda: model.explain_batch(parsed, top_k=top_k))
    headers = {"X-Limelight-Model-Version": str(model.version)}
    payload: dict[str, Any]
    if batch:
        payload = {"explanations": outputs, "model": model.name, "version": model.version}
    else:
        payload = {**outputs[0], "model": model.name, "version": model.version}
    return FastJSONResponse(payload, headers=headers)
