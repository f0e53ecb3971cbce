"""Keeps loaded models in memory and resolves references to them, for long-running servers."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from pydantic import BaseModel

from limelight.registry import ModelVersion, Registry
from limelight.registry.refs import parse_ref
from limelight.runtime.batch_config import BatchConfig
from limelight.runtime.batcher import AdaptiveBatcher
from limelight.runtime.model import LoadedModel, load_version

ModelBatcher = AdaptiveBatcher[BaseModel, dict[str, Any]]


@dataclass
class _Resolved:
    version: ModelVersion
    at: float


class ModelManager:
    """Resolves ``name``/``name@alias``/``name/versions/N`` (caching alias lookups for
    ``alias_ttl`` seconds) and loads each version once, off the event loop. Each loaded version
    gets one :class:`AdaptiveBatcher` (settings from ``batch_config`` by model name), so
    concurrent requests for it share ``predict_batch`` calls."""

    def __init__(
        self,
        registry: Registry,
        *,
        alias_ttl: float = 0.5,
        batch_config: BatchConfig | None = None,
    ) -> None:
        self.registry = registry
        self.alias_ttl = alias_ttl
        self.batch_config = batch_config or BatchConfig()
        self._batchers: dict[tuple[str, int], ModelBatcher] = {}
        self._resolved: dict[str, _Resolved] = {}
        self._loaded: dict[tuple[str, int], LoadedModel] = {}
        self._locks: dict[tuple[str, int], asyncio.Lock] = {}

    async def resolve(self, ref: str) -> ModelVersion:
        now = time.monotonic()
        hit = self._resolved.get(ref)
        if hit is not None and now - hit.at < self.alias_ttl:
            return hit.version
        parsed = parse_ref(ref)
        version = await anyio.to_thread.run_sync(self.registry.resolve, parsed)
        self._resolved[ref] = _Resolved(version, now)
        return version

    async def get(self, ref: str) -> LoadedModel:
        version = await self.resolve(ref)
        key = (version.name, version.version)
        model = self._loaded.get(key)
        if model is not None:
            return model
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            model = self._loaded.get(key)
            if model is None:
                model = await anyio.to_thread.run_sync(load_version, self.registry, version)
                self._loaded[key] = model
        return model

    def invalidate(self) -> None:
        """Forget resolved aliases (after an alias move in this process)."""
        self._resolved.clear()

    def forget(self, name: str, version: int | None = None) -> None:
        """Unload a deleted version (or every version of a deleted model) and forget aliases."""
        for key in [k for k in self._loaded if k[0] == name and version in (None, k[1])]:
            del self._loaded[key]
            self._locks.pop(key, None)
        self.invalidate()

    def loaded(self) -> list[tuple[str, int]]:
        return sorted(self._loaded)

    def batcher(self, model: LoadedModel) -> ModelBatcher:
        """The batcher of a loaded version, made on first use."""
        key = (model.name, model.version)
        batcher = self._batchers.get(key)
        if batcher is None:
            batcher = AdaptiveBatcher(
                model.predict_batch,
                self.batch_config.for_model(model.name),
                name=f"{model.name}/versions/{model.version}",
            )
            self._batchers[key] = batcher
        return batcher

    async def predict(self, model: LoadedModel, inputs: list[BaseModel]) -> list[dict[str, Any]]:
        """Validated inputs -> outputs, through the version's batcher."""
        return await self.batcher(model).submit_many(inputs)

    def batch_metrics(self) -> dict[str, dict[str, Any]]:
        """Per version (``name/versions/N``): settings and what its batcher did so far."""
        return {
            b.name: {
                "settings": dataclasses.asdict(b.settings),
                "queued": b.queued,
                **b.metrics.snapshot(),
            }
            for _, b in sorted(self._batchers.items())
        }

    async def close(self) -> None:
        for batcher in self._batchers.values():
            await batcher.close()
        self._batchers.clear()
