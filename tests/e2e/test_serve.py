"""End to end: the real `limelight serve` on a free loopback port, called with httpx."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from limelight.registry import Registry
from tests.conftest import LiveServer, train_tiny

pytestmark = pytest.mark.e2e


def test_seed_request_shape_and_batch(
    registry: Registry, live_server: Callable[..., LiveServer]
) -> None:
    version = train_tiny(registry, alias="production")
    server = live_server()
    # The seed's exact request: no content type, {"text": ...} -> {"label": ...}
    response = httpx.post(
        f"{server.url}/v1/models/review-sentiment/predict",
        content=b'{"text": "What a wonderful film"}',
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["label"] == "positive"
    assert set(body["scores"]) == {"positive", "negative"}
    assert abs(sum(body["scores"].values()) - 1) < 1e-4
    assert body["model"] == "review-sentiment"
    assert body["version"] == version.version
    assert response.headers["x-limelight-model-version"] == str(version.version)

    batch = httpx.post(
        f"{server.url}/v1/models/review-sentiment@production/predict",
        json={"instances": [{"text": "A dull, lifeless mess"}, {"text": "I loved every minute"}]},
    ).json()
    assert [p["label"] for p in batch["predictions"]] == ["negative", "positive"]

    missing = httpx.post(f"{server.url}/v1/models/nope/predict", json={"text": "x"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "model_not_found"
    assert server.stop() == 0
