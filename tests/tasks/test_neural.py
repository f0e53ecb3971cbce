"""Neural text classifiers: TextCNN, bidirectional GRU, fine-tuned MiniLM (tiny settings)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from limelight.data.datasets import rt_polarity
from limelight.errors import InvalidInput
from limelight.registry import Registry
from limelight.runtime import load
from limelight.tasks.text_classification.algorithms import ALGORITHMS
from limelight.tasks.text_classification.neural.serving import OnnxTextClassifier
from limelight.training import train
from tests.conftest import LiveServer

COLUMNS = {"text": "review", "target": "sentiment"}

# Small enough to train in seconds on two shared cores.
TINY: dict[str, dict[str, Any]] = {
    "textcnn": {
        "embeddings": "scratch",
        "dim": 32,
        "filters": 16,
        "epochs": 4,
        "batch_size": 16,
        "lr": 5e-3,
    },
    "gru": {
        "embeddings": "scratch",
        "dim": 32,
        "hidden": 32,
        "epochs": 4,
        "batch_size": 16,
        "lr": 5e-3,
    },
    "minilm-finetune": {"epochs": 1, "batch_size": 16, "lr": 1e-4, "max_len": 48},
}
# One short epoch on a slice of Rotten Tomatoes, MiniLM word pieces where the net allows it.
REAL: dict[str, dict[str, Any]] = {
    "textcnn": {"embeddings": "minilm", "filters": 32, "epochs": 1, "batch_size": 32},
    "gru": {"embeddings": "minilm", "hidden": 32, "epochs": 1, "batch_size": 32},
    "minilm-finetune": {"epochs": 1, "batch_size": 16, "lr": 1e-4, "max_len": 40},
}
REAL_ROWS = {"textcnn": 2000, "gru": 2000, "minilm-finetune": 400}


class Recorder:
    def __init__(self) -> None:
        self.stages: list[str] = []
        self.logs: list[str] = []
        self.steps = 0.0

    def stage(self, description: str, total: float | None = None) -> None:
        self.stages.append(description)

    def advance(self, amount: float = 1) -> None:
        self.steps += amount

    def log(self, message: str) -> None:
        self.logs.append(message)


def fit(name: str, texts: list[str], labels: list[str], **params: Any) -> Any:
    return ALGORITHMS[name](**params).build(7).fit(texts, labels, progress=Recorder())


@pytest.mark.parametrize("name", sorted(TINY))
def test_trains_on_generated_reviews_and_round_trips_through_the_registry(
    registry: Registry, review_frame: pd.DataFrame, name: str
) -> None:
    progress = Recorder()
    version = train(
        registry,
        "text-classification",
        review_frame,
        name=f"n-{name}",
        columns=COLUMNS,
        algorithm=name,
        params={name: TINY[name]},
        progress=progress,
    )
    manifest = version.manifest
    assert version.algorithm == name
    assert manifest["data"]["saved_by"] == name
    assert manifest["data"]["artifact_format"] == "onnx"
    assert manifest["selection"]["refit"].startswith("none")
    assert {"model.onnx", "config.json"} <= {Path(f).name for f in manifest["artifact"]["files"]}
    assert manifest["metrics"]["accuracy"] > 0.6  # chance is 0.5
    assert any("epoch 1/" in s for s in progress.stages)
    assert any("validation macro-F1" in line for line in progress.logs)

    model = load(registry, version.ref)
    assert isinstance(model.predictor.estimator, OnnxTextClassifier)  # type: ignore[attr-defined]
    out = model.predict(["I loved every minute of this film", "What a dull movie"])
    assert [o["label"] for o in out] == ["positive", "negative"]
    for o in out:
        assert sum(o["scores"].values()) == pytest.approx(1, abs=1e-4)


@pytest.fixture(scope="module")
def rt_split(data_dir: Path) -> tuple[list[str], list[str], list[str], list[str]]:
    frame = rt_polarity(data_dir)
    train_part, test_part = train_test_split(
        frame, test_size=0.1, stratify=frame["label"], random_state=42
    )
    return (
        train_part["text"].tolist(),
        train_part["label"].tolist(),
        test_part["text"].tolist()[:400],
        test_part["label"].tolist()[:400],
    )


@pytest.mark.parametrize("name", sorted(REAL))
def test_one_epoch_on_rotten_tomatoes_beats_chance_and_onnx_matches_torch(
    rt_split: tuple[list[str], list[str], list[str], list[str]], tmp_path: Path, name: str
) -> None:
    x_train, y_train, x_test, y_test = rt_split
    rows = REAL_ROWS[name]
    estimator = fit(name, x_train[:rows], y_train[:rows], **REAL[name])
    torch_proba = estimator.predict_proba(x_test)
    accuracy = float(np.mean(estimator.classes_[torch_proba.argmax(1)] == np.asarray(y_test)))
    assert accuracy > 0.58, accuracy  # chance is 0.5

    estimator.save(tmp_path)
    served = ALGORITHMS[name].load(tmp_path)
    onnx_proba = served.predict_proba(x_test)
    assert onnx_proba.shape == torch_proba.shape
    assert float(np.abs(onnx_proba - torch_proba).max()) < 1e-4
    # a text scores the same alone as inside a padded batch
    alone = served.predict_proba([x_test[3]])
    assert float(np.abs(alone[0] - onnx_proba[3]).max()) < 1e-5


def test_early_stopping_when_validation_stops_improving(review_frame: pd.DataFrame) -> None:
    texts, labels = review_frame["review"].tolist(), review_frame["sentiment"].tolist()
    estimator = fit(
        "textcnn", texts, labels, **{**TINY["textcnn"], "epochs": 20, "lr": 0.0, "patience": 2}
    )
    report = estimator.report_
    assert report.stopped == "early-stopping"
    assert report.epochs_run == 3  # the first epoch is the best; two more without progress
    assert [h["epoch"] for h in report.history] == [1, 2, 3]


def test_wall_clock_budget_is_respected(review_frame: pd.DataFrame) -> None:
    texts, labels = review_frame["review"].tolist(), review_frame["sentiment"].tolist()
    estimator = fit("gru", texts, labels, **{**TINY["gru"], "epochs": 50, "max_seconds": 0.0})
    report = estimator.report_
    assert report.stopped == "budget"
    assert report.steps == 1 and report.epochs_run < 1
    assert estimator.predict_proba(["fine"]).shape == (1, 2)  # the best weights seen are kept


def test_same_seed_same_model(review_frame: pd.DataFrame) -> None:
    texts, labels = review_frame["review"].tolist(), review_frame["sentiment"].tolist()
    a = fit("textcnn", texts, labels, **TINY["textcnn"]).predict_proba(texts[:20])
    b = fit("textcnn", texts, labels, **TINY["textcnn"]).predict_proba(texts[:20])
    assert np.array_equal(a, b)


def test_bad_hyperparameters_are_a_clear_error(
    registry: Registry, review_frame: pd.DataFrame
) -> None:
    with pytest.raises(InvalidInput, match="embeddings must be one of minilm, scratch"):
        train(
            registry,
            "text-classification",
            review_frame,
            name="bad",
            columns=COLUMNS,
            algorithm="textcnn",
            params={"textcnn": {"embeddings": "glove"}},
        )
    assert registry.list_models() == []


def test_a_damaged_config_is_refused(review_frame: pd.DataFrame, tmp_path: Path) -> None:
    texts, labels = review_frame["review"].tolist(), review_frame["sentiment"].tolist()
    fit("textcnn", texts, labels, **{**TINY["textcnn"], "epochs": 1}).save(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, "format": "other"}))
    from limelight.errors import ModelLoadError

    with pytest.raises(ModelLoadError, match=r"config\.json"):
        OnnxTextClassifier(tmp_path)


# The second and third texts hold word pieces the generated reviews never use: with MiniLM's
# table only the seen rows are trained (the compact table) and the full table is exported.
SERVED_TEXTS = [
    "a wonderful, moving film",
    "boring and far too long",
    "Zanzibar's quokkas juggle marmalade",
]


@pytest.mark.e2e
@pytest.mark.parametrize("embeddings", ["scratch", "minilm"])
def test_a_model_trained_here_serves_in_another_process(
    registry: Registry,
    review_frame: pd.DataFrame,
    live_server: Callable[..., LiveServer],
    embeddings: str,
) -> None:
    version = train(
        registry,
        "text-classification",
        review_frame,
        name="cnn-sentiment",
        columns=COLUMNS,
        algorithm="textcnn",
        params={"textcnn": {**TINY["textcnn"], "embeddings": embeddings}},
        alias="production",
    )
    here = load(registry, version.ref).predict(SERVED_TEXTS)
    server = live_server()
    answer = httpx.post(
        f"{server.url}/v1/models/cnn-sentiment@production/predict",
        json={"instances": [{"text": t} for t in SERVED_TEXTS]},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    predictions = answer.json()["predictions"]
    assert [p["label"] for p in predictions] == [h["label"] for h in here]
    for served, local in zip(predictions, here, strict=True):
        for label, score in local["scores"].items():
            assert served["scores"][label] == pytest.approx(score, abs=1e-5)
