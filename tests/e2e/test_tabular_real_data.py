"""Real data: Criteo clicks, Netflix titles and a MovieLens regression target, on small slices."""

from __future__ import annotations

from pathlib import Path

import pytest

from limelight.data.datasets import criteo, movielens_movie_ratings, netflix_titles
from limelight.registry import Registry
from limelight.runtime import load
from limelight.training import train

pytestmark = pytest.mark.slow


def test_criteo_clicks_with_lightgbm(data_dir: Path, registry: Registry) -> None:
    frame = criteo(data_dir, "train", rows=2500)
    assert frame.shape == (2500, 40)
    version = train(
        registry,
        "tabular-classification",
        frame,
        name="criteo",
        columns={"target": "label"},
        algorithm="lightgbm",
    )
    metrics = version.manifest["metrics"]
    assert metrics["roc_auc"] > 0.65, metrics
    assert metrics["log_loss"] < 0.55, metrics
    kinds = version.manifest["data"]["cleaning"]["columns"]
    assert kinds["I1"] == "numeric" and kinds["C3"] == "categorical (target)"
    model = load(registry, "criteo")
    row = criteo(data_dir, "test", rows=1).drop(columns=["label"]).iloc[0]
    features = {
        k: (None if v != v else (v.item() if hasattr(v, "item") else v)) for k, v in row.items()
    }
    out = model.predict([{"features": features}])[0]
    assert set(out["scores"]) == {"0", "1"}


def test_netflix_type_from_description_country_year_rating(
    data_dir: Path, registry: Registry
) -> None:
    frame = netflix_titles(data_dir, rows=2000)
    version = train(
        registry,
        "tabular-classification",
        frame,
        name="netflix-type",
        columns={"target": "type"},
        features=["description", "country", "release_year", "rating"],
        algorithm="logistic",
    )
    assert version.manifest["data"]["cleaning"]["columns"]["description"] == "text"
    assert version.manifest["metrics"]["roc_auc"] > 0.75, version.manifest["metrics"]


def test_movielens_mean_rating_regression(data_dir: Path, registry: Registry) -> None:
    frame = movielens_movie_ratings(data_dir)
    assert 1000 < len(frame) < 1682 and frame["mean_rating"].between(1, 5).all()
    version = train(
        registry,
        "tabular-regression",
        frame,
        name="movie-rating",
        columns={"target": "mean_rating"},
        algorithm="ridge",
    )
    metrics = version.manifest["metrics"]
    assert metrics["r2"] > 0.2 and metrics["rmse"] < 0.6, metrics
