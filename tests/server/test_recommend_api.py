"""Recommendation routes in process (FastAPI TestClient): answers and every bad input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from limelight.registry import Registry
from limelight.server import create_app
from limelight.settings import Settings
from limelight.training import train
from tests.conftest import train_tiny
from tests.tasks.recommendation.synthetic import catalog, interactions

COLUMNS = {"user": "user_id", "item": "item_id", "rating": "rating", "time": "ts"}


@pytest.fixture
def client(settings: Settings, registry: Registry, tmp_path: Path) -> Iterator[TestClient]:
    train(
        registry, "recommendation", interactions(), name="recs", columns=COLUMNS, algorithm="ease"
    )
    items = tmp_path / "items.csv"
    catalog().to_csv(items, index=False)
    train(
        registry,
        "recommendation",
        interactions(),
        name="shelf",
        columns=COLUMNS,
        algorithm="ease",
        extra={"items": str(items)},
    )
    train_tiny(registry)
    app = create_app(settings, registry)
    with TestClient(app) as http:
        yield http


def test_recommend_similar_and_forget(client: TestClient) -> None:
    answer = client.post(
        "/v1/models/recs/recommend", json={"user_id": "u0", "k": 5, "exclude_seen": True}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["strategy"] == "personalized" and body["model"] == "recs" and body["version"] == 1
    assert len(body["items"]) == 5
    assert all(set(item) <= {"item_id", "score", "because"} for item in body["items"])
    assert any(item.get("because") for item in body["items"])
    assert answer.headers["x-limelight-model-version"] == "1"

    similar = client.post("/v1/models/recs@latest/similar", json={"item_id": "i0", "k": 3})
    assert similar.status_code == 200 and len(similar.json()["items"]) == 3

    popular = client.post("/v1/models/recs/recommend", json={"user_id": "stranger"})
    assert popular.json()["strategy"] == "popular" and len(popular.json()["items"]) == 10
    session = client.post("/v1/models/recs/recommend", json={"recent_items": ["i1", "i5"], "k": 3})
    assert session.json()["strategy"] == "session"

    # the generic predict route speaks the same schema
    predicted = client.post("/v1/models/recs/predict", json={"user_id": "u0", "k": 2})
    assert predicted.status_code == 200 and len(predicted.json()["items"]) == 2

    forgot = client.delete("/v1/models/recs/users/u0")
    assert forgot.status_code == 200, forgot.text
    result = forgot.json()
    assert result["interactions_removed"] == 10 and result["versions"] == [1]
    assert "Gram" in result["forgotten"] and result["kept_until_retrain"]
    events = client.get("/v1/audit", params={"action": "user.forget"}).json()
    assert events and events[0]["target"] == "recs/users/u0"
    after = client.post("/v1/models/recs/recommend", json={"user_id": "u0", "k": 5})
    assert after.json()["strategy"] == "popular"
    again = client.delete("/v1/models/recs/users/u0")
    assert again.status_code == 404 and again.json()["error"]["code"] == "user_not_found"


def test_catalog_filters(client: TestClient) -> None:
    def ids(filter: dict[str, object]) -> list[str]:
        body = {"user_id": "u0", "k": 84, "filter": filter}
        response = client.post("/v1/models/shelf/recommend", json=body)
        assert response.status_code == 200, response.text
        return [item["item_id"] for item in response.json()["items"]]

    years = ids({"year": {"min": 1992, "max": 1993.5}})
    assert years and all(int(i[1:]) % 10 in (2, 3) for i in years)
    assert ids({"year": 1995}) and all(int(i[1:]) % 10 == 5 for i in ids({"year": 1995}))
    comedies = ids({"genres": "comedy"})  # one value or a list, case-insensitive
    assert comedies == ids({"genres": ["Comedy"]}) and all(int(i[1:]) % 4 == 0 for i in comedies)
    assert ids({"genres": ["Comedy"], "year": {"min": 1999}}) == [
        i for i in comedies if int(i[1:]) % 10 == 9
    ]
    assert ids({"genres": ["No such genre"]}) == []
    # values no item holds are named in the answer (typos would otherwise just look empty)
    body = {"user_id": "u0", "filter": {"genres": ["Comedy", "Sci Fi"], "year": {"min": 1}}}
    answer = client.post("/v1/models/shelf/recommend", json=body).json()
    assert answer["items"] and answer["unknown_filter_values"] == {"genres": ["Sci Fi"]}
    body = {"item_id": "i0", "filter": {"genres": "SCI-FI"}}
    answer = client.post("/v1/models/shelf/similar", json=body).json()
    assert answer["items"] and "unknown_filter_values" not in answer
    body = {"item_id": "i0", "filter": {"genres": "Western"}}
    answer = client.post("/v1/models/shelf/similar", json=body).json()
    assert answer["items"] == [] and answer["unknown_filter_values"] == {"genres": ["Western"]}


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("/v1/models/nope/recommend", {"user_id": "u0"}, 404, None),
        ("/v1/models/recs/recommend", {"user_id": "u0", "k": 0}, 422, "k"),
        ("/v1/models/recs/recommend", {"user_id": "u0", "k": 100000}, 422, "k"),
        ("/v1/models/recs/recommend", {"user_id": "u0", "k": "ten"}, 422, "k"),
        ("/v1/models/recs/recommend", {"user_id": 196}, 422, "user_id"),
        ("/v1/models/recs/recommend", {"user_id": "u0", "colour": 1}, 422, "colour"),
        ("/v1/models/recs/recommend", {"user_id": "u0", "recent_items": "i1"}, 422, "recent_items"),
        (
            "/v1/models/recs/recommend",
            {"user_id": "u0", "filter": {"genres": ["x"]}},
            422,
            "filter",
        ),
        ("/v1/models/recs/recommend", [1, 2], 422, None),
        *(
            ("/v1/models/shelf/recommend", {"user_id": "u0", "filter": f}, 422, field)
            for f, field in (
                ({"year": {"min": "1990"}}, "filter.year"),
                ({"year": {"min": None}}, "filter.year"),
                ({"year": {"max": [1995]}}, "filter.year"),
                ({"year": {"min": True}}, "filter.year"),
                ({"year": {"from": 1990}}, "filter.year"),
                ({"year": {}}, "filter.year"),
                ({"year": "1990"}, "filter.year"),
                ({"genres": [1]}, "filter.genres"),
                ({"genres": {"any": "Comedy"}}, "filter.genres"),
                ({"colour": ["red"]}, "filter.colour"),
            )
        ),
        ("/v1/models/recs/similar", {"item_id": "nope"}, 404, "item_id"),
        ("/v1/models/recs/similar", {"item_id": 50}, 422, "item_id"),
        ("/v1/models/recs/similar", {"k": 3}, 422, "item_id"),
        ("/v1/models/review-sentiment/recommend", {"user_id": "u0"}, 422, "model"),
    ],
)
def test_bad_inputs_are_4xx(
    client: TestClient, path: str, body: object, status: int, field: str | None
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"]
    if field is not None:
        assert error.get("field") == field


def test_malformed_json_and_bad_deletes(client: TestClient) -> None:
    malformed = client.post("/v1/models/recs/recommend", content=b"{not json")
    assert malformed.status_code == 400
    assert (client.delete("/v1/models/recs/users/nobody")).status_code == 404
    assert (client.delete("/v1/models/nope/users/u1")).status_code == 404
    text_model = client.delete("/v1/models/review-sentiment/users/u1")
    assert text_model.status_code == 422
