"""End to end: 200 concurrent requests through the real `limelight serve`, each answered with
its own prediction (batching must not mix answers up)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from limelight.registry import Registry
from limelight.runtime import load
from tests.conftest import LiveServer, train_tiny

pytestmark = pytest.mark.e2e

WORDS = ["wonderful", "dull", "moving", "boring", "brilliant", "lifeless", "superb", "awful"]


def test_200_concurrent_requests_are_request_matched(
    registry: Registry, live_server: Callable[..., LiveServer]
) -> None:
    train_tiny(registry)
    texts = [  # 200 different texts, so a mixed-up answer shows
        f"a {WORDS[i % 8]} film, {WORDS[(i // 8) % 8]} acting and a {WORDS[i // 64]} ending"
        for i in range(200)
    ]
    expected = load(registry, "review-sentiment").predict(texts)
    server = live_server("--max-batch-size", "32", "--max-wait-ms", "2")

    async def main() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=30) as client:
            return await asyncio.gather(
                *(
                    client.post("/v1/models/review-sentiment/predict", json={"text": t})
                    for t in texts
                )
            )

    responses = asyncio.run(main())
    assert [r.status_code for r in responses] == [200] * 200
    for response, want in zip(responses, expected, strict=True):
        body = response.json()
        assert body["label"] == want["label"]
        assert body["scores"] == pytest.approx(want["scores"], abs=1e-6)
    assert server.stop() == 0
