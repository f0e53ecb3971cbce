"""OpenAI-compatible embeddings (``POST /v1/embeddings``) and zero-shot tagging
(``POST /v1/models/{ref}/zero-shot``), both served by registered embedding models."""

from __future__ import annotations

import base64
from typing import Any, Literal

import anyio.to_thread
import numpy as np
from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from limelight.errors import InvalidInput, PayloadTooLarge
from limelight.registry.refs import parse_ref
from limelight.runtime import LoadedModel
from limelight.server.auth import authorize_model, requires
from limelight.server.body import read_json
from limelight.server.responses import FastJSONResponse
from limelight.server.schemas import ERROR_RESPONSES
from limelight.tasks.embedding import Embedder
from limelight.tasks.embedding.zero_shot import check_labels

router = APIRouter(prefix="/v1", tags=["embeddings"])


class EmbeddingsRequest(BaseModel):
    input: str | list[str] = Field(description="A text or a list of texts")
    model: str = Field(description="An embedding model: name, name@alias or name/versions/N")
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = Field(None, description="Must equal the model's dimension if set")
    user: str | None = None


class ZeroShotRequest(BaseModel):
    text: str | None = Field(None, description="One text to tag")
    texts: list[str] | None = Field(None, description="Or several texts")
    labels: list[str] = Field(description='Candidate labels, e.g. ["horror", "romance"]')
    template: str = Field("{}", description='How a label is phrased, e.g. "a {} story"')
    multi_label: bool = False


async def embedding_model(request: Request, ref: str) -> tuple[LoadedModel, Embedder]:
    model = await request.app.state.limelight.manager.get(ref)
    if not isinstance(model.predictor, Embedder):
        raise InvalidInput(
            f"model {model.name!r} is a {model.task.name} model, not an embedding model; "
            "register one with `limelight register embedding --name minilm`",
            field="model",
        )
    return model, model.predictor


def _texts(value: Any, field: str, limit: int, max_items: int) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise InvalidInput(f"{field} must be a string or a non-empty list of strings", field=field)
    if len(items) > max_items:
        raise PayloadTooLarge(f"{len(items)} texts; the limit is {max_items}", field=field)
    for i, text in enumerate(items):
        where = f"{field}[{i}]" if not isinstance(value, str) else field
        if not isinstance(text, str):
            raise InvalidInput(
                f"{where} must be a string (token arrays are not supported)", field=where
            )
        if not text.strip():
            raise InvalidInput(f"{where} is empty", field=where)
        if len(text) > limit:
            raise PayloadTooLarge(
                f"{where} has {len(text)} characters; the limit is {limit}", field=where
            )
    return items


@router.post(
    "/embeddings",
    summary="Create embeddings (OpenAI-compatible)",
    description="Works with the official `openai` client (`base_url=.../v1`); "
    "`encoding_format` float or base64 (little-endian float32, the client's default).",
    responses=ERROR_RESPONSES,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": EmbeddingsRequest.model_json_schema()}},
        },
        # the model is named in the body: the route checks the key's predict scope on it
        **requires("predict:any"),
    },
)
async def create_embeddings(request: Request) -> FastJSONResponse:
    settings = request.app.state.limelight.settings
    body = await read_json(request, settings.max_body_bytes)
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object")
    for key in ("input", "model"):
        if key not in body:
            raise InvalidInput(f"{key} is required", field=key)
    if not isinstance(body["model"], str):
        raise InvalidInput("model must be a string", field="model")
    authorize_model(request, parse_ref(body["model"]).name)
    fmt = body.get("encoding_format") or "float"
    if fmt not in ("float", "base64"):
        raise InvalidInput("encoding_format must be float or base64", field="encoding_format")
    texts = _texts(body["input"], "input", settings.max_text_chars, settings.max_instances)
    model, embedder = await embedding_model(request, body["model"])
    dimensions = body.get("dimensions")
    if dimensions is not None and dimensions != embedder.dimension:
        raise InvalidInput(
            f"{model.name} makes {embedder.dimension}-dimensional vectors; "
            "omit dimensions or send that number",
            field="dimensions",
        )

    def work() -> tuple[np.ndarray, list[int]]:
        return embedder.encode(texts), embedder.count_tokens(texts)

    vectors, tokens = await anyio.to_thread.run_sync(work)
    data = [
        {
            "object": "embedding",
            "index": i,
            "embedding": (
                base64.b64encode(row.astype("<f4").tobytes()).decode()
                if fmt == "base64"
                else row.tolist()
            ),
        }
        for i, row in enumerate(vectors)
    ]
    total = int(sum(tokens))
    return FastJSONResponse(
        {
            "object": "list",
            "data": data,
            "model": body["model"],
            "usage": {"prompt_tokens": total, "total_tokens": total},
        },
        headers={"X-Limelight-Model-Version": str(model.version)},
    )


@router.post(
    "/models/{ref:path}/zero-shot",
    summary="Zero-shot tagging with an embedding model",
    description="Scores `text` (or each of `texts`) against `labels` given in the request, by "
    "cosine similarity of MiniLM embeddings; scores are a softmax over labels (or independent "
    "with `multi_label`).",
    responses=ERROR_RESPONSES,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ZeroShotRequest.model_json_schema()}},
        },
        **requires("predict"),
    },
)
async def zero_shot_route(
    request: Request, ref: str = Path(description="An embedding model reference")
) -> FastJSONResponse:
    settings = request.app.state.limelight.settings
    body = await read_json(request, settings.max_body_bytes)
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object")
    unknown = set(body) - set(ZeroShotRequest.model_fields)
    if unknown:
        raise InvalidInput(f"unknown field {sorted(unknown)[0]!r}", field=sorted(unknown)[0])
    if ("text" in body) == ("texts" in body):
        raise InvalidInput("send either text or texts", field="text")
    single = "text" in body
    field = "text" if single else "texts"
    texts = _texts(body[field], field, settings.max_text_chars, settings.max_instances)
    if single and not isinstance(body["text"], str):
        raise InvalidInput("text must be a string", field="text")
    template = body.get("template", "{}")
    if not isinstance(template, str):
        raise InvalidInput("template must be a string", field="template")
    labels = check_labels(body.get("labels"), template)
    multi_label = body.get("multi_label", False)
    if not isinstance(multi_label, bool):
        raise InvalidInput("multi_label must be true or false", field="multi_label")
    model, embedder = await embedding_model(request, ref)
    results = await anyio.to_thread.run_sync(
        lambda: embedder.zero_shot(texts, labels, template=template, multi_label=multi_label)
    )
    meta = {"model": model.name, "version": model.version}
    payload: dict[str, Any] = {**results[0], **meta} if single else {"results": results, **meta}
    return FastJSONResponse(payload, headers={"X-Limelight-Model-Version": str(model.version)})
