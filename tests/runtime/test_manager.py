"""ModelManager: lazy load, LRU cap, memory budget, idle unload, per-model failures, hot swap
with leases (in-flight requests finish on their version before it is unloaded)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from limelight.errors import ArtifactIntegrityError
from limelight.registry import ModelVersion, Registry
from limelight.runtime.manager import LoadPolicy, ModelManager
from tests.conftest import train_tiny

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def tamper(registry: Registry, version: ModelVersion) -> None:
    folder = registry.artifacts.path(version.artifact_uri)
    victim = next(p for p in sorted(folder.iterdir()) if p.is_file())
    victim.write_bytes(victim.read_bytes() + b"tampered")


async def settle(manager: ModelManager) -> None:
    for _ in range(500):
        if not any(v["state"] == "loading" for v in manager.versions()):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("a background load did not finish")


async def test_lazy_load_and_lru_cap(registry: Registry) -> None:
    for name in ("a", "b", "c"):
        train_tiny(registry, name=name)
    manager = ModelManager(registry, policy=LoadPolicy(max_loaded=2))
    assert manager.loaded() == []  # nothing loads before a request
    await manager.get("a")
    await manager.get("b")
    await manager.get("a")  # a is now the most recently used
    await manager.get("c")  # evicts b, the least recently used
    assert manager.loaded() == [("a", 1), ("c", 1)]
    await manager.get("b")
    assert manager.loaded() == [("b", 1), ("c", 1)]


async def test_memory_budget_evicts_by_artifact_size(registry: Registry) -> None:
    for name in ("a", "b"):
        train_tiny(registry, name=name)
    probe = ModelManager(registry)
    await probe.get("a")
    one = probe.loaded_bytes()
    assert one > 0
    manager = ModelManager(registry, policy=LoadPolicy(memory_budget_bytes=int(one * 1.5)))
    await manager.get("a")
    await manager.get("b")
    assert manager.loaded() == [("b", 1)]
    assert manager.loaded_bytes() <= one * 1.5


async def test_idle_versions_are_unloaded(registry: Registry) -> None:
    train_tiny(registry, name="a")
    manager = ModelManager(registry, policy=LoadPolicy(idle_seconds=0.05))
    model = await manager.get("a")
    with manager.lease(model):  # a request in flight is never idle-unloaded
        await asyncio.sleep(0.1)
        assert manager.unload_idle() == []
    await asyncio.sleep(0.1)
    assert manager.unload_idle() == [("a", 1)]
    assert manager.loaded() == []


async def test_a_broken_model_fails_alone(registry: Registry) -> None:
    train_tiny(registry, name="good")
    bad = train_tiny(registry, name="bad")
    tamper(registry, bad)
    manager = ModelManager(registry, policy=LoadPolicy(retry_seconds=60))
    with pytest.raises(ArtifactIntegrityError):
        await manager.get("bad")
    assert (await manager.get("good")).name == "good"
    assert list(manager.failures()) == ["bad/versions/1"]
    assert "checksum" in manager.failures()["bad/versions/1"]
    # within the retry window the recorded error answers at once, without reloading
    with pytest.raises(ArtifactIntegrityError):
        await manager.get("bad")
    states = {(v["name"], v["state"]) for v in manager.versions()}
    assert states == {("good", "loaded"), ("bad", "failed")}


async def test_hot_swap_serves_old_until_new_is_loaded_then_drains_old(
    registry: Registry,
) -> None:
    train_tiny(registry, alias="production")
    train_tiny(registry)
    manager = ModelManager(registry, alias_ttl=0.0)
    old = await manager.get("review-sentiment@production")
    assert old.version == 1
    with manager.lease(old):  # a request in flight on version 1
        registry.set_alias("review-sentiment", "production", 2)
        during = await manager.get("review-sentiment@production")
        assert during.version == 1  # version 2 is loading in the background
        await settle(manager)
        after = await manager.get("review-sentiment@production")
        assert after.version == 2
        states = {v["version"]: v["state"] for v in manager.versions()}
        assert states == {1: "draining", 2: "loaded"}  # 1 waits for its in-flight request
        outputs = await manager.predict(old, [old.parse({"text": "great"})])
        assert outputs[0]["label"] in ("positive", "negative")
    assert manager.loaded() == [("review-sentiment", 2)]
    assert [v["version"] for v in manager.versions()] == [2]


async def test_a_failed_new_version_never_takes_traffic(registry: Registry) -> None:
    train_tiny(registry, alias="production")
    broken = train_tiny(registry)
    tamper(registry, broken)
    manager = ModelManager(registry, alias_ttl=0.0)
    assert (await manager.get("review-sentiment@production")).version == 1
    registry.set_alias("review-sentiment", "production", 2)
    for _ in range(3):
        assert (await manager.get("review-sentiment@production")).version == 1
        await settle(manager)
    assert list(manager.failures()) == ["review-sentiment/versions/2"]
    assert manager.loaded() == [("review-sentiment", 1)]


async def test_concurrent_first_requests_load_once(registry: Registry) -> None:
    train_tiny(registry, name="a")
    manager = ModelManager(registry)
    models = await asyncio.gather(*(manager.get("a") for _ in range(8)))
    assert len({id(m) for m in models}) == 1


async def test_release_and_forget(registry: Registry) -> None:
    train_tiny(registry, name="a")
    manager = ModelManager(registry)
    await manager.get("a@latest")
    manager.release("a@latest")
    assert manager.loaded() == []
    await manager.get("a")
    manager.forget("a")
    assert manager.loaded() == []


async def test_an_expired_alias_is_re_resolved_once_under_concurrent_requests(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    train_tiny(registry, alias="production")
    manager = ModelManager(registry, alias_ttl=0.0)  # every request finds the alias expired
    await manager.get("review-sentiment@production")
    calls = 0
    resolve = registry.resolve

    def counting(ref: Any) -> Any:
        nonlocal calls
        calls += 1
        time.sleep(0.05)  # a slow registry query: the other requests arrive meanwhile
        return resolve(ref)

    monkeypatch.setattr(registry, "resolve", counting)
    models = await asyncio.gather(*(manager.get("review-sentiment@production") for _ in range(32)))
    assert {m.version for m in models} == {1}
    assert calls == 1  # one query answered the herd; the others used the loaded version


async def test_a_loaded_model_is_kept_out_of_garbage_collections(registry: Registry) -> None:
    import gc

    train_tiny(registry, name="a")
    gc.unfreeze()
    manager = ModelManager(registry)
    model = await manager.get("a")
    # the model's objects are frozen: full collections skip them
    compiled = model.predictor.compiled  # type: ignore[attr-defined]
    assert gc.is_tracked(compiled) and gc.get_freeze_count() > 0
    assert not any(obj is compiled for obj in gc.get_objects())
    await manager.close()
    gc.unfreeze()
