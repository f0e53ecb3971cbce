"""A hard cap on every request body, in size and in time, before any route reads it.

A declared Content-Length over ``max_bytes`` is refused at once (413); a streamed body is
counted as it arrives and refused when it passes the cap, so memory use stays bounded; a body
that has not fully arrived ``timeout`` seconds after the request started is refused (408), so
slow uploads cannot hold a worker. Routes may enforce tighter limits of their own (predict
bodies use ``max_body_bytes``).
"""

from __future__ import annotations

import asyncio
import time

from starlette.exceptions import HTTPException

from limelight.server.errors import error_response
from limelight.server.logs import ASGIApp, Message, Receive, Scope, Send


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int, timeout: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                response = error_response(
                    413,
                    "payload_too_large",
                    f"the request body is {int(value)} bytes; the limit is {self.max_bytes}",
                    path=scope["path"],
                )
                await response(scope, receive, send)
                return
        deadline = time.monotonic() + self.timeout
        received = 0
        complete = False

        async def limited_receive() -> Message:
            nonlocal received, complete
            if complete:  # the body is in: waits for a disconnect are not limited
                return await receive()
            left = deadline - time.monotonic()
            try:
                async with asyncio.timeout(max(left, 0.001)):  # cheaper than anyio's scope
                    message = await receive()
            except TimeoutError:
                raise HTTPException(
                    408,
                    f"the request body did not arrive within {self.timeout:g} s; "
                    "send it faster or in smaller requests",
                ) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(
                        413, f"the request body is over the limit of {self.max_bytes} bytes"
                    )
            return message

        await self.app(scope, limited_receive, send)
