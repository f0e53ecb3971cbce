"""Authentication, authorization and rate limiting, in front of every route.

Auth is on as soon as any API key exists in the registry. Then every request needs a key
(``Authorization: Bearer <key>`` or ``X-API-Key: <key>``) except the public probes and docs
(``/healthz``, ``/readyz``, ``/v2/health/*``, ``/docs``, ``/openapi.json``). With no key at all
the server runs open (the CLI allows that on loopback only, and says so loudly).

Each route declares the scope it needs in its OpenAPI operation (``openapi_extra=requires(...)``):

    "predict"      predict:<glob> matching the model named in the path (ref, name, model_name)
    "predict:any"  any predict scope (the route filters by model itself, see ``authorize_model``)
    "train"        train
    "admin"        admin (also the default for a route that declares nothing)

``admin`` implies every other scope. A refused request gets 401 (no, unknown, revoked or
expired key), 403 (the key lacks the scope) or 429 (rate or daily quota), rendered like every
other error.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.routing import RouteContext, iter_route_contexts
from starlette.routing import BaseRoute, Match

from limelight.errors import Forbidden, InvalidInput, LimelightError, RateLimited, Unauthorized
from limelight.registry.audit import AuditLog
from limelight.registry.keys import ApiKey, KeyStore, hash_key
from limelight.registry.refs import parse_ref
from limelight.server.errors import error_response
from limelight.server.logs import ASGIApp, Message, Receive, Scope, Send
from limelight.server.ratelimit import Decision, RateLimiter, make_rate_limiter
from limelight.settings import Settings

SCOPE_FIELD = "x-limelight-scope"
KINDS = ("predict", "predict:any", "train", "admin")
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/docs", "/openapi.json"})
PUBLIC_PREFIXES = ("/v2/health/",)
MODEL_PARAMS = ("ref", "name", "model_name", "model")
_CACHE_MAX = 10_000


def requires(kind: str) -> dict[str, Any]:
    """``openapi_extra`` for a route: the scope it needs (see the module docstring)."""
    if kind not in KINDS:
        raise ValueError(f"unknown scope kind {kind!r}")
    return {SCOPE_FIELD: kind}


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def required_scope(route: BaseRoute | RouteContext) -> str:
    extra = getattr(route, "openapi_extra", None) or {}
    return str(extra.get(SCOPE_FIELD, "admin"))


def model_in(params: dict[str, Any]) -> str | None:
    """The model a request names in its path, or None."""
    for name in MODEL_PARAMS:
        value = params.get(name)
        if isinstance(value, str) and value:
            try:
                return parse_ref(value).name
            except InvalidInput:
                return None
    return None


def check_scope(key: ApiKey, kind: str, params: dict[str, Any]) -> None:
    """Raise Forbidden unless ``key`` may call a route of scope ``kind`` with these params."""
    if key.is_admin:
        return
    if kind == "predict":
        model = model_in(params)
        allowed = key.can_predict(model) if model is not None else key.can_predict_any()
        if not allowed:
            raise Forbidden(
                f"key {key.key_id} ({key.name}) has no predict scope for model {model!r}; "
                f"its scopes are {', '.join(key.scopes)}"
            )
    elif kind == "predict:any":
        if not key.can_predict_any():
            raise Forbidden(f"key {key.key_id} ({key.name}) has no predict scope")
    elif kind == "train":
        if not key.can_train():
            raise Forbidden(f"key {key.key_id} ({key.name}) needs the train scope")
    else:
        raise Forbidden(f"key {key.key_id} ({key.name}) needs the admin scope")


def current_key(request: Request) -> ApiKey | None:
    """The key of this request (None when the server runs open)."""
    key = request.scope.get("state", {}).get("api_key")
    return key if isinstance(key, ApiKey) else None


def actor_of(request: Request) -> tuple[str, str | None]:
    """(actor name, key id) for the audit log."""
    key = current_key(request)
    if key is None:
        client = request.client.host if request.client else "unknown"
        return f"open-mode@{client}", None
    return key.name, key.key_id


def authorize_model(request: Request, model: str) -> None:
    """For routes that name the model in the body: raise Forbidden unless the key may predict."""
    key = current_key(request)
    if key is not None and not key.can_predict(model):
        raise Forbidden(f"key {key.key_id} ({key.name}) has no predict scope for model {model!r}")


@dataclass
class Security:
    """The key store, audit log and rate limiter of one server process."""

    keys: KeyStore
    audit: AuditLog
    limiter: RateLimiter
    cache_seconds: float = 1.0
    _enabled: bool = False
    _checked_at: float = -1e9
    _cache: dict[str, tuple[ApiKey, float]] = field(default_factory=dict)
    _asking: asyncio.Future[None] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Security:
        url = settings.resolved_database_url
        return cls(
            keys=KeyStore(url),
            audit=AuditLog(url),
            limiter=make_rate_limiter(settings.redis_url),
            cache_seconds=settings.auth_cache_seconds,
        )

    async def enabled(self) -> bool:
        """Whether any key exists (once true it stays true: keys are revoked, never deleted).
        Requests that arrive while the key store is being asked wait for that one answer rather
        than each querying it (no herd of registry queries under load when the cache expires)."""
        if self._enabled:
            return True
        if time.monotonic() - self._checked_at >= self.cache_seconds:
            if self._asking is None:
                self._asking = asyncio.ensure_future(self._ask())
            asking = self._asking
            await asyncio.shield(asking)
        return self._enabled

    async def _ask(self) -> None:
        try:
            self._enabled = await anyio.to_thread.run_sync(self.keys.any_keys)
            self._checked_at = time.monotonic()
        finally:
            self._asking = None

    async def identify(self, presented: str) -> ApiKey:
        digest = hash_key(presented)
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is not None and now - hit[1] < self.cache_seconds:
            key = hit[0]
            if key.status() != "active":
                raise Unauthorized(f"API key {key.key_id} ({key.name}) is {key.status()}")
            return key
        key = await anyio.to_thread.run_sync(self.keys.authenticate, presented)
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[digest] = (key, now)
        return key

    def forget(self) -> None:
        """Drop cached keys (after a revocation in this process)."""
        self._cache.clear()
        self._enabled = False
        self._checked_at = -1e9


def presented_key(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
        elif name == b"x-api-key" and value.strip():
            return str(value.decode("latin-1").strip())
    return None


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, *, security: Security) -> None:
        self.app = app
        self.security = security

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        decision: Decision | None = None
        try:
            key = await self._authenticate(scope)
            if key is not None:
                decision = await self.security.limiter.hit(key)
                if not decision.allowed:
                    raise decision.error()
        except LimelightError as exc:
            if scope["type"] == "websocket":  # refuse the handshake (policy violation)
                await receive()  # websocket.connect
                await send({"type": "websocket.close", "code": 1008, "reason": exc.message[:120]})
                return
            response = error_response(
                exc.status_code, exc.code, exc.message, exc.field, path=scope["path"]
            )
            if isinstance(exc, Unauthorized):
                response.headers["WWW-Authenticate"] = 'Bearer realm="limelight"'
            if isinstance(exc, RateLimited) and decision is not None:
                for name, value in decision.headers():
                    response.headers[name] = value
            await response(scope, receive, send)
            return
        headers = (
            [(n.lower().encode(), v.encode()) for n, v in decision.headers()] if decision else []
        )

        async def send_with_limits(message: Message) -> None:
            if headers and message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self.app(scope, receive, send_with_limits)

    async def _authenticate(self, scope: Scope) -> ApiKey | None:
        if not await self.security.enabled():
            return None
        presented = presented_key(scope)
        if presented is None:
            raise Unauthorized(
                "this server needs an API key: send `Authorization: Bearer <key>` or "
                "`X-API-Key: <key>` (an admin creates one with `limelight keys create`)"
            )
        key = await self.security.identify(presented)
        state = scope.setdefault("state", {})
        state["api_key"] = key
        state["key_id"] = key.key_id
        route, params = _match(scope)
        if route is not None:
            check_scope(key, required_scope(route), params)
        return key


def app_routes(app: Any) -> list[RouteContext]:
    """Every route of the app, included routers flattened (what routing and OpenAPI see)."""
    return list(iter_route_contexts(getattr(app, "routes", [])))


def _match(scope: Scope) -> tuple[RouteContext | None, dict[str, Any]]:
    for route in app_routes(scope.get("app")):
        match, child = route.matches(scope)
        if match == Match.FULL:
            return route, dict(child.get("path_params", {}))
    return None, {}


_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": "string"},
            },
        }
    },
}
_AUTH_RESPONSES = {
    "401": "No API key, or an unknown, revoked or expired one",
    "403": "The key lacks the scope this operation needs",
    "429": "Rate limit or daily quota used up (see Retry-After)",
}


def _own_validation_errors(operation: dict[str, Any]) -> None:
    """FastAPI documents 422 as its own HTTPValidationError; every error here is rendered as
    ``{"error": {...}}`` (server/errors.py), so document that instead."""
    answer = operation.get("responses", {}).get("422")
    if answer is None:
        return
    content = answer.get("content", {}).get("application/json", {})
    if "HTTPValidationError" in str(content.get("schema", "")):
        answer["description"] = "Invalid input"
        content["schema"] = _ERROR_SCHEMA


def _document(app: FastAPI) -> None:
    """Add the key schemes, each operation's scope and its 401/403/429 answers to OpenAPI."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {})
        components["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        }
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                _own_validation_errors(operation)
            if is_public(path):
                continue
            for operation in operations.values():
                operation.setdefault(SCOPE_FIELD, "admin")
                operation["security"] = [{"bearer": []}, {"apiKey": []}]
                responses = operation.setdefault("responses", {})
                for status, text in _AUTH_RESPONSES.items():
                    responses.setdefault(
                        status,
                        {
                            "description": text,
                            "content": {"application/json": {"schema": _ERROR_SCHEMA}},
                        },
                    )
        for name in ("HTTPValidationError", "ValidationError"):
            components.get("schemas", {}).pop(name, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_security(app: FastAPI, settings: Settings) -> Security:
    """Wire the request context (ids, JSON access log), auth + rate limits and body limits in
    front of every route; document them in OpenAPI."""
    from limelight.server.limits import BodyLimitMiddleware
    from limelight.server.logs import RequestContextMiddleware

    security = Security.from_settings(settings)
    app.state.security = security
    # Added innermost first: the request id wraps everything, then auth, then body limits.
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_request_bytes,
        timeout=settings.body_timeout_seconds,
    )
    app.add_middleware(SecurityMiddleware, security=security)
    app.add_middleware(
        RequestContextMiddleware, access=settings.access_log, log_bodies=settings.log_bodies
    )
    _document(app)
    return security
