"""The server's view of the deployments: re-read from the registry every few seconds (so a
change made by the CLI or another worker arrives), with the targets of a changed endpoint
loaded before the change takes traffic."""

from __future__ import annotations

import asyncio
import logging
import time

import anyio.to_thread

from limelight.deployments import DeploymentStore, EndpointNotFound, EndpointSpec
from limelight.errors import LimelightError
from limelight.registry.refs import parse_ref
from limelight.runtime import ModelManager

log = logging.getLogger("limelight.server")


class Deployments:
    def __init__(self, store: DeploymentStore, manager: ModelManager, ttl: float = 1.0) -> None:
        self.store = store
        self.manager = manager
        self.ttl = ttl
        self._specs: dict[str, EndpointSpec] = {}
        self._checked = float("-inf")
        self._lock = asyncio.Lock()
        self._refreshing: asyncio.Task[None] | None = None

    async def get(self, name: str) -> EndpointSpec:
        specs = await self.current()
        spec = specs.get(name)
        if spec is None:
            await self.refresh()  # created a moment ago by another process?
            spec = self._specs.get(name)
        if spec is None:
            raise EndpointNotFound(
                f"no endpoint named {name!r}; see GET /v1/endpoints or `limelight deploy list`"
            )
        return spec

    async def current(self) -> dict[str, EndpointSpec]:
        """The endpoints; a stale copy answers while a background refresh runs."""
        if time.monotonic() - self._checked >= self.ttl:
            if self._checked == float("-inf"):
                await self.refresh()
            elif self._refreshing is None or self._refreshing.done():
                self._refreshing = asyncio.get_running_loop().create_task(self._quiet_refresh())
        return self._specs

    async def _quiet_refresh(self) -> None:
        try:
            await self.refresh()
        except LimelightError as exc:  # e.g. registry busy: keep serving what we have
            log.warning("cannot refresh deployments: %s", exc.message)

    async def refresh(self) -> None:
        async with self._lock:
            fresh = await anyio.to_thread.run_sync(self.store.all)
            self.manager.set_batching(batching_by_model(fresh))
            for name, spec in fresh.items():
                if self._specs.get(name) != spec:
                    await self._warm(name, spec)
            old_refs = {t.model for s in self._specs.values() for t in s.targets}
            new_refs = {t.model for s in fresh.values() for t in s.targets}
            self._specs = fresh
            self._checked = time.monotonic()
            for ref in old_refs - new_refs:
                self.manager.release(ref)

    async def _warm(self, name: str, spec: EndpointSpec) -> None:
        """Load every target before the endpoint's new spec takes traffic."""
        for target in spec.targets:
            try:
                await self.manager.get(target.model)
            except LimelightError as exc:
                log.warning(
                    "endpoint %s: target %s cannot load: %s", name, target.model, exc.message
                )


def batching_by_model(specs: dict[str, EndpointSpec]) -> dict[str, dict[str, float]]:
    """The ``batching`` block of each endpoint, applied to the models its targets name (batching
    is per model: when two endpoints set it for one model, the later endpoint name wins)."""
    out: dict[str, dict[str, float]] = {}
    for _, spec in sorted(specs.items()):
        if spec.batching is None:
            continue
        values = spec.batching.model_dump(exclude_none=True)
        for target in spec.targets:
            name = parse_ref(target.model).name
            out[name] = {**out.get(name, {}), **values}
    return out
