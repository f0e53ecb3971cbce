"""Admin routes for API keys and the audit log: /v1/keys, /v1/audit."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from limelight.registry.audit import AuditAction
from limelight.registry.keys import parse_duration, parse_quota, parse_rate
from limelight.server.auth import Security, actor_of, requires
from limelight.server.responses import FastJSONResponse
from limelight.server.schemas import ERROR_RESPONSES

router = APIRouter(prefix="/v1", tags=["admin"])
Scope = Annotated[str, Field(pattern=r"^(admin|train|predict:[A-Za-z0-9._*?\[\]-]{1,64})$")]
_ADMIN = requires("admin")
_ERRORS: dict[int | str, dict[str, Any]] = {s: ERROR_RESPONSES[s] for s in (404, 422)}


class KeyCreate(BaseModel):
    model_config = {"extra": "forbid"}

    name: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="Who uses the key, e.g. mobile-app",
    )
    scopes: list[Scope] = Field(
        min_length=1,
        max_length=64,
        description="predict:<model glob> (e.g. predict:movie-*), train, admin",
        examples=[["predict:review-sentiment", "predict:movie-*"]],
    )
    expires: str | None = Field(
        default=None,
        pattern=r"^[0-9]{1,9}[smhdw]$",
        description="Lifetime like 12h, 30d or 2w (default: never)",
    )
    rate: str | None = Field(
        default=None,
        pattern=r"^[0-9]{1,9}(\.[0-9]{1,6})?/(s|sec|m|min|h|hour|d|day)$",
        description="Like 50/s, 600/min or 1000/h",
    )
    burst: int | None = Field(default=None, ge=1, le=1_000_000, description="Bucket size")
    quota: str | None = Field(
        default=None,
        pattern=r"^[0-9]{1,15}(/(d|day))?$",
        description="Requests per UTC day, like 100000/day",
    )


class KeyInfo(BaseModel):
    key_id: str
    name: str
    scopes: list[str]
    status: Literal["active", "expired", "revoked"]
    created_at: str
    expires_at: str | None
    revoked_at: str | None
    rate: float | None = Field(description="Requests per second")
    burst: int | None
    quota: int | None = Field(description="Requests per UTC day")


class KeyCreated(KeyInfo):
    key: str = Field(description="The key itself: shown this once, stored only as a hash")


class AuditEntry(BaseModel):
    id: int
    at: str
    actor: str
    key_id: str | None
    action: str
    target: str
    detail: dict[str, Any]


def _security(request: Request) -> Security:
    security: Security = request.app.state.security
    return security


@router.post(
    "/keys",
    summary="Create an API key (shown once)",
    status_code=201,
    response_model=KeyCreated,
    responses={409: {"description": "An active key has this name"}, **_ERRORS},
    openapi_extra=_ADMIN,
)
async def create_key(request: Request, body: KeyCreate) -> FastJSONResponse:
    security = _security(request)
    actor, actor_key = actor_of(request)
    expires = parse_duration(body.expires) if body.expires else None
    rate = parse_rate(body.rate) if body.rate else None
    quota = parse_quota(body.quota) if body.quota else None

    def work() -> tuple[Any, str]:
        return security.keys.create(
            body.name,
            body.scopes,
            expires_in=expires,
            rate=rate,
            burst=body.burst,
            quota=quota,
            actor=actor,
            actor_key_id=actor_key,
        )

    key, secret = await anyio.to_thread.run_sync(work)
    security.forget()
    return FastJSONResponse({**key.to_dict(), "key": secret}, status_code=201)


@router.get("/keys", summary="List API keys", response_model=list[KeyInfo], openapi_extra=_ADMIN)
async def list_keys(
    request: Request,
    include_revoked: bool = Query(False, description="Also list revoked keys"),
) -> FastJSONResponse:
    keys = await anyio.to_thread.run_sync(
        lambda: _security(request).keys.list(include_revoked=include_revoked)
    )
    return FastJSONResponse([k.to_dict() for k in keys])


@router.delete(
    "/keys/{key}",
    summary="Revoke an API key",
    response_model=KeyInfo,
    responses=_ERRORS,
    openapi_extra=_ADMIN,
)
async def revoke_key(
    request: Request,
    key: str = Path(description="Key name or key id", min_length=1, max_length=64),
) -> FastJSONResponse:
    security = _security(request)
    actor, actor_key = actor_of(request)
    revoked = await anyio.to_thread.run_sync(
        lambda: security.keys.revoke(key, actor=actor, actor_key_id=actor_key)
    )
    security.forget()
    return FastJSONResponse(revoked.to_dict())


@router.get(
    "/audit",
    summary="The audit log, newest first",
    response_model=list[AuditEntry],
    responses=_ERRORS,
    openapi_extra=_ADMIN,
)
async def audit(
    request: Request,
    limit: int = Query(100, ge=1, le=10_000, description="How many events"),
    action: AuditAction | None = Query(None, description="Only this action"),
    actor: str | None = Query(None, max_length=128, description="Only this actor (key name)"),
) -> FastJSONResponse:
    events = await anyio.to_thread.run_sync(
        lambda: _security(request).audit.list(limit=limit, action=action, actor=actor)
    )
    return FastJSONResponse([e.to_dict() for e in events])
