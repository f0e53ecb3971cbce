"""The predict fast path: ``POST /v1/models/{ref}/predict`` answered without FastAPI's router.

Prediction is the route a deployed model is called on thousands of times a second; on a small
machine FastAPI's routing and dependency machinery cost more per request than a TF-IDF model
does (measured: benchmarks/serving, README "Request path"). This ASGI middleware sits innermost
in the middleware stack — request ids and access log, auth, scopes and rate limits, body limits
and metrics all still apply, in the same order — and answers the predict route itself with the
same functions the FastAPI route uses (``read the body within its limit`` → ``manager.get`` →
``run_predict``) and the same error rendering (``exception_response``). The FastAPI route stays
registered: it documents the route in OpenAPI and answers when the fast path is turned off
(``LIMELIGHT_FAST_PATH=0``). tests/server/test_fastpath.py checks that both answer every request
of a battery (good inputs and each kind of bad one) with the same status, headers and body.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.routing import BaseRoute

from limelight.server.body import check_declared_length, parse_json, receive_body
from limelight.server.errors import exception_response
from limelight.server.responses import FastJSONResponse

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: the FastAPI route's path, ``/v1/models/{ref:path}/predict`` (Starlette's ``path`` is ``.*``)
PREDICT_PATH = re.compile(r"^/v1/models/(?P<ref>.*)/predict$")


class PredictFastPath:
    def __init__(self, app: ASGIApp, *, route: BaseRoute, state: Any) -> None:
        self.app = app
        self.route = route  # the FastAPI route it stands in for (metrics read its path)
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = (
            PREDICT_PATH.match(scope["path"])
            if scope["type"] == "http" and scope["method"] == "POST"
            else None
        )
        if match is None or not match["ref"]:
            await self.app(scope, receive, send)
            return
        ref = match["ref"]
        scope["route"] = self.route
        scope["endpoint"] = getattr(self.route, "endpoint", None)
        scope["path_params"] = {"ref": ref}
        # imported here: routes.models imports the server's schemas, which import this package
        from limelight.server.routes.models import run_predict

        state = self.state
        try:
            limit = state.settings.max_body_bytes
            check_declared_length(scope.get("headers", ()), limit)
            body = parse_json(await receive_body(receive, limit))
            model = await state.manager.get(ref)
            payload = await run_predict(state, model, body)
            response = FastJSONResponse(
                payload, headers={"X-Limelight-Model-Version": str(model.version)}
            )
        except ClientDisconnect:
            return  # nobody is listening for an answer
        except Exception as exc:
            response = exception_response(exc, scope["method"], scope["path"])
        await response(scope, receive, send)
