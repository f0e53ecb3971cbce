"""Prometheus scrape endpoint."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from limelight.server.auth import requires

router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    summary="Prometheus metrics (text exposition format); needs an admin key once keys exist",
    openapi_extra=requires("admin"),
)
async def metrics(request: Request) -> Response:
    body = request.app.state.limelight.metrics.render()
    return Response(body, media_type=CONTENT_TYPE_LATEST)
