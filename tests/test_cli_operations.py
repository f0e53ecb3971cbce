"""CLI: `deploy` (apply, set, list, export, delete), `score`, and a locked registry."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from limelight.cli import main
from limelight.registry import Registry
from limelight.settings import Settings
from tests.conftest import train_tiny


@pytest.fixture
def cli_home(home: Path, monkeypatch: pytest.MonkeyPatch, registry: Registry) -> Path:
    monkeypatch.setenv("LIMELIGHT_HOME", str(home))
    train_tiny(registry, alias="production")
    train_tiny(registry, alias="candidate")
    return home


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_deploy_commands(
    cli_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "limelight.yaml"
    path.write_text("endpoints:\n  reviews:\n    model: review-sentiment@production\n")
    assert run(capsys, "deploy", "apply", str(path))[2].strip() == "created reviews"
    code, _, err = run(
        capsys,
        "deploy",
        "set",
        "canary",
        "--split",
        "review-sentiment@production=90",
        "--split",
        "review-sentiment@candidate=10",
        "--sticky",
        "header:X-User-Id",
    )
    assert code == 0 and "created endpoint canary" in err
    code, out, _ = run(capsys, "deploy", "list", "--json")
    listed = json.loads(out)
    assert listed["canary"]["split"][1] == {"model": "review-sentiment@candidate", "weight": 10.0}
    code, out, _ = run(capsys, "deploy", "export")
    assert "review-sentiment@candidate" in out and "sticky: header:X-User-Id" in out
    code, _, err = run(capsys, "deploy", "set", "bad", "--model", "nope@production")
    assert code == 2 and err.startswith("error: no model named 'nope'")
    code, _, err = run(capsys, "deploy", "set", "bad", "--split", "oops")
    assert code == 2 and "REF=WEIGHT" in err
    code, _, err = run(capsys, "deploy", "apply", str(tmp_path / "missing.yaml"))
    assert code == 2 and err.count("\n") == 1
    assert run(capsys, "deploy", "apply", str(path), "--prune")[2].strip() == "removed canary"
    assert run(capsys, "deploy", "delete", "reviews")[0] == 0
    code, _, err = run(capsys, "deploy", "delete", "reviews")
    assert code == 2 and "no endpoint named 'reviews'" in err


def test_score_command(cli_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.csv"
    pd.DataFrame({"review": ["What a wonderful film", "A dull mess"] * 50}).to_csv(
        source, index=False
    )
    out_path = tmp_path / "scored.parquet"
    code, out, err = run(
        capsys,
        "score",
        "review-sentiment",
        str(source),
        "-o",
        str(out_path),
        "--column",
        "text=review",
        "--chunk-size",
        "30",
    )
    assert code == 0, err
    assert json.loads(out) == {
        "output": str(out_path),
        "rows": 100,
        "model": "review-sentiment",
        "version": 1,
    }
    assert "scored 100 rows" in err
    assert list(pq.read_table(out_path).to_pandas()["label"][:2]) == ["positive", "negative"]
    code, _, err = run(capsys, "score", "review-sentiment", str(source), "-o", str(out_path))
    assert code == 2 and "no column 'text'" in err and err.count("\n") == 1
    code, _, err = run(
        capsys, "score", "review-sentiment", str(source), "-o", str(out_path), "--k", "3"
    )
    assert code == 2 and "take no --k" in err


def test_locked_registry_is_one_clear_error(
    cli_home: Path,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LIMELIGHT_REGISTRY_BUSY_TIMEOUT_SECONDS", "0.2")
    holder = sqlite3.connect(str(settings.home / "registry.db"), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code, _, err = run(capsys, "models", "promote", "review-sentiment", "2")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 2
    assert err.startswith("error: the registry database is busy") and err.count("\n") == 1
    assert run(capsys, "models", "promote", "review-sentiment", "2")[0] == 0
