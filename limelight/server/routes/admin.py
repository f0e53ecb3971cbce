"""Admin routes that change the registry: alias moves, version and model deletions. Every one
needs the admin scope and is written to the audit log."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from limelight.server.auth import Security, actor_of, requires
from limelight.server.responses import FastJSONResponse
from limelight.server.schemas import ERROR_RESPONSES

router = APIRouter(prefix="/v1/models", tags=["admin"])
_ADMIN = requires("admin")
_ERRORS: dict[int | str, dict[str, Any]] = {s: ERROR_RESPONSES[s] for s in (404, 422)}
_CONFLICT: dict[int | str, dict[str, Any]] = {409: {"description": "The version is still aliased"}}
_NAME = Path(description="Model name", min_length=1, max_length=64)
_ALIAS = Path(description="Alias, e.g. production", min_length=1, max_length=64)


class AliasMove(BaseModel):
    model_config = {"extra": "forbid"}
    version: int = Field(ge=1, le=2**31 - 1, description="Version the alias should point at")


class AliasMoved(BaseModel):
    model: str
    alias: str
    version: int | None
    previous: int | None


class Deleted(BaseModel):
    deleted: str


def _security(request: Request) -> Security:
    security: Security = request.app.state.security
    return security


@router.put(
    "/{name}/aliases/{alias}",
    summary="Move an alias to a version (promote or roll back)",
    response_model=AliasMoved,
    responses=_ERRORS,
    openapi_extra=_ADMIN,
)
async def move_alias(
    request: Request, body: AliasMove, name: str = _NAME, alias: str = _ALIAS
) -> FastJSONResponse:
    state = request.app.state.limelight
    actor, key_id = actor_of(request)
    previous = await anyio.to_thread.run_sync(
        lambda: state.registry.set_alias(name, alias, body.version, actor=actor)
    )
    state.manager.invalidate()
    await anyio.to_thread.run_sync(
        lambda: _security(request).audit.record(
            actor=actor,
            key_id=key_id,
            action="alias.set",
            target=f"{name}@{alias}",
            detail={"from": previous, "to": body.version},
        )
    )
    return FastJSONResponse(
        {"model": name, "alias": alias, "version": body.version, "previous": previous}
    )


@router.delete(
    "/{name}/aliases/{alias}",
    summary="Remove an alias",
    response_model=AliasMoved,
    responses=_ERRORS,
    openapi_extra=_ADMIN,
)
async def remove_alias(
    request: Request, name: str = _NAME, alias: str = _ALIAS
) -> FastJSONResponse:
    state = request.app.state.limelight
    actor, key_id = actor_of(request)
    previous = await anyio.to_thread.run_sync(
        lambda: state.registry.remove_alias(name, alias, actor=actor)
    )
    state.manager.invalidate()
    await anyio.to_thread.run_sync(
        lambda: _security(request).audit.record(
            actor=actor,
            key_id=key_id,
            action="alias.remove",
            target=f"{name}@{alias}",
            detail={"from": previous},
        )
    )
    return FastJSONResponse({"model": name, "alias": alias, "version": None, "previous": previous})


@router.delete(
    "/{name}/versions/{version}",
    summary="Delete a version (refused while an alias points at it)",
    response_model=Deleted,
    responses={**_ERRORS, **_CONFLICT},
    openapi_extra=_ADMIN,
)
async def delete_version(
    request: Request,
    name: str = _NAME,
    version: int = Path(ge=1, le=2**31 - 1, description="Version number"),
) -> FastJSONResponse:
    state = request.app.state.limelight
    actor, key_id = actor_of(request)
    await anyio.to_thread.run_sync(lambda: state.registry.delete_version(name, version))
    state.manager.forget(name, version)
    await anyio.to_thread.run_sync(
        lambda: _security(request).audit.record(
            actor=actor, key_id=key_id, action="version.delete", target=f"{name}/versions/{version}"
        )
    )
    return FastJSONResponse({"deleted": f"{name}/versions/{version}"})


@router.delete(
    "/{name}",
    summary="Delete a model with every version",
    response_model=Deleted,
    responses=_ERRORS,
    openapi_extra=_ADMIN,
)
async def delete_model(request: Request, name: str = _NAME) -> FastJSONResponse:
    state = request.app.state.limelight
    actor, key_id = actor_of(request)
    await anyio.to_thread.run_sync(lambda: state.registry.delete_model(name))
    state.manager.forget(name)
    await anyio.to_thread.run_sync(
        lambda: _security(request).audit.record(
            actor=actor, key_id=key_id, action="model.delete", target=name
        )
    )
    return FastJSONResponse({"deleted": name})
