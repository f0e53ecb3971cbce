"""One place that renders every error as ``{"error": {"code", "message", "field"?}}``.

Paths under /v2 speak the KServe V2 protocol, whose errors are ``{"error": "message"}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from limelight.errors import LimelightError
from limelight.server.responses import FastJSONResponse

log = logging.getLogger("limelight.server")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def _is_v2_path(path: str) -> bool:
    return path == "/v2" or path.startswith("/v2/")


def _is_v2(request: Request) -> bool:
    return _is_v2_path(request.url.path)


def error_response(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    request: Request | None = None,
    *,
    path: str | None = None,
) -> FastJSONResponse:
    """The error body for ``path`` (taken from ``request`` when given): the native shape, or
    KServe V2's ``{"error": "message"}`` under /v2 (middleware that has no Request passes the
    path)."""
    path = request.url.path if request is not None else path
    if path is not None and _is_v2_path(path):
        # V2 clients expect 400 for a bad request where the native API says 422
        return FastJSONResponse({"error": message}, status_code=400 if status == 422 else status)
    body: dict[str, str] = {"code": code, "message": message}
    if field is not None:
        body["field"] = field
    return FastJSONResponse({"error": body}, status_code=status)


def exception_response(exc: Exception, method: str, path: str) -> FastJSONResponse:
    """The response for an exception raised while answering ``method path``: what the app's
    exception handlers answer (they call this), for code that runs outside FastAPI's router."""
    if isinstance(exc, LimelightError):
        if exc.status_code >= 500:
            log.warning("%s: %s", exc.code, exc.message)
        if _is_v2_path(path):
            response = error_response(exc.status_code, exc.code, exc.message, path=path)
            response.headers.update(exc.headers())
            return response
        return FastJSONResponse(exc.to_dict(), status_code=exc.status_code, headers=exc.headers())
    if isinstance(exc, StarletteHTTPException):
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"no route {method} {path}; see /docs"
        elif exc.status_code == 405:
            allowed = (exc.headers or {}).get("Allow")
            use = f"; use {allowed}" if allowed else ""
            message = f"{method} is not allowed on {path}{use} (see /docs)"
        response = error_response(exc.status_code, code, message, path=path)
        if exc.headers:
            response.headers.update(exc.headers)
        return response
    log.exception("unhandled error", exc_info=exc)
    message = "internal error; the server log has the details"
    return error_response(500, "internal_error", message, path=path)


def _allowed_methods(request: Request) -> str | None:
    """Every method some route answers on this path (Starlette's own Allow header names only
    the first route whose path matched: ``/v1/models/x/versions/1`` has GET and DELETE)."""
    from limelight.server.auth import app_routes  # auth renders its errors through here

    methods: set[str] = set()
    for context in app_routes(request.app):
        match, _ = context.matches(request.scope)
        if match is not Match.NONE:
            methods |= getattr(context.original_route, "methods", None) or set()
    return ", ".join(sorted(methods)) or None


async def _handled(request: Request, exc: Exception) -> FastJSONResponse:
    if isinstance(exc, StarletteHTTPException) and exc.status_code == 405:
        allowed = _allowed_methods(request)
        if allowed:
            exc = StarletteHTTPException(405, exc.detail, {**(exc.headers or {}), "Allow": allowed})
    return exception_response(exc, request.method, request.url.path)


async def _validation_error(request: Request, exc: Exception) -> FastJSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
    field = ".".join(loc) or None
    message = f"{field}: {first['msg']}" if field else str(first["msg"])
    return error_response(422, "invalid_input", message, field, request=request)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(LimelightError, _handled)
    app.add_exception_handler(StarletteHTTPException, _handled)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _handled)
