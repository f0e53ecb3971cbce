"""Request and response shapes of the native /v1 API (for OpenAPI and clients)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class PredictBatchRequest(BaseModel):
    instances: list[dict[str, Any]] = Field(
        description='Inputs in the model\'s input schema, e.g. [{"text": "..."}]', min_length=1
    )


class PredictResponse(BaseModel):
    """One prediction: the task's output fields (e.g. label, scores) plus model and version."""

    model_config = {"extra": "allow"}
    model: str
    version: int


class PredictBatchResponse(BaseModel):
    predictions: list[dict[str, Any]]
    model: str
    version: int


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class VersionInfo(BaseModel):
    version: int
    algorithm: str
    aliases: list[str]
    created_at: str
    metrics: dict[str, Any] | None = None


class ModelInfo(BaseModel):
    name: str
    task: str
    latest_version: int
    aliases: dict[str, int]
    created_at: str


class ModelDetail(BaseModel):
    name: str
    version: int
    task: str
    algorithm: str
    aliases: list[str]
    created_at: str
    input_schema: dict[str, Any] | None
    output_schema: dict[str, Any] | None
    metrics: dict[str, Any] | None
    params: dict[str, Any] | None
    leaderboard: list[dict[str, Any]] | None
    versions: list[VersionInfo]


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in (
        (400, "Malformed JSON"),
        (404, "Unknown model, version or alias"),
        (413, "Body, instance count or text over the configured limit"),
        (422, "Input does not match the model's schema"),
        (
            503,
            "Model cannot be loaded (e.g. artifact checksum mismatch), registry busy, or the "
            "model's batch queue is full (retry after the Retry-After header's seconds)",
        ),
        (504, "The model did not answer within the predict timeout"),
    )
}
