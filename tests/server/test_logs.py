"""Structured logs: JSON lines, a request id on every line of a request, no secrets; keys are
stored only as hashes."""

from __future__ import annotations

import io
import json
import logging
import re
import sqlite3
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from limelight.registry import ModelVersion, Registry
from limelight.registry.keys import KeyStore, hash_key
from limelight.server.app import create_app
from limelight.server.logs import JsonFormatter, redact
from limelight.settings import Settings
from tests.conftest import LiveServer

PERSONAL = "Call me on +1 415 555 0100 or mail jane.doe@example.com, great film"


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict[str, object]]]]:
    """Every record logged meanwhile, formatted by the server's JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_redact() -> None:
    key = "ll_0123456789ab_" + "A" * 43
    text = redact(f"{PERSONAL}; Authorization: Bearer {key}; X-API-Key: {key}; v2 42 2026")
    assert "jane.doe" not in text and "555" not in text and key not in text
    assert text.count("[key]") == 2
    assert redact("Authorization: bearer abc.DEF-123") == "Authorization: bearer [redacted]"
    assert "[email]" in text and "[phone]" in text
    assert text.endswith("v2 42 2026")  # short numbers are not phone numbers


def test_json_lines_with_request_ids_and_no_secrets(
    settings: Settings,
    registry: Registry,
    tiny_model: ModelVersion,
    log_lines: Callable[[], list[dict[str, object]]],
) -> None:
    app = create_app(settings, registry)
    _key, secret = app.state.security.keys.create("app", "predict:*")
    with TestClient(app) as client:
        ok = client.post(
            "/v1/models/review-sentiment/predict",
            json={"text": PERSONAL},
            headers={"Authorization": f"Bearer {secret}"},
        )
        chosen = client.get("/v1/models", headers={"X-API-Key": secret, "X-Request-ID": "trace-42"})
        refused = client.get("/v1/models", headers={"X-API-Key": secret[:-1] + "x"})
        weird = client.get(
            "/v1/models", headers={"X-API-Key": secret, "X-Request-ID": "bad id;" * 20}
        )
    assert ok.status_code == 200 and refused.status_code == 401
    assert chosen.headers["x-request-id"] == "trace-42"
    assert weird.status_code == 200 and re.fullmatch(r"[0-9a-f]{16}", weird.headers["x-request-id"])
    lines = log_lines()
    access = [line for line in lines if line["logger"] == "limelight.access"]
    assert [line["request_id"] for line in access] == [
        ok.headers["x-request-id"],
        "trace-42",
        refused.headers["x-request-id"],
        weird.headers["x-request-id"],
    ]
    first = access[0]
    assert first["path"] == "/v1/models/review-sentiment/predict"
    assert first["status"] == 200 and first["key_id"] == _key.key_id
    assert "body" not in first  # bodies are not logged by default
    assert access[2]["status"] == 401
    everything = "\n".join(json.dumps(line) for line in lines)
    assert secret not in everything and secret[:-1] not in everything
    assert "jane.doe" not in everything

    # keys are stored as sha256 only
    db = settings.resolved_database_url.removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        dump = "\n".join(conn.iterdump())
    assert secret not in dump and secret.split("_")[-1] not in dump
    assert hash_key(secret) in dump


def test_body_logging_redacts_personal_data(
    settings: Settings,
    registry: Registry,
    tiny_model: ModelVersion,
    log_lines: Callable[[], list[dict[str, object]]],
) -> None:
    logged = Settings(home=settings.home, log_bodies=True)
    app = create_app(logged, registry)
    _key, secret = app.state.security.keys.create("app", "predict:*")
    with TestClient(app) as client:
        response = client.post(
            "/v1/models/review-sentiment/predict",
            json={"text": f"{PERSONAL}; my key is {secret}"},
            headers={"X-API-Key": secret},
        )
    assert response.status_code == 200
    (line,) = [line for line in log_lines() if line["logger"] == "limelight.access"]
    body = str(line["body"])
    assert "great film" in body and "[email]" in body and "[phone]" in body and "[key]" in body
    assert "jane.doe" not in body and "555" not in body and secret not in body


@pytest.mark.e2e
def test_live_server_logs_are_json_lines_without_secrets(
    registry: Registry, tiny_model: ModelVersion, live_server: Callable[..., LiveServer]
) -> None:
    _key, secret = KeyStore(registry.database_url).create("ops", "admin")
    server = live_server(env={"LIMELIGHT_LOG_BODIES": "1"})
    headers = {"Authorization": f"Bearer {secret}"}
    answers = [
        httpx.post(
            f"{server.url}/v1/models/review-sentiment/predict",
            json={"text": PERSONAL},
            headers=headers,
        ),
        httpx.get(f"{server.url}/v1/models", headers={"Authorization": "Bearer " + secret[:-2]}),
        httpx.post(
            f"{server.url}/v1/keys", json={"name": "x", "scopes": ["train"]}, headers=headers
        ),
    ]
    assert [a.status_code for a in answers] == [200, 401, 201]
    created = answers[2].json()["key"]
    assert server.stop() == 0
    text = server.log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]  # all JSON
    assert any(
        line["level"] == "info" and "API keys are required" in line["message"] for line in lines
    )
    ids = {
        line["request_id"]
        for line in lines
        if line["logger"] == "limelight.access" and line["path"] != "/readyz"
    }
    assert ids == {a.headers["x-request-id"] for a in answers}
    for needle in (secret, secret[:-2], created, "jane.doe@example.com", "555 0100"):
        assert needle not in text
