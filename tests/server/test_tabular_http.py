"""In-process HTTP: tabular predict bodies, explain, report, and their errors."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from limelight.registry import Registry
from limelight.server import create_app
from limelight.settings import Settings
from limelight.training import train
from tests.conftest import train_tiny
from tests.tasks.tabular_data import GOOD, classification, regression


@pytest.fixture(scope="module")
def app_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    settings = Settings(home=tmp_path_factory.mktemp("home"))
    registry = Registry.from_settings(settings)
    train(
        registry,
        "tabular-classification",
        classification(240),
        name="clicks",
        columns={"target": "clicked"},
        algorithm="logistic,lightgbm",
        alias="production",
    )
    train(
        registry,
        "tabular-regression",
        regression(240),
        name="watch",
        columns={"target": "watch"},
        algorithm="ridge",
    )
    train_tiny(registry, name="review-sentiment")
    registry.close()
    yield settings


def call(settings: Settings, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(settings))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(run())


def test_predict_accepts_features_bare_records_and_batches(app_settings: Settings) -> None:
    one = call(app_settings, "POST", "/v1/models/clicks/predict", json={"features": GOOD})
    assert one.status_code == 200, one.text
    body = one.json()
    assert body["label"] in ("yes", "no") and set(body["scores"]) == {"yes", "no"}
    assert body["model"] == "clicks" and body["version"] == 1
    bare = call(app_settings, "POST", "/v1/models/clicks/predict", json=GOOD).json()
    assert bare["scores"] == body["scores"]
    batch = call(
        app_settings,
        "POST",
        "/v1/models/clicks/predict",
        json={"instances": [{"features": GOOD}, dict.fromkeys(GOOD)]},
    ).json()
    assert len(batch["predictions"]) == 2
    assert batch["predictions"][0]["scores"] == body["scores"]
    value = call(app_settings, "POST", "/v1/models/watch/predict", json={"features": GOOD})
    assert isinstance(value.json()["value"], float)
    text = call(app_settings, "POST", "/v1/models/review-sentiment/predict", json={"text": "Great"})
    assert text.status_code == 200 and "label" in text.json()


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"features": {**GOOD, "age": "old"}}, 422, "features.age"),
        ({"features": {**GOOD, "extra": 1}}, 422, "features.extra"),
        ({"features": {k: v for k, v in GOOD.items() if k != "bio"}}, 422, "features.bio"),
        (
            {"instances": [{"features": GOOD}, {"features": {**GOOD, "premium": 1}}]},
            422,
            "instances[1].features.premium",
        ),
        ({"features": GOOD, "color": "red"}, 422, "color"),
        ({"features": "GOOD"}, 422, "features"),
    ],
)
def test_bad_tabular_inputs_get_422_naming_the_field(
    app_settings: Settings, body: dict[str, Any], status: int, field: str
) -> None:
    for route in ("predict", "explain"):
        response = call(app_settings, "POST", f"/v1/models/clicks/{route}", json=body)
        assert response.status_code == status, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_input"
        assert error["field"] == field
        assert field.split(".")[-1] in error["message"]


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_nan_and_infinity_are_refused(app_settings: Settings, literal: bytes) -> None:
    body = (
        b'{"features": {"age": ' + literal + b', "country": "FR", "user": "u1", '
        b'"premium": true, "bio": "x"}}'
    )
    response = call(app_settings, "POST", "/v1/models/clicks/predict", content=body)
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"] in ("malformed_json", "invalid_input")


RECORDS = [GOOD, {"age": 61, "country": "JP", "user": "u7", "premium": False, "bio": "dull plot"}]


def columns_as_tensors(types: dict[str, str]) -> dict[str, Any]:
    """RECORDS as one V2 tensor per column, with the given datatypes."""
    return {
        "inputs": [
            {"name": c, "datatype": d, "shape": [len(RECORDS)], "data": [r[c] for r in RECORDS]}
            for c, d in types.items()
        ]
    }


def test_v2_tensor_per_column_matches_native_predict(app_settings: Settings) -> None:
    meta = call(app_settings, "GET", "/v2/models/clicks").json()
    assert meta["platform"] == "limelight_tabular-classification"
    assert meta["inputs"] == [
        {"name": "age", "datatype": "FP32", "shape": [-1]},
        {"name": "country", "datatype": "BYTES", "shape": [-1]},
        {"name": "user", "datatype": "BYTES", "shape": [-1]},
        {"name": "premium", "datatype": "BOOL", "shape": [-1]},
        {"name": "bio", "datatype": "BYTES", "shape": [-1]},
    ]
    labels = meta["parameters"]["labels"]
    types = {"age": "INT64", "country": "BYTES", "user": "BYTES", "premium": "BOOL", "bio": "BYTES"}
    native = call(
        app_settings,
        "POST",
        "/v1/models/clicks/predict",
        json={"instances": [{"features": r} for r in RECORDS]},
    ).json()["predictions"]
    answer = call(app_settings, "POST", "/v2/models/clicks/infer", json=columns_as_tensors(types))
    assert answer.status_code == 200, answer.text
    label, proba = answer.json()["outputs"]
    assert label["data"] == [p["label"] for p in native]
    assert proba["shape"] == [2, len(labels)]
    assert proba["data"] == [p["scores"][lab] for p in native for lab in labels]

    value = call(app_settings, "GET", "/v2/models/watch").json()["outputs"]
    assert value == [{"name": "value", "datatype": "FP32", "shape": [-1]}]
    native_values = call(
        app_settings, "POST", "/v1/models/watch/predict", json={"instances": RECORDS}
    ).json()["predictions"]
    got = call(app_settings, "POST", "/v2/models/watch/infer", json=columns_as_tensors(types))
    assert got.json()["outputs"][0]["data"] == [p["value"] for p in native_values]

    # a category is a string or an integer: BYTES is declared, INT64 accepted
    as_ints = columns_as_tensors(types)
    as_ints["inputs"][2] = {"name": "user", "datatype": "INT64", "shape": [2], "data": [1, 7]}
    assert call(app_settings, "POST", "/v2/models/clicks/infer", json=as_ints).status_code == 200


@pytest.mark.parametrize(
    ("types", "needle"),
    [
        (
            {
                "age": "BYTES",
                "country": "BYTES",
                "user": "BYTES",
                "premium": "BOOL",
                "bio": "BYTES",
            },
            "input 'age' must be FP32",
        ),
        (
            {
                "age": "FP32",
                "country": "BYTES",
                "user": "BYTES",
                "premium": "INT64",
                "bio": "BYTES",
            },
            "input 'premium' must be BOOL",
        ),
        ({"age": "FP32", "country": "BYTES"}, "missing input 'user'"),
    ],
)
def test_v2_tabular_errors_name_the_column(
    app_settings: Settings, types: dict[str, str], needle: str
) -> None:
    response = call(app_settings, "POST", "/v2/models/clicks/infer", json=columns_as_tensors(types))
    assert response.status_code == 400, response.text
    assert needle in response.json()["error"]


def test_explain_returns_prediction_and_signed_contributions(app_settings: Settings) -> None:
    response = call(
        app_settings, "POST", "/v1/models/watch/explain?top_k=3", json={"features": GOOD}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["method"] == "linear" and body["model"] == "watch"
    assert len(body["contributions"]) == 3
    total = body["base_value"] + sum(c["contribution"] for c in body["contributions"])
    assert total + body["rest"] == pytest.approx(body["prediction"]["value"], abs=1e-5)
    batch = call(
        app_settings,
        "POST",
        "/v1/models/clicks/explain",
        json={"instances": [GOOD, {**GOOD, "country": "US"}]},
    ).json()
    assert len(batch["explanations"]) == 2
    text = call(
        app_settings, "POST", "/v1/models/review-sentiment/explain", json={"text": "Loved it"}
    ).json()
    assert text["contributions"] and text["prediction"]["label"] in ("positive", "negative")
    bad_k = call(app_settings, "POST", "/v1/models/watch/explain?top_k=0", json=GOOD)
    assert bad_k.status_code == 422


def test_report_is_html_with_the_expected_plots(app_settings: Settings) -> None:
    response = call(app_settings, "GET", "/v1/models/clicks/report")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    alts = re.findall(r"<img alt='([^']+)' src='data:image/png;base64,[A-Za-z0-9+/=]{200,}'", html)
    assert set(alts) >= {
        "confusion",
        "ROC curve",
        "precision-recall curve",
        "calibration curve",
        "feature importance",
        "leaderboard",
    }
    assert "Cleaning report" in html and "Leaderboard" in html and "lightgbm" in html
    regression_alts = re.findall(
        r"<img alt='([^']+)'", call(app_settings, "GET", "/v1/models/watch/report").text
    )
    assert {"predicted vs actual", "residuals", "feature importance"} <= set(regression_alts)
    text_alts = re.findall(
        r"<img alt='([^']+)'", call(app_settings, "GET", "/v1/models/review-sentiment/report").text
    )
    assert {"confusion", "ROC curve", "feature importance"} <= set(text_alts)
    missing = call(app_settings, "GET", "/v1/models/nope/report")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "model_not_found"
    detail = call(app_settings, "GET", "/v1/models/clicks")
    assert detail.status_code == 200 and detail.json()["leaderboard"][0]["algorithm"]
