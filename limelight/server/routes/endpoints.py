"""Deployment endpoints: list, show, create or replace, delete, and predict through one.

An endpoint serves a model reference or a weighted split of references (canary); every answer
names the version that produced it (body ``version``, header ``X-Limelight-Model-Version``) and
the target it was routed to (header ``X-Limelight-Target``)."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Path, Request

from limelight.deployments import EndpointSpec, parse_endpoint
from limelight.errors import InvalidInput
from limelight.registry.refs import parse_ref
from limelight.server.auth import actor_of, authorize_model, requires
from limelight.server.body import read_json
from limelight.server.responses import FastJSONResponse
from limelight.server.routes.models import run_predict
from limelight.server.schemas import ERROR_RESPONSES

router = APIRouter(prefix="/v1/endpoints", tags=["deployments"])
_NAME = Path(description="Endpoint name", min_length=1, max_length=64)


def _describe(state: Any, name: str, spec: EndpointSpec) -> dict[str, Any]:
    return {
        "name": name,
        **spec.model_dump(exclude_none=True),
        "targets": [
            {"model": t.model, "weight": t.weight, "serving": state.manager.serving(t.model)}
            for t in spec.targets
        ],
    }


@router.get("", summary="List deployment endpoints", openapi_extra=requires("predict:any"))
async def list_endpoints(request: Request) -> FastJSONResponse:
    state = request.app.state.limelight
    specs = await state.deployments.current()
    return FastJSONResponse([_describe(state, n, s) for n, s in specs.items()])


@router.get(
    "/{name}",
    summary="Show an endpoint",
    responses={404: ERROR_RESPONSES[404]},
    openapi_extra=requires("predict:any"),
)
async def get_endpoint(request: Request, name: str = _NAME) -> FastJSONResponse:
    state = request.app.state.limelight
    return FastJSONResponse(_describe(state, name, await state.deployments.get(name)))


@router.put(
    "/{name}",
    summary="Create or replace an endpoint (admin)",
    description='Body: `{"model": REF}` or `{"split": [{"model": REF, "weight": W}, …], '
    '"sticky": "header:X-User-Id"}`, optional `batching`. Every target must resolve; the '
    "answer comes once the new targets are loaded and take traffic.",
    responses={s: ERROR_RESPONSES[s] for s in (404, 422)},
    openapi_extra=requires("admin"),
)
async def put_endpoint(request: Request, name: str = _NAME) -> FastJSONResponse:
    state = request.app.state.limelight
    raw = await read_json(request, state.settings.max_body_bytes)
    spec = parse_endpoint(name, raw)
    for target in spec.targets:  # unknown models, versions or aliases are refused (404)
        await anyio.to_thread.run_sync(state.registry.resolve, parse_ref(target.model))
    actor, _key_id = actor_of(request)
    created = await anyio.to_thread.run_sync(
        lambda: state.deployment_store.put(name, spec, actor=actor)
    )
    await _audit(request, "endpoint.set", name, spec.model_dump(exclude_none=True))
    await state.deployments.refresh()
    return FastJSONResponse(_describe(state, name, spec), status_code=201 if created else 200)


@router.delete(
    "/{name}", summary="Delete an endpoint (admin)", responses={404: ERROR_RESPONSES[404]}
)
async def delete_endpoint(request: Request, name: str = _NAME) -> FastJSONResponse:
    state = request.app.state.limelight
    await anyio.to_thread.run_sync(state.deployment_store.delete, name)
    await _audit(request, "endpoint.delete", name, None)
    await state.deployments.refresh()
    return FastJSONResponse({"deleted": name})


@router.post(
    "/{name}/predict",
    summary="Predict through an endpoint",
    description="Same bodies as `/v1/models/{ref}/predict`. With a split, the target is picked "
    "by weight; a sticky endpoint keeps one key (header or body field) on one target.",
    responses=ERROR_RESPONSES,
    openapi_extra=requires("predict:any"),
)
async def predict_endpoint(request: Request, name: str = _NAME) -> FastJSONResponse:
    state = request.app.state.limelight
    spec = await state.deployments.get(name)
    body = await read_json(request, state.settings.max_body_bytes)
    key = _sticky_key(spec, request, body)
    target = spec.choose(name, key)
    authorize_model(request, parse_ref(target.model).name)  # the key's predict scope
    model = await state.manager.get(target.model)
    payload = await run_predict(state, model, body)
    state.metrics.endpoint_requests.labels(name, target.model, str(model.version)).inc()
    return FastJSONResponse(
        {**payload, "endpoint": name},
        headers={
            "X-Limelight-Model-Version": str(model.version),
            "X-Limelight-Model": model.name,
            "X-Limelight-Target": target.model,
        },
    )


async def _audit(request: Request, action: str, name: str, detail: Any) -> None:
    actor, key_id = actor_of(request)
    await anyio.to_thread.run_sync(
        lambda: request.app.state.security.audit.record(
            actor=actor, key_id=key_id, action=action, target=name, detail=detail
        )
    )


def _sticky_key(spec: EndpointSpec, request: Request, body: Any) -> str | None:
    if spec.sticky is None:
        return None
    kind, _, field = spec.sticky.partition(":")
    if kind == "header":
        return request.headers.get(field)
    if not isinstance(body, dict):
        return None
    value = body.pop(field, None)  # the key routes the request; the model never sees it
    if value is not None and not isinstance(value, str | int):
        raise InvalidInput(f"{field} must be a string or an integer", field=field)
    return None if value is None else str(value)
