"""Tabular tasks: column inference, preprocessing at prediction time, every algorithm end to end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from limelight.errors import DataError, InvalidInput
from limelight.registry import Registry
from limelight.runtime import LoadedModel, load
from limelight.settings import Settings
from limelight.tasks.tabular.algorithms import CLASSIFIERS, REGRESSORS
from limelight.tasks.tabular.cleaning import clean_tabular
from limelight.tasks.tabular.columns import CATEGORICAL, ONEHOT, TARGET, TEXT, infer_kind
from limelight.tasks.tabular.preprocessing import build_preprocessor, source_columns
from limelight.training import train
from tests.tasks.tabular_data import GOOD, classification, fitted, regression


def test_column_kinds_are_inferred_and_reported() -> None:
    typed, specs, report = clean_tabular(
        classification().assign(const=1, show_id=[f"s{i}" for i in range(300)]),
        "clicked",
        None,
        regression=False,
    )
    kinds = {s.name: (s.kind, s.encoding) for s in specs}
    assert kinds["age"] == ("numeric", "")
    assert kinds["premium"] == ("boolean", "")
    assert kinds["country"] == (CATEGORICAL, ONEHOT)
    assert kinds["user"] == (CATEGORICAL, TARGET)
    assert kinds["bio"] == (TEXT, "")
    assert report.dropped_columns == {
        "const": "constant",
        "show_id": "an identifier (a different value in every row)",
    }
    assert report.missing_values["age"] == 24
    assert set(typed.columns) == {*kinds, "label"}
    assert infer_kind(pd.Series(["a b c d e f"] * 5 + ["x y z w v u"], name="t")).kind == (
        CATEGORICAL  # long but repeated strings are categories, not text
    )


def test_cleaning_refuses_bad_targets() -> None:
    frame = classification()
    with pytest.raises(DataError, match="fewer than 2 classes"):
        clean_tabular(frame.assign(clicked="yes"), "clicked", None, regression=False)
    with pytest.raises(DataError, match="unknown target"):
        clean_tabular(frame, "nope", None, regression=False)
    reg = regression()
    reg["watch"] = reg["watch"].astype(object)
    reg.loc[:9, "watch"] = ["x", None, np.inf, *range(7)]
    _typed, _specs, report = clean_tabular(reg, "watch", None, regression=True)
    assert report.missing_target_dropped == 1
    assert report.invalid_target_dropped == 2


def test_source_columns_map_every_encoded_column_back() -> None:
    typed, specs, _ = clean_tabular(classification(), "clicked", None, regression=False)
    prep = build_preprocessor(specs, seed=0)
    x = prep.fit_transform(typed[[s.name for s in specs]], typed["label"].to_numpy(str))
    sources = source_columns(prep)
    assert len(sources) == x.shape[1]
    assert set(sources) == {s.name for s in specs}
    assert sources.count("age") == 2  # the value and its missing-indicator


@pytest.fixture(scope="module")
def logistic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadedModel]:
    registry = Registry.from_settings(Settings(home=tmp_path_factory.mktemp("home")))
    train(
        registry,
        "tabular-classification",
        classification(),
        name="clicks",
        columns={"target": "clicked"},
        algorithm="logistic",
    )
    yield load(registry, "clicks")
    registry.close()


def test_unseen_categories_missing_values_and_column_order(logistic: LoadedModel) -> None:
    model = logistic
    base = model.predict([{"features": GOOD}])[0]
    reordered = dict(reversed(list(GOOD.items())))
    assert model.predict([reordered])[0] == base
    unseen = {**GOOD, "country": "Atlantis", "user": "never-seen"}
    nulls = dict.fromkeys(GOOD)
    for features in (unseen, nulls, {**GOOD, "country": 7, "bio": ""}):
        out = model.predict([{"features": features}])[0]
        assert out["label"] in ("yes", "no")
        assert abs(sum(out["scores"].values()) - 1) < 1e-4


@pytest.mark.parametrize(
    ("features", "field", "words"),
    [
        ({**GOOD, "age": "30"}, "inputs[0].features.age", "expected a number"),
        ({**GOOD, "age": True}, "inputs[0].features.age", "expected a number"),
        ({**GOOD, "age": float("nan")}, "inputs[0].features.age", "finite"),
        ({**GOOD, "age": float("inf")}, "inputs[0].features.age", "finite"),
        ({**GOOD, "premium": "yes"}, "inputs[0].features.premium", "true, false or null"),
        ({**GOOD, "country": 2.5}, "inputs[0].features.country", "category"),
        ({**GOOD, "bio": ["x"]}, "inputs[0].features.bio", "string"),
        ({**GOOD, "shoe_size": 44}, "inputs[0].features.shoe_size", "unknown field"),
        ({k: v for k, v in GOOD.items() if k != "user"}, "inputs[0].features.user", "missing"),
    ],
)
def test_bad_inputs_name_the_field(
    logistic: LoadedModel, features: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(InvalidInput, match=words) as caught:
        logistic.predict([{"features": features}])
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("task", "name", "frame", "target"),
    [
        *[("tabular-classification", n, classification(160), "clicked") for n in CLASSIFIERS],
        *[("tabular-regression", n, regression(160), "watch") for n in REGRESSORS],
    ],
)
def test_every_algorithm_trains_saves_loads_and_serves(
    tmp_path: Path, task: str, name: str, frame: pd.DataFrame, target: str
) -> None:
    """Train, write the artifact, load it back through the skops allow-list, serve."""
    model = fitted(task, frame, target, name, tmp_path)
    assert model.info.algorithm == name
    metrics = model.manifest["metrics"]
    if task == "tabular-regression":
        assert {"rmse", "mae", "r2"} <= set(metrics)
        assert metrics["rmse"] < frame[target].std() * 1.5
    else:
        assert {"accuracy", "roc_auc", "log_loss"} <= set(metrics)
    outputs = model.predict([{"features": GOOD}, {"features": dict.fromkeys(GOOD)}])
    assert len(outputs) == 2
    key = "value" if task == "tabular-regression" else "label"
    assert all(key in out for out in outputs)
    explained = model.explain([{"features": GOOD}], top_k=3)[0]
    assert len(explained["contributions"]) == 3
    assert explained["prediction"] == outputs[0]


def test_features_option_and_target_in_features(registry: Registry) -> None:
    version = train(
        registry,
        "tabular-classification",
        classification(),
        name="few",
        columns={"target": "clicked"},
        features=["age", "country"],
        algorithm="decision-tree",
    )
    assert [f["name"] for f in version.manifest["data"]["features"]] == ["age", "country"]
    model = load(registry, "few")
    assert model.predict([{"features": {"age": 20, "country": "FR"}}])[0]["label"]
    with pytest.raises(DataError, match="cannot also be a feature"):
        train(
            registry,
            "tabular-classification",
            classification(),
            name="few",
            columns={"target": "clicked"},
            features=["age", "clicked"],
        )
    assert len(registry.list_versions("few")) == 1  # the failed run stored nothing
