"""An MLServer runtime (the MLModel contract) for the benchmark model; MLServer's adaptive
batching merges requests (max_batch_size / max_batch_time in model-settings.json)."""

from __future__ import annotations

import json

from mlserver import MLModel
from mlserver.codecs import StringCodec
from mlserver.types import InferenceRequest, InferenceResponse
from plain_model import PlainModel


class SentimentRuntime(MLModel):
    async def load(self) -> bool:
        self.model = PlainModel()
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        texts = StringCodec.decode_input(payload.inputs[0])
        outputs = [json.dumps(o) for o in self.model.predict(texts)]
        return InferenceResponse(
            model_name=self.name,
            outputs=[StringCodec.encode_output("output", outputs)],
        )
