"""Ray Serve with @serve.batch (max batch 64, 5 ms wait), kept on loopback with a small object
store; one replica (the machine has 2 cores)."""

from __future__ import annotations

import os
import time
from typing import Any

import ray
from plain_model import PlainModel
from ray import serve
from starlette.requests import Request


@serve.deployment(num_replicas=1, max_ongoing_requests=256, ray_actor_options={"num_cpus": 1})
class Sentiment:
    def __init__(self) -> None:
        self.model = PlainModel()

    @serve.batch(max_batch_size=64, batch_wait_timeout_s=0.005)
    async def handle(self, texts: list[str]) -> list[dict[str, Any]]:
        return self.model.predict(texts)

    async def __call__(self, request: Request) -> dict[str, Any]:
        body = await request.json()
        return await self.handle(body["text"])


if __name__ == "__main__":
    ray.init(
        num_cpus=2,
        object_store_memory=256 * 1024 * 1024,
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        runtime_env={"env_vars": {k: os.environ[k] for k in ("BENCH_WORK", "BENCH_MODEL")}},
    )
    serve.start(http_options={"host": "127.0.0.1", "port": int(os.environ["BENCH_PORT"])})
    serve.run(Sentiment.bind(), route_prefix="/", blocking=False)
    print("ray serve ready", flush=True)
    while True:
        time.sleep(3600)
