"""Structured logs: one JSON object per line, with the request id on every line of a request.

Nothing secret reaches a log line: request bodies are not logged unless ``log_bodies`` is on, and
every line (message and fields) goes through ``redact``: API keys, bearer tokens, e-mail
addresses and phone numbers are replaced. Configure once, where the server process starts.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from typing import Any

import orjson

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

request_id_var: ContextVar[str | None] = ContextVar("limelight_request_id", default=None)
access_log = logging.getLogger("limelight.access")

_REDACTIONS = (
    (re.compile(r"ll_[0-9a-f]{12}_[A-Za-z0-9_-]{20,}"), "[key]"),
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+"), r"\1 [redacted]"),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"), "[email]"),
    (re.compile(r"(?<![\w.])\+?\d(?:[\s().-]?\d){7,14}(?![\w.])"), "[phone]"),
)
_PROBES = frozenset({"/healthz", "/readyz"})  # polled every few seconds: not logged when fine
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_BODY_LOG_LIMIT = 4096
_SAFE_FIELDS = frozenset({"key_id", "method", "status", "duration_ms"})  # never personal


def redact(text: str) -> str:
    """Replace API keys, bearer tokens, e-mail addresses and phone numbers."""
    if len(text) <= 256:  # paths and messages repeat: redact each distinct one once
        return _redact_short(text)
    return _redact(text)


def _redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


_redact_short = functools.lru_cache(maxsize=4096)(_redact)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    return value


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id", ...fields}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(
                {k: v if k in _SAFE_FIELDS else _redact_value(v) for k, v in fields.items()}
            )
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(line, default=str).decode()


JsonFormatter.converter = time.gmtime


def configure_logging(level: int = logging.INFO) -> None:
    """Send every log record of the process to standard error as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True


class RequestContextMiddleware:
    """Gives every request an id (a sane incoming ``X-Request-ID`` is kept), returns it as
    ``X-Request-ID``, and writes one access line per request (no query string, no body unless
    ``log_bodies``, and then redacted)."""

    def __init__(self, app: ASGIApp, *, access: bool = True, log_bodies: bool = False) -> None:
        self.app = app
        self.access = access
        self.log_bodies = log_bodies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = (
            incoming if incoming and _INCOMING_ID.match(incoming) else uuid.uuid4().hex[:16]
        )
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 0
        body = bytearray()

        async def receive_logged() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(body) < _BODY_LOG_LIMIT:
                body.extend(message.get("body", b"")[: _BODY_LOG_LIMIT - len(body)])
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive_logged if self.log_bodies else receive, send_with_id)
        finally:
            quiet = status == 200 and scope.get("path") in _PROBES
            if self.access and not quiet:
                state = scope.get("state", {})
                fields: dict[str, Any] = {
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status or 500,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "key_id": state.get("key_id"),
                }
                if self.log_bodies and body:
                    fields["body"] = redact(body.decode("utf-8", "replace"))
                access_log.info("request", extra={"fields": fields})
            request_id_var.reset(token)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None
