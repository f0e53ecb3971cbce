"""Recommendation routes: recommendations per user, similar items, forgetting a user."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Path, Request

from limelight.errors import InvalidInput
from limelight.runtime import LoadedModel
from limelight.server.auth import actor_of, requires
from limelight.server.body import read_json
from limelight.server.responses import FastJSONResponse
from limelight.server.schemas import ERROR_RESPONSES
from limelight.tasks.recommendation import Recommender
from limelight.tasks.recommendation.schemas import (
    Forgotten,
    Recommendations,
    RecommendInput,
    SimilarInput,
    parse_request,
)

router = APIRouter(prefix="/v1", tags=["recommendation"])

REF_DOC = "Model reference: `name`, `name@alias` or `name/versions/N`"
KEPT_UNTIL_RETRAIN = (
    "the registered artifact on disk (a restarted server, another worker process, or a version "
    "not loaded in this process still has the user until retrained without them) and whatever "
    "the algorithm cannot unlearn (for als and bpr: the item vectors)"
)


async def _recommender(request: Request, ref: str) -> tuple[LoadedModel, Recommender]:
    model = await request.app.state.limelight.manager.get(ref)
    if not isinstance(model.predictor, Recommender):
        raise InvalidInput(
            f"model {model.name!r} is a {model.task.name} model; this route needs a "
            "recommendation model",
            field="model",
        )
    return model, model.predictor


def _answer(model: LoadedModel, payload: dict[str, Any]) -> FastJSONResponse:
    return FastJSONResponse(
        {**payload, "model": model.name, "version": model.version},
        headers={"X-Limelight-Model-Version": str(model.version)},
    )


@router.post(
    "/models/{ref:path}/recommend",
    summary="Recommend items to a user",
    description='`{"user_id": "196", "k": 10, "exclude_seen": true, "filter": {"genres": '
    '["Comedy"]}}`. A user the model does not know gets session-based recommendations from '
    '`recent_items`, or popular items (`"strategy": "popular"`) when nothing is known.',
    response_model=Recommendations,
    responses=ERROR_RESPONSES,
    openapi_extra=requires("predict"),
)
async def recommend(request: Request, ref: str = Path(description=REF_DOC)) -> FastJSONResponse:
    body = await read_json(request, request.app.state.limelight.settings.max_body_bytes)
    model, recommender = await _recommender(request, ref)
    query = parse_request(RecommendInput, body)
    return _answer(model, recommender.recommend(query))


@router.post(
    "/models/{ref:path}/similar",
    summary="Items similar to an item",
    description='`{"item_id": "50", "k": 10}`; items without interactions use content '
    "similarity (when the model was trained with a catalog).",
    response_model=Recommendations,
    responses=ERROR_RESPONSES,
    openapi_extra=requires("predict"),
)
async def similar(request: Request, ref: str = Path(description=REF_DOC)) -> FastJSONResponse:
    body = await read_json(request, request.app.state.limelight.settings.max_body_bytes)
    model, recommender = await _recommender(request, ref)
    query = parse_request(SimilarInput, body)
    return _answer(model, recommender.similar(query))


@router.delete(
    "/models/{ref:path}/users/{user_id}",
    summary="Forget a user",
    description="Removes the user's history from the serving state of every loaded version of "
    "the model, at once: their recommendations fall back to cold start and their interactions "
    "stop influencing other users' results where the algorithm allows it. The answer says "
    "exactly what was and was not forgotten. Needs the admin scope; written to the audit log.",
    response_model=Forgotten,
    responses=ERROR_RESPONSES,
    openapi_extra=requires("admin"),
)
async def forget_user(
    request: Request,
    ref: str = Path(description=REF_DOC),
    user_id: str = Path(description="The user to forget", min_length=1, max_length=256),
) -> FastJSONResponse:
    manager = request.app.state.limelight.manager
    model, recommender = await _recommender(request, ref)
    result = await anyio.to_thread.run_sync(recommender.forget, user_id)
    versions = [model.version]
    for name, number in manager.loaded():
        if name != model.name or number == model.version:
            continue
        other = await manager.get(f"{name}/versions/{number}")
        if isinstance(other.predictor, Recommender) and other.predictor.knows(user_id):
            await anyio.to_thread.run_sync(other.predictor.forget, user_id)
            versions.append(number)
    actor, key_id = actor_of(request)
    await anyio.to_thread.run_sync(
        lambda: request.app.state.security.audit.record(
            actor=actor,
            key_id=key_id,
            action="user.forget",
            target=f"{model.name}/users/{user_id}",
            detail={"versions": sorted(versions), "interactions": result["interactions_removed"]},
        )
    )
    return _answer(
        model, {**result, "kept_until_retrain": KEPT_UNTIL_RETRAIN, "versions": sorted(versions)}
    )
