"""Reading request bodies within a size limit, and parsing them as JSON.

The ASGI-level functions (``receive_body``, ``parse_json``) serve the predict fast path; the
``Request`` ones wrap them for FastAPI routes, so both read and refuse bodies the same way."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import orjson
from fastapi import Request
from starlette.requests import ClientDisconnect

from limelight.errors import InvalidInput, PayloadTooLarge

Receive = Callable[[], Awaitable[Any]]


class MalformedJSON(InvalidInput):
    status_code = 400
    code = "malformed_json"


def check_declared_length(headers: Iterable[tuple[bytes, bytes]], limit: int) -> None:
    """Refuse (413) a body whose declared Content-Length is over ``limit`` before reading it."""
    for name, value in headers:
        if name == b"content-length":
            if value.isdigit() and int(value) > limit:
                raise PayloadTooLarge(
                    f"the request body is {int(value)} bytes; the limit is {limit}"
                )
            return


async def receive_body(receive: Receive, limit: int) -> bytes:
    """The body from ASGI ``receive``, refusing (413) as soon as it grows over ``limit``."""
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientDisconnect()
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):  # the usual case: one message
        if len(body) > limit:
            raise PayloadTooLarge(f"the request body is over the limit of {limit} bytes")
        return body
    chunks = [body]
    size = len(body)
    while True:
        if size > limit:
            raise PayloadTooLarge(f"the request body is over the limit of {limit} bytes")
        if not message.get("more_body", False):
            return b"".join(chunks)
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)


def parse_json(raw: bytes) -> Any:
    if not raw.strip():
        raise MalformedJSON("the request body is empty; send a JSON object")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MalformedJSON(f"the request body is not valid JSON: {exc}") from exc


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing (413) as soon as it is larger than ``limit`` bytes: the declared
    Content-Length is checked first, and a streamed body is counted as it arrives."""
    check_declared_length(request.scope.get("headers", ()), limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the request body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, limit: int) -> Any:
    return parse_json(await read_body(request, limit))
