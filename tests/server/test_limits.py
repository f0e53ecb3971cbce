"""Input limits (body size, instance count, text length, body time) and artifact integrity."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from limelight.registry import ModelVersion, Registry
from limelight.server.app import create_app
from limelight.settings import Settings
from tests.conftest import train_tiny


@pytest.fixture
def small_limits(home: Any) -> Settings:
    return Settings(
        home=home,
        max_request_bytes=4096,
        max_body_bytes=2048,
        max_instances=3,
        max_text_chars=50,
        body_timeout_seconds=0.3,
    )


@pytest.fixture
def client(
    small_limits: Settings, registry: Registry, tiny_model: ModelVersion
) -> Iterator[TestClient]:
    with TestClient(create_app(small_limits, registry)) as c:
        yield c


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()["error"]
    assert body["code"] == code
    return body


PREDICT = "/v1/models/review-sentiment/predict"


def test_size_count_and_length_limits(client: TestClient) -> None:
    assert client.post(PREDICT, json={"text": "Loved it"}).status_code == 200
    body = _error(client.post(PREDICT, json={"text": "x" * 51}), 413, "payload_too_large")
    assert body["field"] == "text" and "limit is 50" in body["message"]
    many = {"instances": [{"text": "a"}] * 4}
    body = _error(client.post(PREDICT, json=many), 413, "payload_too_large")
    assert body["field"] == "instances" and "limit is 3" in body["message"]
    big = b'{"text": "' + b"a" * 3000 + b'"}'
    body = _error(client.post(PREDICT, content=big), 413, "payload_too_large")
    assert "limit is 2048" in body["message"]
    # any route, declared length: refused before anything is read
    huge = b"{" + b" " * 5000 + b"}"
    body = _error(client.post("/v1/keys", content=huge), 413, "payload_too_large")
    assert "limit is 4096" in body["message"]


def test_streamed_body_is_counted_as_it_arrives(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b" " * 1000

    body = _error(
        client.post("/v1/keys", content=chunks(), headers={"content-type": "application/json"}),
        413,
        "payload_too_large",
    )
    assert "over the limit of 4096" in body["message"]
    body = _error(client.post(PREDICT, content=chunks()), 413, "payload_too_large")


def _asgi_post(app: FastAPI, path: str, pieces: list[bytes], pause: float) -> tuple[int, bytes]:
    """Call the app directly with a body that trickles in (a slow client)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    sent: list[dict[str, Any]] = []

    async def run() -> None:
        queue = list(pieces)

        async def receive() -> dict[str, Any]:
            if not queue:
                await asyncio.sleep(3600)  # the client went quiet
            await asyncio.sleep(pause)
            piece = queue.pop(0)
            return {"type": "http.request", "body": piece, "more_body": bool(queue)}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await asyncio.wait_for(app(scope, receive, send), timeout=10)

    asyncio.run(run())
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


def test_slow_body_is_cut_off(
    small_limits: Settings, registry: Registry, tiny_model: ModelVersion
) -> None:
    app = create_app(small_limits, registry)
    status, body = _asgi_post(app, PREDICT, [b'{"text": ', b'"slow"', b"}"], pause=0.2)
    assert status == 408 and b"request_timeout" in body and b"did not arrive within" in body
    status, _ = _asgi_post(app, PREDICT, [b'{"text": "fast"}'], pause=0.01)
    assert status == 200


def test_tampered_artifact_is_refused_and_the_rest_keeps_serving(
    settings: Settings, registry: Registry, tiny_model: ModelVersion
) -> None:
    other = train_tiny(registry, name="comment-moderation")
    folder = registry.artifacts.path(tiny_model.artifact_uri)
    victim = next(p for p in sorted(folder.rglob("*")) if p.is_file())
    victim.write_bytes(victim.read_bytes() + b"tampered")
    with TestClient(create_app(settings, registry)) as client:
        for _ in range(2):  # refused every time, never cached as loaded
            body = _error(
                client.post(PREDICT, json={"text": "Loved it"}), 503, "artifact_integrity"
            )
            assert (
                "fails its checksum" in body["message"]
                and "restore it or retrain" in body["message"]
            )
        ok = client.post(f"/v1/models/{other.name}/predict", json={"text": "Loved it"})
        assert ok.status_code == 200 and ok.json()["model"] == "comment-moderation"
        assert client.get("/healthz").status_code == 200
