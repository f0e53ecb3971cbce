"""Keeps loaded models in bounded memory, resolves references to them and hot-swaps versions.

Loading policy (:class:`LoadPolicy`):

- **lazy**: a version is loaded on its first request (or by a preload), once, off the event loop;
  concurrent first requests wait for the same load.
- **bounded**: at most ``max_loaded`` versions, and at most ``memory_budget_bytes`` (estimated
  from the artifact's bytes on disk), stay loaded; the least recently used version is unloaded to
  make room. A single version larger than the budget is still served, alone.
- **idle**: :meth:`ModelManager.unload_idle` unloads versions nobody called for ``idle_seconds``.
- **failures**: a version that fails to load (e.g. a tampered artifact) is recorded for its model
  only (:meth:`ModelManager.failures`); its requests get the recorded error for ``retry_seconds``
  before the next attempt, and every other model keeps serving.

Hot swap: a reference (``name``, ``name@alias``) is re-resolved every ``alias_ttl`` seconds. When
it names another version (an alias moved), the version it served keeps answering while the new
one loads in the background; then new requests go to the new version, and the old one is
unloaded once no reference uses it and its in-flight requests have finished (each request holds
a lease on its version, see :meth:`ModelManager.predict`). A new version that fails to load never
takes traffic: the old one keeps answering and the failure is reported.

Batching: each loaded version gets one :class:`AdaptiveBatcher` (settings from ``batch_config``
by model name), so concurrent requests for it share ``predict_batch`` calls. A request holds its
lease while it is queued and while its batch runs; the batcher is closed when its version has
finished unloading.

Heap: a loaded model is mostly long-lived Python objects (a TF-IDF vocabulary is a dict of
hundreds of thousands of strings). Left in the cyclic garbage collector's view, every full
collection walks them all: measured on the Rotten Tomatoes TF-IDF model, a 190 ms pause about
once a second under load, which was the whole p99. After each load and unload the manager
collects once and freezes what survives (:func:`settle_heap`), so collections only walk
request-lived objects. Frozen objects are still freed by reference counting when a version is
unloaded; the unload unfreezes, collects and freezes again so cycles are reclaimed too.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio.to_thread
from pydantic import BaseModel

from limelight.errors import LimelightError, ModelLoadError
from limelight.registry import ModelVersion, Registry
from limelight.registry.refs import parse_ref
from limelight.runtime.batch_config import BatchConfig
from limelight.runtime.batcher import AdaptiveBatcher, BatchSettings
from limelight.runtime.model import LoadedModel, load_version

Key = tuple[str, int]
ModelBatcher = AdaptiveBatcher[BaseModel, dict[str, Any]]

_heap_lock = threading.Lock()


def settle_heap() -> None:
    """Collect garbage once, then keep every surviving object out of later collections."""
    with _heap_lock:
        gc.unfreeze()
        gc.collect()
        gc.freeze()


class ManagerEvents(Protocol):
    """What the manager reports as it works (the server's Prometheus metrics implement it)."""

    def model_loaded(self, name: str, version: int, seconds: float) -> None: ...

    def model_load_failed(self, name: str, version: int, seconds: float) -> None: ...

    def model_unloaded(self, name: str, version: int, reason: str) -> None: ...

    def batch(self, name: str, version: int, size: int) -> None: ...


class NullEvents:
    def model_loaded(self, name: str, version: int, seconds: float) -> None:
        pass

    def model_load_failed(self, name: str, version: int, seconds: float) -> None:
        pass

    def model_unloaded(self, name: str, version: int, reason: str) -> None:
        pass

    def batch(self, name: str, version: int, size: int) -> None:
        pass


@dataclass(frozen=True)
class LoadPolicy:
    max_loaded: int = 16
    memory_budget_bytes: int | None = None
    idle_seconds: float | None = None
    retry_seconds: float = 30.0

    @classmethod
    def from_settings(cls, settings: Any) -> LoadPolicy:
        budget = settings.memory_budget_mb
        return cls(
            max_loaded=settings.max_loaded_models,
            memory_budget_bytes=int(budget * 1_048_576) if budget is not None else None,
            idle_seconds=settings.idle_unload_seconds,
            retry_seconds=settings.load_retry_seconds,
        )


@dataclass
class _Slot:
    model: LoadedModel
    size_bytes: int
    loaded_at: float
    last_used: float
    inflight: int = 0
    retiring: bool = False
    batcher: ModelBatcher | None = None


@dataclass
class _Route:
    key: Key
    checked: float


@dataclass
class _Failure:
    error: LimelightError
    at: float


@dataclass
class _Loading:
    task: asyncio.Task[LoadedModel]
    refs: set[str] = field(default_factory=set)


class ModelManager:
    """Resolves ``name``/``name@alias``/``name/versions/N`` (re-checking aliases every
    ``alias_ttl`` seconds), keeps loaded versions within the :class:`LoadPolicy` and batches
    each version's requests."""

    def __init__(
        self,
        registry: Registry,
        *,
        alias_ttl: float = 0.5,
        policy: LoadPolicy | None = None,
        events: ManagerEvents | None = None,
        batch_config: BatchConfig | None = None,
    ) -> None:
        self.registry = registry
        self.alias_ttl = alias_ttl
        self.batch_config = batch_config or BatchConfig()
        self.policy = policy or LoadPolicy()
        self.events: ManagerEvents = events or NullEvents()
        self._slots: OrderedDict[Key, _Slot] = OrderedDict()  # least recently used first
        self._draining: dict[Key, _Slot] = {}
        self._routes: dict[str, _Route] = {}
        self._loading: dict[Key, _Loading] = {}
        self._failures: dict[Key, _Failure] = {}
        self._names: set[str] = set()
        self._resolving: set[str] = set()  # references being re-resolved now
        self._closing: set[asyncio.Task[None]] = set()
        self._batch_overrides: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------------------------ resolve
    async def resolve(self, ref: str) -> ModelVersion:
        parsed = parse_ref(ref)
        version = await anyio.to_thread.run_sync(self.registry.resolve, parsed)
        self._names.add(version.name)
        return version

    async def get(self, ref: str) -> LoadedModel:
        """The version ``ref`` names now, loaded; during a swap, the version it named before
        until the new one is ready."""
        now = time.monotonic()
        route = self._routes.get(ref)
        # Fresh, or another request is re-resolving it right now: answer from the current
        # version instead of queueing a registry query per request (no thundering herd when the
        # TTL expires under load).
        if (
            route is not None
            and route.key in self._slots
            and (now - route.checked < self.alias_ttl or ref in self._resolving)
        ):
            return self._touch(route.key, now)
        self._resolving.add(ref)
        try:
            version = await self.resolve(ref)
        finally:
            self._resolving.discard(ref)
        key = (version.name, version.version)
        now = time.monotonic()
        if key in self._slots:
            self._switch(ref, key)
            return self._touch(key, now)
        route = self._routes.get(ref)
        if route is not None and route.key != key and route.key in self._slots:
            # Hot swap: keep answering from the current version while the new one loads.
            route.checked = now
            self._raise_if_failed_recently(key, now, quiet=True)
            if key not in self._failures:
                self._load_in_background(version, ref)
            return self._touch(route.key, now)
        model = await self._load(version)
        if key not in self._slots:  # evicted at once by a concurrent load under a tight cap
            return model
        self._switch(ref, key)
        return self._touch(key, time.monotonic())

    def known_names(self) -> set[str]:
        """Model names this process has resolved (bounds metric label values)."""
        return set(self._names)

    def invalidate(self) -> None:
        """Re-check every reference on its next request (after an alias move in this process)."""
        for route in self._routes.values():
            route.checked = float("-inf")

    async def refresh(self, name: str | None = None) -> None:
        """Re-resolve the references of model ``name`` (or all) now, after an alias move in this
        process: each new version is loaded first, then takes the reference's traffic. A version
        that cannot be loaded is recorded and the old one keeps serving."""
        for ref in [r for r, route in self._routes.items() if name in (None, route.key[0])]:
            try:
                version = await self.resolve(ref)
                key = (version.name, version.version)
                if key not in self._slots:
                    await self._load(version)
            except LimelightError:
                continue  # unknown now (alias removed) or failed: recorded, old one serves
            if key in self._slots:
                self._switch(ref, key)

    def release(self, ref: str) -> None:
        """``ref`` is no longer served (e.g. an endpoint's split dropped it): its version is
        unloaded once unused."""
        route = self._routes.pop(ref, None)
        if route is not None and not self._referenced(route.key):
            self._retire(route.key, "released")

    def forget(self, name: str, version: int | None = None) -> None:
        """Unload a deleted version (or every version of a deleted model)."""
        for ref, route in list(self._routes.items()):
            if route.key[0] == name and version in (None, route.key[1]):
                del self._routes[ref]
        for key in [k for k in self._slots if k[0] == name and version in (None, k[1])]:
            self._retire(key, "deleted")

    # ------------------------------------------------------------------------------ predict
    async def predict(self, model: LoadedModel, inputs: list[BaseModel]) -> list[dict[str, Any]]:
        """Validated inputs -> outputs, through the version's batcher, under a lease on the
        version so an unload waits for this request (queued or running) to finish."""
        with self.lease(model) as slot:
            if slot is None:  # not held (unloaded between get and predict): run it alone
                outputs = await anyio.to_thread.run_sync(model.predict_batch, inputs)
                self.events.batch(model.name, model.version, len(inputs))
                return outputs
            return await self._slot_batcher(slot).submit_many(inputs)

    def batcher(self, model: LoadedModel) -> ModelBatcher:
        """The batcher of a loaded (or draining) version, made on first use."""
        key = (model.name, model.version)
        slot = self._slots.get(key) or self._draining.get(key)
        if slot is None or slot.model is not model:
            raise ModelLoadError(f"{model.name}/versions/{model.version} is not loaded")
        return self._slot_batcher(slot)

    def _slot_batcher(self, slot: _Slot) -> ModelBatcher:
        if slot.batcher is None:
            model = slot.model
            name, version = model.name, model.version

            def observe(size: int) -> None:
                self.events.batch(name, version, size)

            slot.batcher = AdaptiveBatcher(
                model.predict_batch,
                self.batch_settings(name),
                name=f"{name}/versions/{version}",
                on_batch=observe,
                holds_gil=model.holds_gil,
            )
        return slot.batcher

    def batch_settings(self, name: str) -> BatchSettings:
        """Model ``name``'s batching: the batch config, then its endpoint's ``batching``."""
        base = self.batch_config.for_model(name)
        extra = self._batch_overrides.get(name)
        return dataclasses.replace(base, **extra) if extra else base

    def set_batching(self, overrides: Mapping[str, Mapping[str, Any]]) -> None:
        """Per model name, batching settings that win over the batch config (endpoints'
        ``batching`` blocks); running batchers take them at once."""
        self._batch_overrides = {name: dict(values) for name, values in overrides.items()}
        for slot in [*self._slots.values(), *self._draining.values()]:
            if slot.batcher is not None:
                slot.batcher.settings = self.batch_settings(slot.model.name)

    def batch_metrics(self) -> dict[str, dict[str, Any]]:
        """Per held version (``name/versions/N``): settings and what its batcher did so far."""
        slots = [*self._slots.values(), *self._draining.values()]
        batchers = sorted((s.batcher for s in slots if s.batcher is not None), key=lambda b: b.name)
        return {
            b.name: {
                "settings": dataclasses.asdict(b.settings),
                "queued": b.queued,
                **b.metrics.snapshot(),
            }
            for b in batchers
        }

    @contextlib.contextmanager
    def lease(self, model: LoadedModel) -> Iterator[_Slot | None]:
        """Count a request as in flight on its version while the block runs."""
        key = (model.name, model.version)
        slot = self._slots.get(key) or self._draining.get(key)
        if slot is None or slot.model is not model:
            yield None
            return
        slot.inflight += 1
        try:
            yield slot
        finally:
            slot.inflight -= 1
            if slot.retiring and slot.inflight == 0:
                self._finish_unload(key, slot)

    # ------------------------------------------------------------------------------ policy
    def unload_idle(self, now: float | None = None) -> list[Key]:
        """Unload versions unused for ``idle_seconds``; return them."""
        if self.policy.idle_seconds is None:
            return []
        now = time.monotonic() if now is None else now
        idle = [
            key
            for key, slot in self._slots.items()
            if slot.inflight == 0 and now - slot.last_used >= self.policy.idle_seconds
        ]
        for key in idle:
            self._retire(key, "idle")
        return idle

    async def drain(self, timeout: float) -> bool:
        """Wait until no request is in flight (or ``timeout``); True when none is."""
        deadline = time.monotonic() + timeout
        while self.inflight_total() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return self.inflight_total() == 0

    # ------------------------------------------------------------------------------ state
    def serving(self, ref: str) -> int | None:
        """The version ``ref`` is answered by now, if it is loaded."""
        route = self._routes.get(ref)
        return route.key[1] if route is not None and route.key in self._slots else None

    def loaded(self) -> list[Key]:
        return sorted(self._slots)

    def inflight_total(self) -> int:
        slots = [*self._slots.values(), *self._draining.values()]
        return sum(s.inflight for s in slots)

    def failures(self) -> dict[str, str]:
        """``name/versions/N`` -> why it could not be loaded."""
        return {
            f"{n}/versions/{v}": f.error.message for (n, v), f in sorted(self._failures.items())
        }

    def versions(self) -> list[dict[str, Any]]:
        """Every version the manager holds, is loading, draining or failed to load."""
        out: list[dict[str, Any]] = []
        for key, slot in sorted(self._slots.items()):
            out.append(self._describe(key, "loaded", slot))
        for key, slot in sorted(self._draining.items()):
            out.append(self._describe(key, "draining", slot))
        out.extend({"name": n, "version": v, "state": "loading"} for n, v in sorted(self._loading))
        out.extend(
            {"name": n, "version": v, "state": "failed", "error": f.error.message}
            for (n, v), f in sorted(self._failures.items())
        )
        return out

    def loaded_bytes(self) -> int:
        return sum(s.size_bytes for s in self._slots.values())

    def _describe(self, key: Key, state: str, slot: _Slot) -> dict[str, Any]:
        return {
            "name": key[0],
            "version": key[1],
            "state": state,
            "inflight": slot.inflight,
            "queued": slot.batcher.queued if slot.batcher is not None else 0,
            "size_bytes": slot.size_bytes,
            "idle_seconds": round(time.monotonic() - slot.last_used, 3),
        }

    # ------------------------------------------------------------------------------ internals
    def _touch(self, key: Key, now: float) -> LoadedModel:
        slot = self._slots[key]
        slot.last_used = now
        self._slots.move_to_end(key)
        return slot.model

    def _switch(self, ref: str, key: Key) -> None:
        previous = self._routes.get(ref)
        self._routes[ref] = _Route(key, time.monotonic())
        if previous is not None and previous.key != key and not self._referenced(previous.key):
            self._retire(previous.key, "swapped")

    def _referenced(self, key: Key) -> bool:
        return any(route.key == key for route in self._routes.values())

    def _raise_if_failed_recently(self, key: Key, now: float, *, quiet: bool = False) -> None:
        failure = self._failures.get(key)
        if failure is None:
            return
        if now - failure.at < self.policy.retry_seconds:
            if not quiet:
                raise failure.error
            return
        del self._failures[key]

    def _load_in_background(self, version: ModelVersion, ref: str) -> None:
        key = (version.name, version.version)
        loading = self._loading.get(key)
        if loading is None:
            loading = self._start_load(version)
        if ref not in loading.refs:
            loading.refs.add(ref)
            loading.task.add_done_callback(lambda task: self._after_background(task, ref, key))

    def _after_background(self, task: asyncio.Task[LoadedModel], ref: str, key: Key) -> None:
        if not task.cancelled() and task.exception() is None and key in self._slots:
            self._switch(ref, key)

    def _start_load(self, version: ModelVersion) -> _Loading:
        key = (version.name, version.version)
        loading = _Loading(asyncio.get_running_loop().create_task(self._do_load(version)))
        self._loading[key] = loading
        return loading

    async def _load(self, version: ModelVersion) -> LoadedModel:
        key = (version.name, version.version)
        self._raise_if_failed_recently(key, time.monotonic())
        loading = self._loading.get(key) or self._start_load(version)
        return await asyncio.shield(loading.task)

    async def _do_load(self, version: ModelVersion) -> LoadedModel:
        key = (version.name, version.version)
        started = time.perf_counter()
        try:
            model, size = await anyio.to_thread.run_sync(self._load_sync, version)
        except LimelightError as exc:
            self._failed(key, exc, started)
            raise
        except Exception as exc:  # a broken artifact must not take the server down
            error = ModelLoadError(
                f"{version.ref} could not be loaded ({type(exc).__name__}: {exc}); "
                "retrain it or move its alias back to a working version"
            )
            self._failed(key, error, started)
            raise error from exc
        finally:
            self._loading.pop(key, None)
        self._failures.pop(key, None)
        now = time.monotonic()
        self._make_room(size)
        self._slots[key] = _Slot(model, size, now, now)
        self.events.model_loaded(key[0], key[1], time.perf_counter() - started)
        return model

    def _load_sync(self, version: ModelVersion) -> tuple[LoadedModel, int]:
        folder = self.registry.artifact_dir(version)
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        model = load_version(self.registry, version)
        settle_heap()
        return model, size

    def _failed(self, key: Key, error: LimelightError, started: float) -> None:
        self._failures[key] = _Failure(error, time.monotonic())
        self.events.model_load_failed(key[0], key[1], time.perf_counter() - started)

    def _make_room(self, incoming: int) -> None:
        budget = self.policy.memory_budget_bytes
        while self._slots and (
            len(self._slots) >= self.policy.max_loaded
            or (budget is not None and self.loaded_bytes() + incoming > budget)
        ):
            lru = next(iter(self._slots))
            self._retire(lru, "evicted")

    def _retire(self, key: Key, reason: str) -> None:
        slot = self._slots.pop(key, None)
        if slot is None:
            return
        for ref in [r for r, route in self._routes.items() if route.key == key]:
            del self._routes[ref]
        slot.retiring = True
        self._draining[key] = slot
        self.events.model_unloaded(key[0], key[1], reason)
        if slot.inflight == 0:
            self._finish_unload(key, slot)

    def _finish_unload(self, key: Key, slot: _Slot) -> None:
        if self._draining.get(key) is slot:
            del self._draining[key]
        batcher, slot.batcher = slot.batcher, None
        with contextlib.suppress(RuntimeError):  # no running loop: nothing runs on it
            loop = asyncio.get_running_loop()
            if batcher is not None:  # nothing is queued on it: no lease is held any more
                self._track(loop.create_task(batcher.close()))
            self._track(loop.create_task(anyio.to_thread.run_sync(settle_heap)))

    def _track(self, task: asyncio.Task[Any]) -> None:
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        for task in [loading.task for loading in self._loading.values()]:
            task.cancel()
        for key in list(self._slots):
            self._retire(key, "shutdown")
        # versions still draining after the grace period: their queued requests answer 503
        for slot in list(self._draining.values()):
            if slot.batcher is not None:
                await slot.batcher.close()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
