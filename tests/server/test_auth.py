"""Auth on every route: enumerated from the app, so routes added later are covered too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from limelight.registry import ModelVersion, Registry
from limelight.server.app import create_app
from limelight.server.auth import app_routes, is_public, required_scope
from limelight.settings import Settings
from tests.conftest import train_tiny

ERROR_KEYS = {"code", "message"}


@pytest.fixture
def app(settings: Settings, registry: Registry, tiny_model: ModelVersion) -> FastAPI:
    return create_app(settings, registry)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def _new_key(app: FastAPI, name: str, scopes: str, **kwargs: object) -> str:
    _key, secret = app.state.security.keys.create(name, scopes, **kwargs)
    app.state.security.forget()
    return str(secret)


def _concrete(path: str) -> str:
    """A request path for a route template: every parameter filled with a real model name."""
    path = path.replace("{ref:path}", "review-sentiment")
    path = path.replace("{version}", "1")
    return re.sub(r"\{[^}]+\}", "review-sentiment", path)


def _protected_routes(app: FastAPI) -> list[tuple[str, str, str]]:
    found = []
    for route in app_routes(app):
        path = route.path
        if path is None or is_public(path) or isinstance(route.original_route, WebSocketRoute):
            continue  # websocket routes: see test_websocket_routes_are_guarded_too
        for method in sorted(route.methods or {"GET"}):
            if method == "HEAD":
                continue
            found.append((method, _concrete(path), required_scope(route)))
    return found


def _assert_error(response: object, status: int, code: str) -> None:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}
    path = response.request.url.path  # type: ignore[attr-defined]
    if path == "/v2" or path.startswith("/v2/"):  # KServe V2 errors: {"error": "message"}
        assert isinstance(body["error"], str) and body["error"]
        return
    assert ERROR_KEYS <= set(body["error"]) <= ERROR_KEYS | {"field"}
    assert body["error"]["code"] == code


def test_every_route_needs_a_key_with_the_right_scope(app: FastAPI, client: TestClient) -> None:
    routes = _protected_routes(app)
    # the routes of this issue and the core are all there, with the scopes they declare
    methods_paths = {(m, p) for m, p, _ in routes}
    assert ("POST", "/v1/models/review-sentiment/predict") in methods_paths
    assert ("DELETE", "/v1/models/review-sentiment") in methods_paths
    assert ("POST", "/v1/keys") in methods_paths
    assert ("GET", "/v1/audit") in methods_paths
    assert len(routes) >= 10

    # open while no key exists
    assert client.get("/v1/models").status_code == 200

    admin = _new_key(app, "root", "admin")
    wrong = _new_key(app, "other-models", "predict:movie-*")
    trainer = _new_key(app, "trainer", "train")
    revoked = _new_key(app, "gone", "admin")
    app.state.security.keys.revoke("gone")
    expired = _new_key(app, "old", "admin", expires_in=timedelta(seconds=-1))
    app.state.security.forget()

    for method, path, scope in routes:
        where = f"{method} {path} ({scope})"
        _assert_error(client.request(method, path), 401, "unauthorized")
        for bad in ("ll_000000000000_" + "x" * 43, "nonsense", revoked, expired):
            response = client.request(method, path, headers={"Authorization": f"Bearer {bad}"})
            assert response.status_code == 401, where
            assert response.headers["www-authenticate"].startswith("Bearer")
        # a key without the scope the route needs: 403 (train-only keys lack every other one)
        lacking = trainer if scope != "train" else wrong
        response = client.request(method, path, headers={"X-API-Key": lacking})
        _assert_error(response, 403, "forbidden")
        if scope in ("predict", "admin"):
            response = client.request(method, path, headers={"X-API-Key": wrong})
            _assert_error(response, 403, "forbidden")
        # the admin key gets past auth (whatever the route then says about an empty body)
        response = client.request(method, path, headers={"Authorization": f"Bearer {admin}"})
        assert response.status_code not in (401, 403), where

    for public in ("/healthz", "/readyz", "/openapi.json", "/docs"):
        assert client.get(public).status_code == 200, public


def test_predict_scope_globs_and_filtered_listing(
    app: FastAPI, client: TestClient, registry: Registry
) -> None:
    train_tiny(registry, name="movie-reviews", alias="production")
    movie = _new_key(app, "mobile-app", "predict:movie-*")
    headers = {"Authorization": f"Bearer {movie}"}
    ok = client.post("/v1/models/movie-reviews/predict", json={"text": "Loved it"}, headers=headers)
    assert ok.status_code == 200, ok.text
    assert client.get("/v1/models/movie-reviews@production", headers=headers).status_code == 200
    denied = client.post(
        "/v1/models/review-sentiment/predict", json={"text": "Loved it"}, headers=headers
    )
    _assert_error(denied, 403, "forbidden")
    listed = client.get("/v1/models", headers=headers).json()
    assert [m["name"] for m in listed] == ["movie-reviews"]


def test_predict_keys_reach_the_protocol_routes(
    app: FastAPI, client: TestClient, registry: Registry
) -> None:
    """Embeddings, zero-shot, KServe V2 and search serve models, so a predict key for the model
    may call them (they once fell back to needing admin)."""
    import pandas as pd

    from limelight.training import train
    from limelight.training.pretrained import register_pretrained

    register_pretrained(registry, "embedding", name="minilm")
    items = pd.DataFrame({"id": ["a", "b"], "text": ["A haunted house", "A cooking contest"]})
    train(registry, "semantic-search", items, name="titles", columns={"id": "id", "text": "text"})
    apps = _new_key(app, "apps", "predict:minilm,predict:review-sentiment,predict:titles")
    other = _new_key(app, "other-models", "predict:movie-*")
    tensor = {"name": "text", "datatype": "BYTES", "shape": [1], "data": ["Loved it"]}
    calls: list[tuple[str, str, dict[str, object] | None]] = [
        ("POST", "/v1/embeddings", {"model": "minilm", "input": "a ghost story"}),
        ("POST", "/v1/models/minilm/zero-shot", {"text": "a ghost", "labels": ["horror", "cake"]}),
        ("GET", "/v2/models/review-sentiment", None),
        ("GET", "/v2/models/review-sentiment/versions/1/ready", None),
        ("POST", "/v2/models/review-sentiment/infer", {"inputs": [tensor]}),
        ("POST", "/v1/indexes/titles/search", {"query": "ghosts", "k": 1}),
    ]
    for method, path, body in calls:
        ok = client.request(method, path, json=body, headers={"X-API-Key": apps})
        assert ok.status_code == 200, (path, ok.text)
        denied = client.request(method, path, json=body, headers={"X-API-Key": other})
        _assert_error(denied, 403, "forbidden")
    for key in (apps, other):  # who the server is: any predict key
        assert client.get("/v2", headers={"X-API-Key": key}).status_code == 200
    listed = client.get("/v1/indexes", headers={"X-API-Key": apps}).json()
    assert [i["name"] for i in listed] == ["titles"]
    assert client.get("/v1/indexes", headers={"X-API-Key": other}).json() == []
    changed = client.post(
        "/v1/indexes/titles/items",
        json={"items": [{"id": "c", "text": "x"}]},
        headers={"X-API-Key": apps},
    )
    _assert_error(changed, 403, "forbidden")  # changing an index stays an admin action


def test_http_admin_actions_are_audited(
    app: FastAPI, client: TestClient, registry: Registry
) -> None:
    train_tiny(registry)  # version 2 of review-sentiment
    admin = _new_key(app, "ops", "admin")
    h = {"X-API-Key": admin}
    assert (
        client.post("/v1/models/review-sentiment/predict", json={"text": "x"}, headers=h).json()[
            "version"
        ]
        == 1
    )
    moved = client.put(
        "/v1/models/review-sentiment/aliases/production", json={"version": 2}, headers=h
    )
    assert moved.json() == {
        "model": "review-sentiment",
        "alias": "production",
        "version": 2,
        "previous": 1,
    }
    # the server's alias cache was invalidated: the next call is served by version 2
    after = client.post("/v1/models/review-sentiment/predict", json={"text": "x"}, headers=h)
    assert after.json()["version"] == 2
    _assert_error(
        client.delete("/v1/models/review-sentiment/versions/2", headers=h), 409, "conflict"
    )
    assert client.delete("/v1/models/review-sentiment/versions/1", headers=h).status_code == 200
    assert (
        client.delete("/v1/models/review-sentiment/aliases/production", headers=h).json()[
            "previous"
        ]
        == 2
    )
    created = client.post("/v1/keys", json={"name": "app", "scopes": ["predict:*"]}, headers=h)
    assert created.status_code == 201
    secret = created.json()["key"]
    assert client.get("/v1/models", headers={"X-API-Key": secret}).status_code == 200
    listed = client.get("/v1/keys", headers=h).json()
    assert {k["name"] for k in listed} == {"ops", "app"}
    assert all("key" not in k and "key_hash" not in k for k in listed)
    assert client.delete("/v1/keys/app", headers=h).json()["status"] == "revoked"
    _assert_error(client.get("/v1/models", headers={"X-API-Key": secret}), 401, "unauthorized")
    assert client.delete("/v1/models/review-sentiment", headers=h).json() == {
        "deleted": "review-sentiment"
    }
    _assert_error(
        client.post("/v1/models/review-sentiment/predict", json={"text": "x"}, headers=h),
        404,
        "model_not_found",
    )

    events = client.get("/v1/audit", headers=h).json()
    assert [e["action"] for e in events] == [
        "model.delete",
        "key.revoke",
        "key.create",
        "alias.remove",
        "version.delete",
        "alias.set",
        "key.create",
    ]
    assert all(e["actor"] == "ops" for e in events[:-1])
    assert events[-1]["actor"] == "cli"
    assert events[-2]["target"] == "review-sentiment@production"
    assert events[-2]["detail"] == {"from": 1, "to": 2}
    only = client.get("/v1/audit", params={"action": "key.create", "limit": 1}, headers=h).json()
    assert len(only) == 1 and only[0]["target"].startswith("key app")
    _assert_error(client.get("/v1/audit", params={"limit": 0}, headers=h), 422, "invalid_input")
    bad_scope = client.post("/v1/keys", json={"name": "z", "scopes": ["root"]}, headers=h)
    _assert_error(bad_scope, 422, "invalid_input")
    assert bad_scope.json()["error"]["field"] == "scopes.0"


def test_websocket_routes_are_guarded_too(app: FastAPI) -> None:
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    app.add_api_websocket_route("/v1/test-stream/{ref}", echo)
    admin = _new_key(app, "root", "admin")
    with TestClient(app) as client:
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            client.websocket_connect("/v1/test-stream/x"),
        ):
            pass
        assert refused.value.code == 1008
        with client.websocket_connect(
            "/v1/test-stream/x", headers={"Authorization": f"Bearer {admin}"}
        ) as ws:
            assert ws.receive_text() == "hello"


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_concurrent_requests_ask_the_key_store_once(
    anyio_backend: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio
    import time

    from limelight.server.auth import Security

    security = Security.from_settings(settings)
    calls = 0

    def slow_any_keys() -> bool:
        nonlocal calls
        calls += 1
        time.sleep(0.05)
        return False

    monkeypatch.setattr(security.keys, "any_keys", slow_any_keys)
    answers = await asyncio.gather(*(security.enabled() for _ in range(32)))
    assert answers == [False] * 32
    assert calls == 1
    security.cache_seconds = 0.0  # expired: the next wave asks again, once
    await asyncio.gather(*(security.enabled() for _ in range(8)))
    assert calls == 2
