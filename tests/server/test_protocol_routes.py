"""In-process HTTP: KServe V2 routes, OpenAI-compatible embeddings, zero-shot, their errors."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from limelight.registry import Registry
from limelight.server import create_app
from limelight.settings import Settings


@pytest.fixture(scope="module")
def client(embedding_home: Path) -> Iterator[TestClient]:
    settings = Settings(home=embedding_home)
    registry = Registry.from_settings(settings)
    with TestClient(create_app(settings, registry)) as test_client:
        yield test_client
    registry.close()


def infer_body(texts: list[str], **extra: object) -> dict[str, object]:
    tensor = {"name": "text", "datatype": "BYTES", "shape": [len(texts)], "data": texts}
    return {"inputs": [tensor], **extra}


def test_v2_server_and_model_endpoints(client: TestClient) -> None:
    assert client.get("/v2").json()["name"] == "limelight"
    assert client.get("/v2/health/live").json() == {"live": True}
    assert client.get("/v2/health/ready").status_code == 200
    meta = client.get("/v2/models/review-sentiment/versions/1").json()
    assert meta["versions"] == ["1"] and meta["platform"] == "limelight_text-classification"
    assert meta["outputs"][1] == {"name": "probabilities", "datatype": "FP32", "shape": [-1, 2]}
    assert client.get("/v2/models/minilm/ready").json()["ready"] is True
    body = client.post(
        "/v2/models/review-sentiment/infer",
        json=infer_body(
            ["I loved every minute", "A dull mess"], id="req-1", outputs=[{"name": "label"}]
        ),
    ).json()
    assert body["id"] == "req-1" and body["model_version"] == "1"
    assert body["outputs"] == [
        {"name": "label", "datatype": "BYTES", "shape": [2], "data": ["positive", "negative"]}
    ]
    emb = client.post("/v2/models/minilm/versions/1/infer", json=infer_body(["x y"])).json()
    assert emb["outputs"][0]["shape"] == [1, 384]


def tensor_body(**tensor: object) -> dict[str, object]:
    """One text tensor, with some of its fields replaced."""
    return {
        "inputs": [{"name": "text", "datatype": "BYTES", "shape": [1], "data": ["x"], **tensor}]
    }


@pytest.mark.parametrize(
    ("path", "body", "status", "needle"),
    [
        ("/v2/models/nope/infer", infer_body(["x"]), 404, "no model named"),
        ("/v2/models/minilm/versions/9/infer", infer_body(["x"]), 404, "no version 9"),
        ("/v2/models/minilm/versions/x/infer", infer_body(["x"]), 400, "positive integer"),
        ("/v2/models/minilm/infer", {"inputs": []}, 400, "non-empty"),
        (
            "/v2/models/minilm/infer",
            {"inputs": [{"name": "txt", "datatype": "BYTES", "shape": [1], "data": ["x"]}]},
            400,
            "unknown",
        ),
        (
            "/v2/models/minilm/infer",
            {"inputs": [{"name": "text", "datatype": "BYTES", "shape": [2], "data": ["x"]}]},
            400,
            "holds 2",
        ),
        (
            "/v2/models/minilm/infer",
            {"inputs": [{"name": "text", "datatype": "INT64", "shape": [1], "data": [3]}]},
            400,
            "BYTES",
        ),
        ("/v2/models/minilm/infer", infer_body(["  "]), 400, "empty"),
        ("/v2/models/minilm/infer", infer_body(["x"], outputs=[{"name": "z"}]), 400, "unknown"),
        ("/v2/models/minilm/infer", "not json{", 400, "JSON"),
        # malformed tensors are the client's fault (these were 500s): 400 naming the problem
        ("/v2/models/minilm/infer", tensor_body(name=["text"]), 400, "unknown input"),
        ("/v2/models/minilm/infer", tensor_body(datatype=["BYTES"]), 400, "must be BYTES"),
        ("/v2/models/minilm/infer", tensor_body(parameters=5), 400, "parameters"),
        ("/v2/models/minilm/infer", tensor_body(shape=[True]), 400, "shape must be"),
        (
            "/v2/models/minilm/infer",
            {"inputs": [tensor_body()["inputs"][0]] * 2},  # type: ignore[index]
            400,
            "sent twice",
        ),
        (
            "/v2/models/minilm/infer",
            infer_body(["x"], outputs=[{"name": ["embedding"]}]),
            400,
            "unknown output",
        ),
    ],
)
def test_v2_errors_use_the_protocol_shape(
    client: TestClient, path: str, body: object, status: int, needle: str
) -> None:
    if isinstance(body, str):
        response = client.post(path, content=body.encode())
    else:
        response = client.post(path, json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert isinstance(error, str) and needle in error
    assert client.get("/v2/models/nope").json() == {
        "error": "no model named 'nope'; see `limelight models list`"
    }
    assert client.post("/v1/models/nope/predict", json={"text": "x"}).json()["error"]["code"] == (
        "model_not_found"
    )  # native routes keep the native error shape


def test_openai_embeddings_route(client: TestClient) -> None:
    floats = client.post("/v1/embeddings", json={"model": "minilm", "input": ["a b", "c"]}).json()
    assert floats["object"] == "list" and len(floats["data"]) == 2
    assert floats["usage"]["prompt_tokens"] == 4 + 3
    b64 = client.post(
        "/v1/embeddings", json={"model": "minilm", "input": "a b", "encoding_format": "base64"}
    ).json()
    decoded = np.frombuffer(base64.b64decode(b64["data"][0]["embedding"]), dtype="<f4")
    np.testing.assert_allclose(decoded, floats["data"][0]["embedding"], atol=1e-7)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"input": "x"}, 422, "model"),
        ({"model": "minilm"}, 422, "input"),
        ({"model": "minilm", "input": []}, 422, "input"),
        ({"model": "minilm", "input": [[1, 2, 3]]}, 422, "input[0]"),
        ({"model": "minilm", "input": "x", "encoding_format": "int8"}, 422, "encoding_format"),
        ({"model": "minilm", "input": "x", "dimensions": 128}, 422, "dimensions"),
        ({"model": "review-sentiment", "input": "x"}, 422, "model"),
        ({"model": "minilm", "input": ["x"] * 300}, 413, "input"),
        ({"model": "minilm", "input": "x" * 10_001}, 413, "input"),
    ],
)
def test_openai_embeddings_errors(
    client: TestClient, body: dict[str, object], status: int, field: str
) -> None:
    response = client.post("/v1/embeddings", json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"].get("field") == field


def test_zero_shot_route(client: TestClient) -> None:
    one = client.post(
        "/v1/models/minilm/zero-shot",
        json={"text": "A serial killer stalks a small town", "labels": ["thriller", "cooking"]},
    ).json()
    assert one["label"] == "thriller" and one["model"] == "minilm"
    many = client.post(
        "/v1/models/minilm@production/zero-shot",
        json={
            "texts": ["Bake-off for pastry chefs"],
            "labels": ["thriller", "cooking"],
            "template": "a show about {}",
        },
    ).json()
    assert many["results"][0]["label"] == "cooking"
    for bad in (
        {"labels": ["a"]},
        {"text": "x", "texts": ["y"], "labels": ["a"]},
        {"text": "x", "labels": []},
        {"text": "x", "labels": ["a"], "colour": 1},
        {"text": "x", "labels": ["a"], "multi_label": "yes"},
    ):
        assert client.post("/v1/models/minilm/zero-shot", json=bad).status_code == 422
    wrong = client.post(
        "/v1/models/review-sentiment/zero-shot", json={"text": "x", "labels": ["a"]}
    )
    assert wrong.status_code == 422 and "not an embedding model" in wrong.json()["error"]["message"]
