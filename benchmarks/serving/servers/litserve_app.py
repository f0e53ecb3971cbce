"""LitServe with its batching on (max_batch_size 64, 5 ms batch timeout), on CPU."""

# No `from __future__ import annotations`: LitServe reads decode_request's annotation at
# run time to build the endpoint (a string annotation becomes a query parameter: 422).
import os
from typing import Any

import litserve as ls
from plain_model import PlainModel


class SentimentAPI(ls.LitAPI):
    def setup(self, device: str) -> None:
        self.model = PlainModel()

    def decode_request(self, request: dict) -> str:  # type: ignore[type-arg]
        return request["text"]

    def batch(self, inputs: list[str]) -> list[str]:
        return list(inputs)

    def predict(self, texts: list[str]) -> list[dict[str, Any]]:
        return self.model.predict(texts)

    def unbatch(self, output: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return output

    def encode_response(self, output: dict[str, Any]) -> dict[str, Any]:
        return output


if __name__ == "__main__":
    api = SentimentAPI(max_batch_size=64, batch_timeout=0.005)
    server = ls.LitServer(api, accelerator="cpu", workers_per_device=1, timeout=30)
    server.run(host="127.0.0.1", port=int(os.environ["BENCH_PORT"]), generate_client_file=False)
