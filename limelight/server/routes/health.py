"""Liveness and readiness probes."""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, Request

from limelight.server.responses import FastJSONResponse

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> FastJSONResponse:
    return FastJSONResponse({"status": "ok"})


@router.get("/readyz", summary="Readiness: the registry answers and preloaded models are loaded")
async def readyz(request: Request) -> FastJSONResponse:
    state = request.app.state.limelight
    problems: list[str] = []
    try:
        await anyio.to_thread.run_sync(state.registry.list_models)
    except Exception as exc:  # any failure to reach the registry means not ready
        problems.append(f"registry: {exc}")
    problems.extend(f"{ref}: {msg}" for ref, msg in state.load_failures.items())
    if not state.preloaded:
        problems.append("models are still loading")
    status = 200 if not problems else 503
    return FastJSONResponse(
        {
            "status": "ready" if status == 200 else "not ready",
            "problems": problems,
            "loaded": [f"{n}/versions/{v}" for n, v in state.manager.loaded()],
        },
        status_code=status,
    )
