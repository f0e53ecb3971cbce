"""The composition root of the server: settings -> registry -> model manager -> FastAPI app."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from fastapi import FastAPI

import limelight
from limelight.errors import LimelightError
from limelight.registry import Registry
from limelight.runtime import ModelManager
from limelight.runtime.batch_config import BatchConfig
from limelight.server.auth import install_security
from limelight.server.errors import install_error_handlers
from limelight.server.responses import FastJSONResponse
from limelight.server.routes import (
    admin,
    embeddings,
    health,
    indexes,
    insight,
    keys,
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
    preload: bool = False
    preloaded: bool = True
    load_failures: dict[str, str] = field(default_factory=dict)


async def _preload(state: ServerState) -> None:
    """Load the default version of every model, so first requests do not pay for loading."""
    for summary in state.registry.list_models():
        try:
            await state.manager.get(summary.name)
        except LimelightError as exc:
            state.load_failures[summary.name] = exc.message
            log.error("cannot load %s: %s", summary.name, exc.message)
    state.preloaded = True


def create_app(
    settings: Settings | None = None, registry: Registry | None = None, *, preload: bool = False
) -> FastAPI:
    settings = settings or Settings()
    registry = registry or Registry.from_settings(settings)
    state = ServerState(
        settings=settings,
        registry=registry,
        manager=ModelManager(
            registry,
            alias_ttl=settings.alias_cache_seconds,
            batch_config=BatchConfig.from_settings(settings),
        ),
        preload=preload,
        preloaded=not preload,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if state.preload:
            await _preload(state)
        yield
        await state.manager.close()

    app = FastAPI(
        title="Limelight",
        version=limelight.__version__,
        description="Models for entertainment products behind one HTTP API: "
        "choose → train → register → deploy → call.",
        default_response_class=FastJSONResponse,
        lifespan=lifespan,
    )
    app.state.limelight = state
    install_error_handlers(app)
    install_security(app, settings)
    app.include_router(health.router)
    app.include_router(insight.router)  # before models: /models/{ref:path} would match first
    app.include_router(embeddings.router)
    app.include_router(v2.router)
    app.include_router(indexes.router)
    app.include_router(models.router)
    app.include_router(admin.router)
    app.include_router(keys.router)
    app.include_router(recommend.router)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` and worker processes: settings from the environment."""
    import os

    from limelight.server.logs import configure_logging

    configure_logging()
    return create_app(Settings(), preload=os.environ.get("LIMELIGHT_PRELOAD", "1") == "1")
