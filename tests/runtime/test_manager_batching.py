"""ModelManager with the adaptive batcher: requests are batched per version under a lease, the
batcher reports batch sizes, closes when its version unloads, and takes endpoint overrides."""

from __future__ import annotations

import asyncio

import pytest

from limelight.registry import Registry
from limelight.runtime.batch_config import BatchConfig
from limelight.runtime.batcher import BatchSettings
from limelight.runtime.manager import ModelManager, NullEvents
from tests.conftest import train_tiny

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Recorder(NullEvents):
    def __init__(self) -> None:
        self.sizes: list[int] = []

    def batch(self, name: str, version: int, size: int) -> None:
        self.sizes.append(size)


async def test_concurrent_requests_share_batches_and_feed_events(registry: Registry) -> None:
    train_tiny(registry)
    events = Recorder()
    config = BatchConfig(BatchSettings(max_batch_size=8, max_wait_ms=20))
    manager = ModelManager(registry, events=events, batch_config=config)
    model = await manager.get("review-sentiment")
    outputs = await asyncio.gather(
        *(manager.predict(model, [model.parse({"text": f"great {i}"})]) for i in range(8))
    )
    assert all(o[0]["label"] in ("positive", "negative") for o in outputs)
    assert sum(events.sizes) == 8 and max(events.sizes) > 1  # batched, every input counted
    stats = manager.batch_metrics()["review-sentiment/versions/1"]
    assert stats["settings"]["max_batch_size"] == 8
    assert manager.inflight_total() == 0
    await manager.close()


async def test_unload_closes_the_batcher_and_overrides_apply_live(registry: Registry) -> None:
    train_tiny(registry)
    manager = ModelManager(registry)
    model = await manager.get("review-sentiment")
    await manager.predict(model, [model.parse({"text": "fine"})])
    batcher = manager.batcher(model)
    manager.set_batching({"review-sentiment": {"max_batch_size": 4, "timeout_s": 5.0}})
    assert batcher.settings.max_batch_size == 4 and batcher.settings.timeout_s == 5.0
    assert manager.batch_settings("other").max_batch_size == 64
    manager.forget("review-sentiment")
    await asyncio.sleep(0.05)
    assert manager.batch_metrics() == {}
    assert batcher._closed
    await manager.close()


def test_endpoint_batching_blocks_map_to_models() -> None:
    from limelight.deployments import EndpointSpec
    from limelight.server.deployments import batching_by_model

    specs = {
        "a": EndpointSpec.model_validate(
            {"model": "m@production", "batching": {"max_batch_size": 8}}
        ),
        "b": EndpointSpec.model_validate(
            {
                "split": [{"model": "m@candidate", "weight": 1}, {"model": "n", "weight": 1}],
                "batching": {"max_wait_ms": 2},
            }
        ),
        "c": EndpointSpec.model_validate({"model": "o"}),
    }
    assert batching_by_model(specs) == {
        "m": {"max_batch_size": 8, "max_wait_ms": 2},
        "n": {"max_wait_ms": 2},
    }
