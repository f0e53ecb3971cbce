"""The predict fast path answers exactly as the FastAPI route it stands in for.

Every request of a battery (good inputs, every reference form, and each kind of bad input) is
sent to two apps over the same registry, one with the fast path and one without; status, body
and the headers a client reads must be equal. Metrics, the access log and auth must see fast
path requests as requests of the predict route."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from limelight.registry import Registry
from limelight.registry.keys import KeyStore
from limelight.server import create_app
from limelight.server.fastpath import PREDICT_PATH
from limelight.settings import Settings
from limelight.training import train
from tests.conftest import train_tiny
from tests.tasks.tabular_data import GOOD, classification

CLIENT_HEADERS = ("content-type", "retry-after", "x-limelight-model-version", "www-authenticate")


@pytest.fixture(scope="module")
def home_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    settings = Settings(
        home=tmp_path_factory.mktemp("fastpath"),
        max_instances=4,
        max_text_chars=50,
        max_body_bytes=2000,
    )
    registry = Registry.from_settings(settings)
    train_tiny(registry, alias="production")
    train(
        registry,
        "tabular-classification",
        classification(240),
        name="clicks",
        columns={"target": "clicked"},
        algorithm="logistic",
    )
    registry.close()
    yield settings


BATTERY: list[tuple[str, dict[str, Any]]] = [
    ("review-sentiment", {"content": b'{"text": "What a wonderful film"}'}),
    ("review-sentiment", {"json": {"instances": [{"text": "dull mess"}, {"text": "loved it"}]}}),
    ("review-sentiment@production", {"json": {"text": "fun"}}),
    ("review-sentiment/versions/1", {"json": {"text": "fun"}}),
    ("review-sentiment@latest", {"json": {"text": "fun"}}),
    ("review-sentiment/versions/9", {"json": {"text": "fun"}}),  # no such version
    ("review-sentiment@nowhere", {"json": {"text": "fun"}}),  # no such alias
    ("no-such-model", {"json": {"text": "fun"}}),
    ("bad name!", {"json": {"text": "fun"}}),
    ("review-sentiment", {"content": b"{not json"}),
    ("review-sentiment", {"content": b""}),
    ("review-sentiment", {"content": b"   "}),
    ("review-sentiment", {"json": ["a", "list"]}),
    ("review-sentiment", {"json": "a string"}),
    ("review-sentiment", {"json": {}}),
    ("review-sentiment", {"json": {"text": 5}}),
    ("review-sentiment", {"json": {"text": "fine", "extra": 1}}),
    ("review-sentiment", {"json": {"text": "x" * 51}}),  # over max_text_chars
    ("review-sentiment", {"json": {"instances": []}}),
    ("review-sentiment", {"json": {"instances": [{"text": "a"}] * 5}}),  # over max_instances
    ("review-sentiment", {"json": {"instances": [{"text": "a"}], "top_k": 2}}),
    ("review-sentiment", {"json": {"instances": [{"text": "a"}, {"txt": "b"}]}}),
    ("review-sentiment", {"content": b'{"text": "' + b"y" * 2100 + b'"}'}),  # over the body
    ("clicks", {"json": {"features": GOOD}}),
    ("clicks", {"json": GOOD}),
    ("clicks", {"json": {"features": {**GOOD, "unknown_column": 1}}}),
    ("clicks", {"json": {"features": {k: v for k, v in list(GOOD.items())[1:]}}}),
]


def send_all(
    settings: Settings, requests: list[tuple[str, dict[str, Any]]], headers: dict[str, str]
) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(settings))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return [
                await client.post(f"/v1/models/{ref}/predict", headers=headers, **kwargs)
                for ref, kwargs in requests
            ]

    return asyncio.run(run())


def comparable(response: httpx.Response) -> tuple[int, Any, dict[str, str]]:
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    headers = {name: response.headers[name] for name in CLIENT_HEADERS if name in response.headers}
    return response.status_code, body, headers


def test_the_pattern_is_the_routes_pattern() -> None:
    assert PREDICT_PATH.match("/v1/models/a/versions/2/predict")["ref"] == "a/versions/2"  # type: ignore[index]
    assert PREDICT_PATH.match("/v1/models/a@prod/predict")["ref"] == "a@prod"  # type: ignore[index]
    assert PREDICT_PATH.match("/v1/models/a/predict/extra") is None
    assert PREDICT_PATH.match("/v1/endpoints/a/predict") is None


def test_fast_path_answers_as_the_route(home_settings: Settings) -> None:
    fast = send_all(home_settings, BATTERY, {})
    routed = send_all(home_settings.model_copy(update={"fast_path": False}), BATTERY, {})
    statuses = {r.status_code for r in fast}
    assert {200, 400, 404, 413, 422} <= statuses  # the battery covers each kind of answer
    for (ref, kwargs), a, b in zip(BATTERY, fast, routed, strict=True):
        assert comparable(a) == comparable(b), (ref, kwargs)
        assert a.status_code < 500, a.text
        assert "x-request-id" in a.headers


def test_fast_path_is_counted_and_authorized_as_the_route(tmp_path_factory: Any) -> None:
    settings = Settings(home=tmp_path_factory.mktemp("fastpath-keys"))
    registry = Registry.from_settings(settings)
    train_tiny(registry)
    keys = KeyStore(registry.database_url)
    _, admin = keys.create("ops", "admin")
    _, mine = keys.create("app", "predict:review-sentiment")
    _, other = keys.create("other", "predict:movie-*")
    keys.close()
    registry.close()
    good = ("review-sentiment", {"json": {"text": "fun"}})

    def statuses(key: str | None) -> list[int]:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return [r.status_code for r in send_all(settings, [good], headers)]

    assert statuses(None) == [401]
    assert statuses("ll_000000000000_notakey") == [401]
    assert statuses(other) == [403]
    assert statuses(mine) == [200]

    async def metrics() -> str:
        transport = httpx.ASGITransport(app=create_app(settings))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            headers = {"Authorization": f"Bearer {mine}"}
            path = "/v1/models/review-sentiment/predict"
            answer = await client.post(path, headers=headers, json={"text": "ok"})
            assert answer.status_code == 200
            r = await client.get("/metrics", headers={"Authorization": f"Bearer {admin}"})
            assert r.status_code == 200
            return r.text

    text = asyncio.run(metrics())
    line = next(
        line
        for line in text.splitlines()
        if line.startswith("limelight_requests_total{") and 'status="200"' in line
    )
    assert 'route="/v1/models/{ref:path}/predict"' in line
    assert 'model="review-sentiment"' in line and 'version="1"' in line
