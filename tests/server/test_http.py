"""In-process HTTP tests: the FastAPI app over httpx.ASGITransport, every error case of the API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from limelight.registry import ModelVersion, Registry
from limelight.server import create_app
from limelight.settings import Settings
from tests.conftest import train_tiny

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(
    settings: Settings, registry: Registry, tiny_model: ModelVersion
) -> AsyncIterator[httpx.AsyncClient]:
    limited = settings.model_copy(
        update={"max_instances": 4, "max_text_chars": 50, "max_body_bytes": 2000}
    )
    app = create_app(limited, registry)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        yield c


PREDICT = "/v1/models/review-sentiment/predict"


def assert_error(
    response: httpx.Response, status: int, code: str, field: str | None = None
) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if field is not None:
        assert body["error"].get("field") == field


async def test_single_and_batch(client: httpx.AsyncClient, tiny_model: ModelVersion) -> None:
    r = await client.post(PREDICT, content=b'{"text": "What a wonderful film"}')
    assert r.status_code == 200
    assert r.json()["label"] == "positive"
    assert r.json()["version"] == tiny_model.version
    r = await client.post(
        PREDICT, json={"instances": [{"text": "dull mess"}, {"text": "loved it"}]}
    )
    body = r.json()
    assert len(body["predictions"]) == 2
    assert body["model"] == "review-sentiment"


@pytest.mark.parametrize(
    "ref",
    [
        "review-sentiment",
        "review-sentiment@production",
        "review-sentiment/versions/1",
        "review-sentiment@latest",
    ],
)
async def test_every_reference_form(client: httpx.AsyncClient, ref: str) -> None:
    r = await client.post(f"/v1/models/{ref}/predict", json={"text": "fun"})
    assert r.status_code == 200, r.text


async def test_list_and_describe(client: httpx.AsyncClient) -> None:
    models = (await client.get("/v1/models")).json()
    assert [m["name"] for m in models] == ["review-sentiment"]
    assert models[0]["aliases"] == {"production": 1}
    detail = (await client.get("/v1/models/review-sentiment@production")).json()
    assert detail["task"] == "text-classification"
    assert detail["input_schema"]["required"] == ["text"]
    assert 0 <= detail["metrics"]["accuracy"] <= 1
    assert detail["versions"][0]["version"] == 1


async def test_health_and_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).status_code == 200
    spec = (await client.get("/openapi.json")).json()
    assert "/v1/models/{ref}/predict" in spec["paths"]
    assert (await client.get("/docs")).status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        (b"", 400, "malformed_json", None),
        (b"{not json", 400, "malformed_json", None),
        (b"[1, 2]", 422, "invalid_input", None),
        (b'"just a string"', 422, "invalid_input", None),
        (b"{}", 422, "invalid_input", "text"),
        (b'{"text": 3}', 422, "invalid_input", "text"),
        (b'{"text": null}', 422, "invalid_input", "text"),
        (b'{"text": ["a"]}', 422, "invalid_input", "text"),
        (b'{"text": ""}', 422, "invalid_input", "text"),
        (b'{"text": "   "}', 422, "invalid_input", "text"),
        (b'{"text": "ok", "extra": 1}', 422, "invalid_input", "extra"),
        (b'{"instances": []}', 422, "invalid_input", "instances"),
        (b'{"instances": {"text": "a"}}', 422, "invalid_input", "instances"),
        (b'{"instances": ["a"]}', 422, "invalid_input", "instances[0]"),
        (b'{"instances": [{"text": "a"}, {"text": 1}]}', 422, "invalid_input", "instances[1].text"),
        (b'{"instances": [{"text": "a"}], "k": 1}', 422, "invalid_input", "k"),
        (b'{"text": "' + b"x" * 51 + b'"}', 413, "payload_too_large", "text"),
        (
            b'{"instances": [' + b",".join([b'{"text": "a"}'] * 5) + b"]}",
            413,
            "payload_too_large",
            "instances",
        ),
        (b'{"text": "' + b"y" * 3000 + b'"}', 413, "payload_too_large", None),
    ],
)
async def test_bad_input_gets_a_clear_4xx(
    client: httpx.AsyncClient, body: bytes, status: int, code: str, field: str | None
) -> None:
    assert_error(await client.post(PREDICT, content=body), status, code, field)


async def test_streamed_body_over_the_limit_is_refused(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 500

    assert_error(await client.post(PREDICT, content=chunks()), 413, "payload_too_large")


async def test_unknown_model_version_alias_route(client: httpx.AsyncClient) -> None:
    assert_error(
        await client.post("/v1/models/nope/predict", json={"text": "a"}), 404, "model_not_found"
    )
    assert_error(
        await client.post("/v1/models/review-sentiment/versions/7/predict", json={"text": "a"}),
        404,
        "version_not_found",
    )
    assert_error(
        await client.post("/v1/models/review-sentiment@staging/predict", json={"text": "a"}),
        404,
        "version_not_found",
    )
    assert_error(await client.get("/v1/models/nope"), 404, "model_not_found")
    assert_error(await client.get("/v1/nothing"), 404, "not_found")  # /v2 speaks KServe V2
    assert_error(await client.delete("/healthz"), 405, "method_not_allowed")
    assert_error(
        await client.post("/v1/models/bad%20name/predict", json={"text": "a"}),
        422,
        "invalid_input",
        "name",
    )


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/v1/models/review-sentiment/predict", "POST"),
        ("GET", "/v1/models/review-sentiment/recommend", "POST"),
        ("GET", "/v1/models/review-sentiment/versions/1/similar", "POST"),
        ("DELETE", "/v1/models/review-sentiment/recommend", "POST"),
        ("GET", "/v1/models/review-sentiment/users/u1", "DELETE"),
        ("PUT", "/v1/models/review-sentiment/predict", "POST"),
        ("POST", "/v1/models/review-sentiment/versions/1", "DELETE, GET"),
        ("DELETE", "/healthz", "GET, HEAD"),
    ],
)
async def test_wrong_method_on_a_model_route_names_the_right_one(
    client: httpx.AsyncClient, method: str, path: str, allowed: str
) -> None:
    response = await client.request(method, path)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allowed
    assert f"use {allowed}" in response.json()["error"]["message"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/v2/health/live", "/v2/health/ready"])
async def test_probes_answer_head(client: httpx.AsyncClient, path: str) -> None:
    get, head = await client.get(path), await client.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b""


async def test_describe_by_name_alias_and_version(
    client: httpx.AsyncClient, tiny_model: ModelVersion
) -> None:
    for ref in ("review-sentiment", "review-sentiment@latest", "review-sentiment/versions/1"):
        response = await client.get(f"/v1/models/{ref}")
        assert response.status_code == 200, response.text
        assert response.json()["version"] == tiny_model.version == 1
    assert_error(
        await client.get("/v1/models/review-sentiment/versions/9"), 404, "version_not_found"
    )
    assert_error(await client.get("/v1/models/review-sentiment/versions/x"), 422, "invalid_input")
    assert_error(await client.get("/v1/models/review-sentiment/nothing"), 404, "not_found")


async def test_tampered_artifact_is_refused_and_others_keep_serving(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    other = train_tiny(registry, name="other")
    folder = registry.artifacts.path(other.artifact_uri)
    for path in folder.iterdir():
        path.write_bytes(path.read_bytes() + b"tampered")
    assert_error(
        await client.post("/v1/models/other/predict", json={"text": "a"}), 503, "artifact_integrity"
    )
    assert (await client.post(PREDICT, json={"text": "fine"})).status_code == 200
