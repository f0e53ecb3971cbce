"""Liveness and readiness probes."""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, Request

from limelight.server.responses import FastJSONResponse

router = APIRouter(tags=["health"])


# HEAD too (some load balancers and uptime monitors probe with it), left out of the schema
@router.head("/healthz", include_in_schema=False)
@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> FastJSONResponse:
    return FastJSONResponse({"status": "ok"})


@router.head("/readyz", include_in_schema=False)
@router.get(
    "/readyz",
    summary="Readiness: the registry answers and preloading is done",
    description="503 while the registry cannot be reached or models are still preloading. A "
    "model that failed to load is listed under `failed` (status `degraded`) without making the "
    "server unready: every other model keeps serving.",
)
async def readyz(request: Request) -> FastJSONResponse:
    state = request.app.state.limelight
    problems: list[str] = []
    try:
        await anyio.to_thread.run_sync(state.registry.list_models)
    except Exception as exc:  # any failure to reach the registry means not ready
        problems.append(f"registry: {exc}")
    if not state.preloaded:
        problems.append("models are still loading")
    failed = state.manager.failures()
    status = 200 if not problems else 503
    label = "not ready" if problems else ("degraded" if failed else "ready")
    return FastJSONResponse(
        {
            "status": label,
            "problems": problems,
            "failed": failed,
            "loaded": [f"{n}/versions/{v}" for n, v in state.manager.loaded()],
        },
        status_code=status,
    )
