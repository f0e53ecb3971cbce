"""The command line: the issue's commands, and one clear error line with a non-zero exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from limelight.cli import main
from limelight.demo.data import reviews

# a text-classification training of the reviews file, for the bad-input table
TRAIN = ["train", "text-classification", "{csv}", "--text", "review", "--target", "sentiment"]


@pytest.fixture
def cli_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LIMELIGHT_HOME", str(home))
    return home


@pytest.fixture
def reviews_csv(tmp_path: Path) -> Path:
    path = tmp_path / "reviews.csv"
    reviews(rows=200, seed=1).to_csv(path, index=False)
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_lifecycle(cli_home: Path, reviews_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(2):
        code, out, _ = run(
            capsys,
            "train",
            "text-classification",
            str(reviews_csv),
            "--text",
            "review",
            "--target",
            "sentiment",
            "--name",
            "review-sentiment",
            "--algorithm",
            "tfidf-logreg,naive-bayes",
        )
        assert code == 0
        assert "leaderboard" in out and "accuracy" in out
    assert "registered review-sentiment version 2" in out

    code, out, _ = run(capsys, "models", "list")
    assert code == 0 and "review-sentiment" in out
    code, out, _ = run(capsys, "models", "list", "--json")
    assert json.loads(out)[0]["latest_version"] == 2

    code, _, err = run(
        capsys, "models", "promote", "review-sentiment", "1", "--alias", "production"
    )
    assert code == 0 and "to version 1" in err
    code, out, _ = run(capsys, "models", "show", "review-sentiment")
    assert code == 0 and "version 1 (production)" in out and "confusion matrix" in out
    code, out, _ = run(capsys, "models", "show", "review-sentiment@production", "--json")
    assert json.loads(out)["version"] == 1

    code, out, _ = run(capsys, "predict", "review-sentiment", "--text", "What a wonderful film")
    assert code == 0
    answer = json.loads(out)
    assert answer["label"] == "positive" and answer["version"] == 1

    code, out, _ = run(capsys, "models", "history", "review-sentiment")
    assert "production: None -> 1" in out

    code, out, _ = run(capsys, "algorithms")
    assert code == 0 and "tfidf-logreg" in out and "minilm-logreg" in out

    code, _, err = run(capsys, "models", "delete", "review-sentiment/versions/2", "--yes")
    assert code == 0
    code, _, err = run(capsys, "models", "delete", "review-sentiment/versions/1", "--yes")
    assert code != 0 and "production" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [
                "train",
                "text-classification",
                "missing.csv",
                "--text",
                "review",
                "--target",
                "sentiment",
                "--name",
                "m",
            ],
            "data file not found",
        ),
        (
            [
                "train",
                "text-classification",
                "{csv}",
                "--text",
                "body",
                "--target",
                "sentiment",
                "--name",
                "m",
            ],
            "unknown column 'body'",
        ),
        (
            ["train", "text-classification", "{csv}", "--text", "review", "--name", "m"],
            "needs the target column",
        ),
        (
            [*TRAIN, "--name", "m", "--algorithm", "svm"],
            "unknown algorithm 'svm'",
        ),
        (
            [
                "train",
                "sentiment",
                "{csv}",
                "--text",
                "review",
                "--target",
                "sentiment",
                "--name",
                "m",
            ],
            "unknown task",
        ),
        (
            [*TRAIN, "--name", "bad name"],
            "invalid model name",
        ),
        (
            [*TRAIN, "--name", "r", "--seed", "-1"],
            "seed must be a whole number from 0",
        ),
        (["predict", "nope", "--text", "hi"], "no model named 'nope'"),
        (["predict", "nope"], "nothing to predict"),
        (["models", "show", "nope"], "no model named"),
        (["models", "promote", "nope", "1"], "no model named"),
        (["models", "delete", "nope"], "no model named 'nope'"),  # before asking to confirm
        (["models", "promote", "nope", "x"], "Invalid value for 'version'"),
        (["serve", "--host", "0.0.0.0"], "refusing to serve"),
        (["serve", "--port", "99999"], "Invalid value for '--port'"),
        (["serve", "--port", "0"], "Invalid value for '--port'"),
        (["demo", "--port", "70000"], "Invalid value for '--port'"),
        (["nonsense"], "No such command"),
        (["algorithms", "nope"], "unknown task"),
        (["register", "embedding", "--name", "e", "--precision", "fp16"], "precision must be"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(
    cli_home: Path,
    reviews_csv: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    args = [a.replace("{csv}", str(reviews_csv)) for a in args]
    code, _, err = run(capsys, *args)
    assert code != 0
    lines = [line for line in err.splitlines() if line.strip() and "━" not in line]
    assert lines[-1].startswith("error: ") and message in lines[-1], err
    assert "Traceback" not in err


def test_installed_entry_point_exit_code(cli_home: Path) -> None:
    env = {**os.environ, "LIMELIGHT_HOME": str(cli_home)}
    done = subprocess.run(
        [sys.executable, "-m", "limelight", "predict", "nope", "--text", "x"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: no model named 'nope'; see `limelight models list`"
    ]


def test_recommend_says_what_matched_nothing(
    cli_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.tasks.recommendation.synthetic import catalog, interactions

    log, items = tmp_path / "ratings.csv", tmp_path / "items.csv"
    interactions().to_csv(log, index=False)
    catalog().to_csv(items, index=False)
    args = ["train", "recommendation", str(log), "--user", "user_id", "--item", "item_id"]
    assert run(capsys, *args, "--items", str(items), "--name", "shelf", "-a", "ease")[0] == 0
    code, out, _ = run(
        capsys,
        *("recommend", "shelf", "--user", "u0", "--k", "3", "--recent", "zzz"),
        *("--filter", '{"genres": ["Sci Fi", "sci-fi"]}'),
    )
    assert code == 0
    assert "not known to the model (ignored): zzz" in out
    assert "no item has genres 'Sci Fi'" in out
    code, out, _ = run(capsys, "recommend", "shelf", "--user", "u0", "--filter", '{"year": 1991}')
    assert code == 0 and "no item has" not in out
