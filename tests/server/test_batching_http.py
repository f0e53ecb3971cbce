"""Batching through the app in process: shared batches, 503 + Retry-After, 504."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from limelight.registry import Registry
from limelight.server.app import create_app
from limelight.settings import Settings
from tests.conftest import train_tiny

TEXTS = ["What a wonderful film", "A dull, lifeless mess", "I loved every minute", "Boring"]


def _run(app: object, requests: list[dict[str, object]]) -> list[httpx.Response]:
    async def main() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await asyncio.gather(
                *(client.post("/v1/models/review-sentiment/predict", json=r) for r in requests)
            )

    return asyncio.run(main())


def test_concurrent_requests_share_batches_and_match(registry: Registry, home: Path) -> None:
    train_tiny(registry)
    app = create_app(Settings(home=home, batch_max_wait_ms=200), registry)
    texts = TEXTS * 8
    responses = _run(app, [{"text": t} for t in texts])
    expected = {t: _run(app, [{"text": t}])[0].json()["label"] for t in TEXTS}
    assert [r.json()["label"] for r in responses] == [expected[t] for t in texts]
    metrics = app.state.limelight.manager.batch_metrics()["review-sentiment/versions/1"]
    assert metrics["items"] == len(texts) + len(TEXTS)
    assert metrics["batches"] < metrics["items"]  # requests shared predict_batch calls
    assert max(metrics["batch_sizes"]) > 1


def test_queue_full_is_503_with_retry_after(registry: Registry, home: Path) -> None:
    train_tiny(registry)
    app = create_app(Settings(home=home, batch_max_queue=1), registry)
    (response,) = _run(app, [{"instances": [{"text": "good"}, {"text": "bad"}]}])
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "queue_full"
    assert int(response.headers["retry-after"]) >= 1


def test_timeout_is_504(registry: Registry, home: Path) -> None:
    train_tiny(registry)
    app = create_app(Settings(home=home, predict_timeout_s=1e-6), registry)
    (response,) = _run(app, [{"text": "What a wonderful film"}])
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "predict_timeout"
