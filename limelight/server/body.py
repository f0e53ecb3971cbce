"""Reading request bodies within a size limit, and parsing them as JSON."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from limelight.errors import InvalidInput, PayloadTooLarge


class MalformedJSON(InvalidInput):
    status_code = 400
    code = "malformed_json"


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing (413) as soon as it is larger than ``limit`` bytes: the declared
    Content-Length is checked first, and a streamed body is counted as it arrives."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the request body is {declared} bytes; the limit is {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the request body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, limit: int) -> Any:
    raw = await read_body(request, limit)
    if not raw.strip():
        raise MalformedJSON("the request body is empty; send a JSON object")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MalformedJSON(f"the request body is not valid JSON: {exc}") from exc
