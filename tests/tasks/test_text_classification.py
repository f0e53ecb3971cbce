from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from limelight.errors import DataError, InvalidInput
from limelight.registry import Registry
from limelight.runtime import load
from limelight.tasks import TASKS, NullProgress, TrainOptions, get_task
from limelight.tasks.metrics import classification_metrics
from limelight.tasks.text_classification.algorithms import ALGORITHMS
from limelight.training import train
from tests.conftest import train_tiny

COLUMNS = {"text": "review", "target": "sentiment"}


def test_registry_of_tasks_and_algorithms() -> None:
    assert "text-classification" in TASKS
    task = get_task("text-classification")
    # auto tries every algorithm but fine-tuned MiniLM, which joins by name
    assert set(task.default_candidates) == set(ALGORITHMS) - {"minilm-finetune"}
    assert task.candidates("auto,minilm-finetune") == [*task.default_candidates, "minilm-finetune"]
    assert task.candidates("naive-bayes, auto") == [
        "naive-bayes",
        *(n for n in task.default_candidates if n != "naive-bayes"),
    ]
    with pytest.raises(InvalidInput, match="unknown task"):
        get_task("nope")
    with pytest.raises(InvalidInput, match="unknown algorithm 'svm'"):
        task.candidates("svm")
    for cls in ALGORITHMS.values():
        assert cls.name and cls.description
        assert cls().get_params()  # hyperparameters are explicit keyword arguments


# the neural algorithms (ONNX artifacts) have their own, tiny-sized tests in test_neural.py
@pytest.mark.parametrize(
    "algorithm", sorted(n for n, c in ALGORITHMS.items() if c.artifact_format == "skops")
)
def test_every_algorithm_trains_and_beats_chance(
    registry: Registry, review_frame: pd.DataFrame, algorithm: str
) -> None:
    version = train(
        registry,
        "text-classification",
        review_frame,
        name=f"m-{algorithm}",
        columns=COLUMNS,
        algorithm=algorithm,
    )
    assert version.algorithm == algorithm
    assert version.manifest["metrics"]["accuracy"] > 0.75
    model = load(registry, version.ref)
    out = model.predict(["I loved every minute of this film", "What a dull movie"])
    assert [o["label"] for o in out] == ["positive", "negative"]
    for o in out:
        assert sum(o["scores"].values()) == pytest.approx(1, abs=1e-4)


def test_auto_keeps_a_leaderboard_and_a_complete_manifest(
    registry: Registry, review_frame: pd.DataFrame
) -> None:
    version = train(
        registry,
        "text-classification",
        review_frame,
        name="auto",
        columns=COLUMNS,
        algorithm="tfidf-logreg,naive-bayes",
    )
    m = version.manifest
    board = m["leaderboard"]
    assert {row["algorithm"] for row in board} == {"tfidf-logreg", "naive-bayes"}
    assert board[0]["validation_f1_macro"] >= board[1]["validation_f1_macro"]
    assert version.algorithm == board[0]["algorithm"]
    for key in (
        "task",
        "algorithm",
        "params",
        "metrics",
        "input_schema",
        "output_schema",
        "libraries",
        "artifact",
        "created_at",
        "seed",
        "data",
    ):
        assert key in m, key
    assert m["data"]["fingerprint"].startswith("sha256:")
    assert m["data"]["split"]["method"] == "stratified"
    assert m["data"]["cleaning"]["rows_in"] == len(review_frame)
    assert m["libraries"]["scikit-learn"]
    assert len(m["artifact"]["sha256"]) == 64
    for key in (
        "accuracy",
        "precision_macro",
        "recall_macro",
        "f1_macro",
        "roc_auc",
        "log_loss",
        "per_class",
        "confusion_matrix",
    ):
        assert key in m["metrics"], key


def test_same_seed_same_model(registry: Registry) -> None:
    a = train_tiny(registry, name="a", seed=5)
    b = train_tiny(registry, name="b", seed=5)
    assert a.manifest["metrics"] == b.manifest["metrics"]
    assert a.manifest["data"]["fingerprint"] == b.manifest["data"]["fingerprint"]


def test_metrics_are_computed_in_label_order() -> None:
    labels = ["neg", "pos"]
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    y = np.array(["neg", "pos", "pos", "pos"])
    m = classification_metrics(y, proba, labels)
    assert m["accuracy"] == 0.75
    assert m["confusion_matrix"]["matrix"] == [[1, 0], [1, 2]]
    assert m["per_class"]["pos"]["recall"] == pytest.approx(2 / 3)
    assert m["roc_auc"] == 1.0


def test_multiclass(registry: Registry) -> None:
    rows = []
    for label, words in (
        ("horror", "scary blood ghost"),
        ("comedy", "funny laugh joke"),
        ("romance", "love kiss heart"),
    ):
        rows += [
            {"t": f"{w} story number {i}", "y": label} for i in range(20) for w in words.split()
        ]
    version = train(
        registry,
        "text-classification",
        pd.DataFrame(rows),
        name="genre",
        columns={"text": "t", "target": "y"},
        algorithm="tfidf-logreg",
    )
    assert "roc_auc" not in version.manifest["metrics"]
    assert load(registry, "genre").predict(["a ghost with blood"])[0]["label"] == "horror"


def test_missing_role_and_bad_data(registry: Registry, review_frame: pd.DataFrame) -> None:
    with pytest.raises(InvalidInput, match="needs the target column"):
        train(registry, "text-classification", review_frame, name="x", columns={"text": "review"})
    one_class = review_frame.assign(sentiment="positive")
    with pytest.raises(DataError, match="fewer than 2 classes"):
        train(registry, "text-classification", one_class, name="x", columns=COLUMNS)
    tiny = pd.DataFrame(
        {"review": ["a", "b", "c", "d", "e"], "sentiment": ["p", "p", "p", "n", "n"]}
    )
    with pytest.raises(DataError, match="class 'n' has only 2"):
        train(registry, "text-classification", tiny, name="x", columns=COLUMNS)
    assert registry.list_models() == []


def test_failed_training_leaves_the_registry_unchanged(
    registry: Registry, review_frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = train_tiny(registry, name="stable")
    files_before = sorted(p for p in registry.artifacts.root.rglob("*") if p.is_file())
    task = get_task("text-classification")

    def crash(
        self: object, frame: pd.DataFrame, options: TrainOptions, progress: NullProgress
    ) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(type(task), "train", crash)
    with pytest.raises(RuntimeError):
        train_tiny(registry, name="stable")
    monkeypatch.undo()
    with pytest.raises(DataError):
        train(
            registry,
            "text-classification",
            review_frame.assign(sentiment="x"),
            name="stable",
            columns=COLUMNS,
        )
    assert [v.version for v in registry.list_versions("stable")] == [before.version]
    files_after = sorted(p for p in registry.artifacts.root.rglob("*") if p.is_file())
    assert files_after == files_before
    assert not any(registry.artifacts.staging_root.iterdir())


def test_failure_while_writing_the_artifact_leaves_nothing(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    import limelight.tasks.persistence as persistence

    def broken_dump(estimator: object, path: object) -> None:
        raise OSError("no space left on device")

    monkeypatch.setattr(persistence, "dump_sklearn", broken_dump)
    with pytest.raises(OSError):
        train_tiny(registry, name="half")
    assert registry.list_models() == []
    assert not any(p.is_file() for p in registry.artifacts.root.rglob("*"))
