"""In-process HTTP: /metrics, model state in GET /v1/models, /readyz with a broken model,
deployment endpoints (split, stickiness, admin), and 503 registry_busy under a real lock."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from limelight.registry import Registry
from limelight.server import create_app
from limelight.settings import Settings
from tests.conftest import train_tiny
from tests.runtime.test_manager import tamper

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def two_versions(registry: Registry) -> Registry:
    train_tiny(registry, alias="production")
    train_tiny(registry, alias="candidate")
    return registry


@pytest.fixture
async def client(settings: Settings, two_versions: Registry) -> AsyncIterator[httpx.AsyncClient]:
    fast = settings.model_copy(update={"deployment_cache_seconds": 0.0})
    app = create_app(fast, two_versions)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        yield c


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def test_metrics_count_requests_by_model_version_route_status(
    client: httpx.AsyncClient,
) -> None:
    for _ in range(3):
        r = await client.post("/v1/models/review-sentiment/predict", json={"text": "great"})
        assert r.status_code == 200
    await client.post(
        "/v1/models/review-sentiment/predict", json={"instances": [{"text": "a"}, {"text": "b"}]}
    )
    bad = await client.post("/v1/models/review-sentiment/predict", json={"nope": 1})
    assert bad.status_code == 422
    await client.post("/v1/models/no-such-model/predict", json={"text": "x"})
    r = await client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    got = samples(r.text)
    route = "/v1/models/{ref:path}/predict"

    def requests(model: str, version: str, status: str) -> float:
        labels = (
            ("method", "POST"),
            ("model", model),
            ("route", route),
            ("status", status),
            ("version", version),
        )
        return got.get(("limelight_requests_total", labels), 0)

    assert requests("review-sentiment", "1", "200") == 4
    assert requests("review-sentiment", "", "422") == 1
    assert requests("", "", "404") == 1  # unknown names do not become label values
    hist = (("model", "review-sentiment"), ("route", route), ("version", "1"))
    assert got[("limelight_request_duration_seconds_count", hist)] == 4
    batch = (("model", "review-sentiment"), ("version", "1"))
    assert got[("limelight_batch_size_count", batch)] == 4
    assert got[("limelight_batch_size_sum", batch)] == 5
    assert got[("limelight_model_load_seconds_count", (("model", "review-sentiment"),))] == 1
    assert got[("limelight_models_loaded", ())] == 1
    assert got[("limelight_queue_depth", batch)] == 0
    assert got[("limelight_inflight_requests", batch)] == 0
    assert ("limelight_rate_limited_total", ()) not in got  # no 429 yet


async def test_model_state_and_degraded_readiness(settings: Settings, registry: Registry) -> None:
    train_tiny(registry, name="good")
    tamper(registry, train_tiny(registry, name="broken"))
    train_tiny(registry, name="idle")
    app = create_app(settings, registry)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        before = {m["name"]: m["state"] for m in (await c.get("/v1/models")).json()}
        assert before == {"broken": "unloaded", "good": "unloaded", "idle": "unloaded"}
        assert (await c.post("/v1/models/good/predict", json={"text": "fine"})).status_code == 200
        r = await c.post("/v1/models/broken/predict", json={"text": "fine"})
        assert r.status_code == 503 and r.json()["error"]["code"] == "artifact_integrity"
        models = {m["name"]: m for m in (await c.get("/v1/models")).json()}
        assert models["good"]["state"] == "loaded" and models["good"]["loaded_versions"] == [1]
        assert models["broken"]["state"] == "failed"
        assert "checksum" in models["broken"]["load_errors"]["1"]
        assert models["idle"]["state"] == "unloaded"
        ready = await c.get("/readyz")
        assert ready.status_code == 200  # one broken model does not take the others down
        assert ready.json()["status"] == "degraded"
        assert list(ready.json()["failed"]) == ["broken/versions/1"]
        assert (await c.post("/v1/models/good/predict", json={"text": "ok"})).status_code == 200


async def test_endpoint_split_is_weighted_and_sticky(client: httpx.AsyncClient) -> None:
    spec = {
        "split": [
            {"model": "review-sentiment@production", "weight": 80},
            {"model": "review-sentiment@candidate", "weight": 20},
        ],
        "sticky": "header:X-User-Id",
    }
    r = await client.put("/v1/endpoints/reviews", json=spec)
    assert r.status_code == 201, r.text
    assert [t["serving"] for t in r.json()["targets"]] == [1, 2]  # loaded before answering
    seen: Counter[int] = Counter()
    per_user: dict[str, set[int]] = {}
    for i in range(200):
        user = f"user-{i % 50}"
        r = await client.post(
            "/v1/endpoints/reviews/predict", json={"text": "loved it"}, headers={"X-User-Id": user}
        )
        assert r.status_code == 200, r.text
        version = r.json()["version"]
        assert r.headers["x-limelight-model-version"] == str(version)
        assert r.json()["endpoint"] == "reviews"
        seen[version] += 1
        per_user.setdefault(user, set()).add(version)
    assert all(len(v) == 1 for v in per_user.values())  # every user stays on one version
    users_on_2 = sum(1 for v in per_user.values() if v == {2})
    assert 2 <= users_on_2 <= 20  # about 20 % of 50 users
    # without a key, requests spread by weight
    r = await client.put("/v1/endpoints/reviews", json={"split": spec["split"]})
    assert r.status_code == 200
    spread: Counter[int] = Counter()
    for _ in range(200):
        body = (await client.post("/v1/endpoints/reviews/predict", json={"text": "x"})).json()
        spread[body["version"]] += 1
    assert 15 <= spread[2] <= 70


async def test_sticky_body_field_is_removed_before_validation(client: httpx.AsyncClient) -> None:
    spec = {
        "split": [
            {"model": "review-sentiment/versions/1"},
            {"model": "review-sentiment/versions/2"},
        ],
        "sticky": "field:user_id",
    }
    assert (await client.put("/v1/endpoints/ab", json=spec)).status_code == 201
    versions = {
        (await client.post("/v1/endpoints/ab/predict", json={"text": "ok", "user_id": 7})).json()[
            "version"
        ]
        for _ in range(10)
    }
    assert len(versions) == 1


async def test_endpoint_admin_errors(client: httpx.AsyncClient) -> None:
    r = await client.put("/v1/endpoints/x", json={"model": "nope@production"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"
    r = await client.put("/v1/endpoints/x", json={"model": "review-sentiment", "split": []})
    assert r.status_code == 422 and "exactly one" in r.json()["error"]["message"]
    r = await client.put(
        "/v1/endpoints/x", json={"model": "review-sentiment", "sticky": "cookie:a"}
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "sticky"
    r = await client.put(
        "/v1/endpoints/x", json={"split": [{"model": "review-sentiment", "weight": 0}]}
    )
    assert r.status_code == 422
    r = await client.post("/v1/endpoints/missing/predict", json={"text": "x"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "endpoint_not_found"
    assert (await client.delete("/v1/endpoints/missing")).status_code == 404
    assert (
        await client.put("/v1/endpoints/x", json={"model": "review-sentiment"})
    ).status_code == 201
    assert [e["name"] for e in (await client.get("/v1/endpoints")).json()] == ["x"]
    assert (await client.delete("/v1/endpoints/x")).status_code == 200
    assert (await client.get("/v1/endpoints/x")).status_code == 404


async def test_registry_locked_by_another_connection_is_a_retryable_503(
    settings: Settings, two_versions: Registry
) -> None:
    quick = settings.model_copy(update={"registry_busy_timeout_seconds": 0.2})
    app = create_app(quick, Registry.from_settings(quick))
    holder = sqlite3.connect(str(settings.home / "registry.db"), isolation_level=None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        holder.execute("BEGIN EXCLUSIVE")  # another process's write lock, held
        try:
            r = await c.put("/v1/endpoints/e", json={"model": "review-sentiment"})
            assert r.status_code == 503, r.text
            assert r.json()["error"]["code"] == "registry_busy"
            assert "retry" in r.json()["error"]["message"]
            assert r.headers["retry-after"] == "1"
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        r = await c.put("/v1/endpoints/e", json={"model": "review-sentiment"})
        assert r.status_code == 201  # the same call succeeds once the lock is gone
