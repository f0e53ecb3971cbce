"""Rate limits and quotas: the token bucket in process, the Redis backend against a real
redis-server, and two real `limelight serve` processes enforcing one shared limit."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from limelight.registry import ModelVersion, Registry
from limelight.registry.keys import ApiKey, KeyStore
from limelight.server.app import create_app
from limelight.server.ratelimit import MemoryRateLimiter, RedisRateLimiter
from limelight.settings import Settings
from tests.conftest import LiveServer, free_port


def _key(
    rate: float | None = None,
    burst: int | None = None,
    quota: int | None = None,
    key_id: str = "0123456789ab",
) -> ApiKey:
    return ApiKey(
        key_id=key_id,
        name="k",
        scopes=("admin",),
        created_at=datetime.now(UTC),
        rate=rate,
        burst=burst,
        quota=quota,
    )


def test_token_bucket_refills_at_the_rate() -> None:
    limiter = MemoryRateLimiter()
    key = _key(rate=2.0, burst=3)
    t0 = 1_000_000.0
    decisions = [limiter.hit_at(key, t0) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    refused = decisions[-1]
    assert refused.reason == "rate" and refused.retry_after == 1
    assert dict(refused.headers())["Retry-After"] == "1"
    assert dict(decisions[0].headers())["X-RateLimit-Limit"] == "3"
    assert limiter.hit_at(key, t0 + 0.49).allowed is False  # 0.98 tokens
    assert limiter.hit_at(key, t0 + 0.5).allowed is True  # one token back after 0.5 s
    full = limiter.hit_at(key, t0 + 100)  # never more than the burst
    assert full.remaining == 2 and full.reset == 1


def test_daily_quota_resets_at_utc_midnight() -> None:
    limiter = MemoryRateLimiter()
    key = _key(quota=2)
    day = 20_000 * 86400.0
    assert [limiter.hit_at(key, day + 10).allowed for _ in range(3)] == [True, True, False]
    refused = limiter.hit_at(key, day + 86399)
    assert refused.reason == "quota" and refused.retry_after == 1
    assert refused.quota_remaining == 0
    assert "daily quota of 2" in refused.error().message
    assert limiter.hit_at(key, day + 86400).allowed is True  # a new UTC day


def test_limits_over_http_with_headers(settings: Settings, registry: Registry) -> None:
    app = create_app(settings, registry)
    _key, secret = app.state.security.keys.create("limited", "admin", rate=0.001, burst=3, quota=10)
    with TestClient(app) as client:
        answers = [client.get("/v1/models", headers={"X-API-Key": secret}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert all(a.headers["x-ratelimit-limit"] == "3" for a in answers)
    assert [a.headers["x-quota-remaining"] for a in answers] == ["9", "8", "7", "7"]
    refused = answers[-1]
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 900 <= int(refused.headers["retry-after"]) <= 1000  # one token at 0.001/s
    assert int(refused.headers["x-ratelimit-reset"]) == 3000
    assert "retry-after" not in answers[0].headers


# ------------------------------------------------------------------------------ Redis
@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed (it is in .ci/apt-packages)")
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_redis_backend_is_atomic_under_concurrency(redis_url: str) -> None:
    key = _key(rate=0.001, burst=25, quota=1000)

    async def run() -> list[bool]:
        limiters = [RedisRateLimiter(redis_url) for _ in range(3)]
        try:
            results = await asyncio.gather(*(limiters[i % 3].hit(key) for i in range(60)))
            quota_key = _key(quota=7, key_id="ba9876543210")
            quota_results = [await limiters[i % 3].hit(quota_key) for i in range(9)]
        finally:
            for limiter in limiters:
                await limiter.close()
        assert [d.allowed for d in quota_results] == [True] * 7 + [False, False]
        assert quota_results[-1].reason == "quota"
        return [d.allowed for d in results]

    allowed = asyncio.run(run())
    assert sum(allowed) == 25  # one bucket, shared by three clients hitting it at once


def test_redis_down_answers_503_not_500(settings: Settings, registry: Registry) -> None:
    down = Settings(home=settings.home, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    app = create_app(down, registry)
    _key, secret = app.state.security.keys.create("k", "admin", rate=10)
    with TestClient(app) as client:
        response = client.get("/v1/models", headers={"X-API-Key": secret})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "rate_limiter_unavailable"


@pytest.mark.e2e
def test_two_server_processes_share_one_limit(
    home: Path,
    registry: Registry,
    tiny_model: ModelVersion,
    redis_url: str,
    live_server: Callable[..., LiveServer],
) -> None:
    store = KeyStore(registry.database_url)
    _k, bucket = store.create("shared-bucket", "predict:*", rate=0.001, burst=10)
    _q, quota = store.create("shared-quota", "predict:*", rate=1000, burst=1000, quota=6)
    env = {"LIMELIGHT_REDIS_URL": redis_url}
    with ThreadPoolExecutor(2) as pool:  # start both at once: each takes seconds to import
        servers = list(pool.map(lambda _: live_server(env=env), range(2)))
    body = {"text": "What a wonderful film"}

    def call(i: int, key: str) -> httpx.Response:
        return httpx.post(
            f"{servers[i % 2].url}/v1/models/review-sentiment/predict",
            json=body,
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
        )

    answers = [call(i, bucket) for i in range(16)]
    statuses = [a.status_code for a in answers]
    assert statuses == [200] * 10 + [429] * 6, statuses
    # both processes answered, and each counted the other's requests
    assert answers[8].headers["x-ratelimit-remaining"] == "1"
    assert answers[9].headers["x-ratelimit-remaining"] == "0"
    assert int(answers[10].headers["retry-after"]) > 0

    quota_answers = [call(i, quota).status_code for i in range(8)]
    assert quota_answers == [200] * 6 + [429] * 2
    for server in servers:
        assert server.stop() == 0
