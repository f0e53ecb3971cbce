"""A hand-rolled FastAPI + uvicorn app, as a user would write it: one model call per request
(a sync endpoint, so FastAPI runs it in its thread pool), one uvicorn worker per core."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from plain_model import PlainModel
from pydantic import BaseModel

models: dict[str, PlainModel] = {}


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    models["model"] = PlainModel()  # in each worker process, once
    yield


app = FastAPI(lifespan=lifespan)


class Review(BaseModel):
    text: str


@app.post("/predict")
def predict(review: Review) -> dict[str, Any]:
    return models["model"].predict([review.text])[0]


if __name__ == "__main__":
    uvicorn.run(
        "fastapi_app:app",
        host="127.0.0.1",
        port=int(os.environ["BENCH_PORT"]),
        workers=int(os.environ.get("BENCH_WORKERS", "2")),
        log_level="warning",
        access_log=False,
    )
