"""`limelight train --param ALGORITHM.NAME=VALUE` and `--max-dense-items`."""

from __future__ import annotations

from pathlib import Path

import pytest

from limelight.cli import main
from limelight.cli.commands import parse_params
from limelight.demo.data import reviews
from limelight.registry import Registry
from tests.tasks.recommendation.synthetic import interactions


def run(capsys: pytest.CaptureFixture[str], home: Path, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["--home", str(home), *args])
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip() and "━" not in line]
    assert "Traceback" not in captured.err
    return code, lines[-1] if lines else ""


@pytest.fixture
def ratings(tmp_path: Path) -> list[str]:
    path = tmp_path / "ratings.csv"
    interactions().to_csv(path, index=False)
    return ["train", "recommendation", str(path), "--user", "user_id", "--item", "item_id"]


@pytest.fixture
def texts(tmp_path: Path) -> list[str]:
    path = tmp_path / "reviews.csv"
    reviews(rows=200, seed=1).to_csv(path, index=False)
    return ["train", "text-classification", str(path), "--text", "review", "--target", "sentiment"]


def test_values_are_read_as_json_else_kept_as_text() -> None:
    assert parse_params(
        ["time-ease.l2=150", "time-ease.dropout=0.5", "textcnn.embeddings=scratch", "a.b=null"]
    ) == {
        "time-ease": {"l2": 150, "dropout": 0.5},
        "textcnn": {"embeddings": "scratch"},
        "a": {"b": None},
    }


def test_params_reach_the_model(
    capsys: pytest.CaptureFixture[str],
    home: Path,
    registry: Registry,
    ratings: list[str],
    texts: list[str],
) -> None:
    args = [*ratings, "--time", "ts", "-n", "recs", "-a", "time-ease"]
    code, _ = run(capsys, home, *args, "-p", "time-ease.l2=20", "--param", "time-ease.dropout=0.5")
    assert code == 0
    code, _ = run(
        capsys, home, *texts, "-n", "reviews", "-a", "tfidf-logreg", "-p", "tfidf-logreg.C=2"
    )
    assert code == 0
    params = registry.resolve("recs").manifest["params"]
    assert params["l2"] == 20 and params["dropout"] == 0.5
    assert registry.resolve("reviews").manifest["params"]["C"] == 2
    # parameters for an algorithm this run does not train are reported, not silently dropped
    capsys.readouterr()
    args = [*texts, "-n", "reviews", "-a", "naive-bayes", "-p", "tfidf-logreg.C=2"]
    assert main(["--home", str(home), *args]) == 0
    assert "parameters for tfidf-logreg are not used" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("C=2", "--param needs ALGORITHM.NAME=VALUE"),
        ("tfidf-logreg.C", "--param needs ALGORITHM.NAME=VALUE"),
        ("nope.C=2", "parameters for unknown algorithm 'nope' of text-classification"),
        ("tfidf-logreg.nope=1", "tfidf-logreg has no parameter 'nope'; its parameters: C"),
        ("tfidf-logreg.C=abc", "could not be trained"),
    ],
)
def test_bad_params_are_one_line_and_register_nothing(
    capsys: pytest.CaptureFixture[str],
    home: Path,
    registry: Registry,
    texts: list[str],
    param: str,
    message: str,
) -> None:
    code, last = run(capsys, home, *texts, "-n", "reviews", "-a", "tfidf-logreg", "-p", param)
    assert code != 0 and last.startswith("error: ") and message in last, last
    assert registry.list_models() == []


def test_max_dense_items_limits_the_item_item_models(
    capsys: pytest.CaptureFixture[str], home: Path, registry: Registry, ratings: list[str]
) -> None:
    code, last = run(capsys, home, *ratings, "-n", "recs", "-a", "ease", "--max-dense-items", "10")
    assert code != 0 and "80 items exceed max_dense_items=10" in last, last
    for bad, message in (
        ("0", "max_dense_items must be a whole number >= 1 (or None)"),
        ("x", "--max-dense-items needs a whole number or none"),
        ("2.5", "--max-dense-items needs a whole number or none"),
    ):
        code, last = run(capsys, home, *ratings, "-n", "recs", "--max-dense-items", bad)
        assert code != 0 and message in last, last
    assert registry.list_models() == []
    code, _ = run(capsys, home, *ratings, "-n", "recs", "-a", "ease", "--max-dense-items", "none")
    assert code == 0
    manifest = registry.resolve("recs").manifest
    assert manifest["selection"]["max_dense_items"] is None
