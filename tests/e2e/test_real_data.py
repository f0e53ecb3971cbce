"""Real data: Rotten Tomatoes polarity, read by path from the shared data folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from limelight.data.datasets import rt_polarity, sst2
from limelight.registry import Registry
from limelight.training import train
from tests.conftest import LiveServer

pytestmark = pytest.mark.slow


def test_rt_polarity_tfidf_logreg_reaches_75_percent_and_serves(
    data_dir: Path, registry: Registry, live_server: Callable[..., LiveServer]
) -> None:
    frame = rt_polarity(data_dir)
    assert len(frame) == 10_662
    version = train(
        registry,
        "text-classification",
        frame,
        name="rt-sentiment",
        columns={"text": "text", "target": "label"},
        algorithm="tfidf-logreg",
        alias="production",
    )
    metrics = version.manifest["metrics"]
    assert metrics["accuracy"] >= 0.75, metrics
    assert metrics["confusion_matrix"]["labels"] == ["negative", "positive"]
    assert version.manifest["data"]["split"]["test"] == 1066

    server = live_server()
    answer = httpx.post(
        f"{server.url}/v1/models/rt-sentiment/predict",
        content=b'{"text": "a gorgeous, witty, seductive movie"}',
    ).json()
    assert set(answer) == {"label", "scores", "model", "version"}
    assert answer["label"] == "positive"
    assert answer["version"] == version.version
    batch = httpx.post(
        f"{server.url}/v1/models/rt-sentiment@production/predict",
        json={"instances": [{"text": t} for t in frame["text"].head(50)]},
    ).json()
    assert len(batch["predictions"]) == 50


def test_sst2_loader(data_dir: Path) -> None:
    dev = sst2(data_dir, "dev")
    assert len(dev) == 872
    assert set(dev["label"]) == {"negative", "positive"}
