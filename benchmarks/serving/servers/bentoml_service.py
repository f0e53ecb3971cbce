"""BentoML 1.4 with adaptive batching (a batchable API: max batch 64; a generous latency budget
so it batches instead of shedding load). Run: bentoml serve bentoml_service:Sentiment."""

from __future__ import annotations

from typing import Any

import bentoml
from plain_model import PlainModel


@bentoml.service(workers=1, traffic={"timeout": 30})
class Sentiment:
    def __init__(self) -> None:
        self.model = PlainModel()

    @bentoml.api(batchable=True, max_batch_size=64, max_latency_ms=10_000)
    def predict(self, texts: list[str]) -> list[dict[str, Any]]:
        return self.model.predict(texts)
