"""The composition root of the server: settings -> registry -> model manager -> FastAPI app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio.to_thread
from fastapi import FastAPI
from starlette.routing import BaseRoute

import limelight
from limelight.deployments import DeploymentStore, load_file
from limelight.errors import LimelightError
from limelight.registry import Registry
from limelight.runtime import ModelManager
from limelight.runtime.batch_config import BatchConfig
from limelight.runtime.manager import LoadPolicy
from limelight.server.auth import app_routes, install_security
from limelight.server.deployments import Deployments
from limelight.server.errors import install_error_handlers
from limelight.server.fastpath import PredictFastPath
from limelight.server.metrics import Metrics, MetricsMiddleware
from limelight.server.responses import FastJSONResponse
from limelight.server.routes import (
    admin,
    embeddings,
    endpoints,
    health,
    indexes,
    insight,
    keys,
    metrics,
    models,
    recommend,
    v2,
)
from limelight.settings import Settings

log = logging.getLogger("limelight.server")


@dataclass
class ServerState:
    settings: Settings
    registry: Registry
    manager: ModelManager
    metrics: Metrics
    deployment_store: DeploymentStore
    deployments: Deployments
    preload: bool = False
    preloaded: bool = True


async def _preload(state: ServerState) -> None:
    """Load the default version of models (up to the loaded-models cap) and every endpoint's
    targets, so first requests do not pay for loading. A model that fails is recorded by the
    manager and reported by /readyz; the others still load."""
    summaries = await anyio.to_thread.run_sync(state.registry.list_models)
    for summary in summaries[: state.manager.policy.max_loaded]:
        try:
            await state.manager.get(summary.name)
        except LimelightError as exc:
            log.error("cannot load %s: %s", summary.name, exc.message)
    state.preloaded = True


async def _start(state: ServerState) -> None:
    removed = await anyio.to_thread.run_sync(state.registry.artifacts.clean_staging)
    if removed:
        log.warning("removed %d staging folder(s) left by interrupted training runs", removed)
    if state.settings.deployments_file is not None:
        specs = load_file(state.settings.deployments_file)
        await anyio.to_thread.run_sync(lambda: state.deployment_store.apply(specs, actor="serve"))
    await state.deployments.refresh()
    if state.preload:
        await _preload(state)


async def _unload_idle(state: ServerState) -> None:
    idle = state.manager.policy.idle_seconds
    assert idle is not None
    while True:
        await asyncio.sleep(min(max(idle / 4, 0.05), 30.0))
        for name, version in state.manager.unload_idle():
            log.info("unloaded idle model %s/versions/%d", name, version)


def create_app(
    settings: Settings | None = None, registry: Registry | None = None, *, preload: bool = False
) -> FastAPI:
    settings = settings or Settings()
    registry = registry or Registry.from_settings(settings)
    server_metrics = Metrics()
    manager = ModelManager(
        registry,
        alias_ttl=settings.alias_cache_seconds,
        batch_config=BatchConfig.from_settings(settings),
        policy=LoadPolicy.from_settings(settings),
        events=server_metrics,
    )
    server_metrics.bind(manager)
    store = DeploymentStore.for_registry(registry)
    state = ServerState(
        settings=settings,
        registry=registry,
        manager=manager,
        metrics=server_metrics,
        deployment_store=store,
        deployments=Deployments(store, manager, ttl=settings.deployment_cache_seconds),
        preload=preload,
        preloaded=not preload,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await _start(state)
        idle = None
        if manager.policy.idle_seconds is not None:
            idle = asyncio.get_running_loop().create_task(_unload_idle(state))
        yield
        if idle is not None:
            idle.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await idle
        await manager.drain(settings.grace_seconds)
        await manager.close()
        store.close()

    app = FastAPI(
        title="Limelight",
        version=limelight.__version__,
        description="Models for entertainment products behind one HTTP API: "
        "choose → train → register → deploy → call.",
        default_response_class=FastJSONResponse,
        lifespan=lifespan,
    )
    app.state.limelight = state
    app.include_router(health.router)
    app.include_router(insight.router)  # before models: /models/{ref:path} would match first
    app.include_router(embeddings.router)
    app.include_router(v2.router)
    app.include_router(indexes.router)
    app.include_router(models.router)
    app.include_router(admin.router)
    app.include_router(keys.router)
    app.include_router(recommend.router)
    app.include_router(endpoints.router)
    app.include_router(metrics.router)
    install_error_handlers(app)
    if settings.fast_path:  # innermost: every middleware below still wraps it
        app.add_middleware(PredictFastPath, route=predict_route(app), state=state)
    install_security(app, settings)
    # outermost: counts every answer, 401/403/429 from the security middleware included
    app.add_middleware(MetricsMiddleware, metrics=server_metrics, manager=manager)
    return app


def predict_route(app: FastAPI) -> BaseRoute:
    """The FastAPI route ``POST /v1/models/{ref:path}/predict`` (the fast path stands in for it)."""
    for context in app_routes(app):
        route = context.original_route
        if getattr(route, "path", None) == "/v1/models/{ref:path}/predict":
            return route
    raise RuntimeError("the predict route is not registered")


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` and worker processes: settings from the environment."""
    import os

    from limelight.server.logs import configure_logging

    configure_logging()
    return create_app(Settings(), preload=os.environ.get("LIMELIGHT_PRELOAD", "1") == "1")
