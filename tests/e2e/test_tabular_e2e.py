"""End to end: the CLI trains a tabular model with --target/--features/--budget, shows its
leaderboard, writes its report and explains; the real `limelight serve` predicts and explains
`{"features": ...}` bodies."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from limelight.cli import main
from tests.conftest import LiveServer
from tests.tasks.tabular_data import GOOD, classification

pytestmark = pytest.mark.e2e


def test_cli_and_live_server(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    live_server: Callable[..., LiveServer],
) -> None:
    monkeypatch.setenv("LIMELIGHT_HOME", str(home))
    data = tmp_path / "clicks.csv"
    classification(240).to_csv(data, index=False)
    code = main(
        [
            "train",
            "tabular-classification",
            str(data),
            "--target",
            "clicked",
            "--features",
            "age,country,user,premium,bio",
            "--algorithm",
            "logistic,decision-tree",
            "--budget",
            "6",
            "--name",
            "clicks",
            "--alias",
            "production",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "leaderboard" in out and "roc_auc" in out and "registered clicks" in out

    assert main(["models", "show", "clicks"]) == 0
    shown = capsys.readouterr().out
    assert "trials" in shown and "pruned" in shown and "logistic" in shown
    assert "decision-tree" in shown and "limelight report" in shown
    assert main(["models", "show", "clicks", "--json"]) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert sum(r["trials"] + r["pruned"] + r["failed"] for r in manifest["leaderboard"]) <= 6

    report = tmp_path / "report.html"
    assert main(["report", "clicks", "-o", str(report)]) == 0
    assert "data:image/png;base64," in report.read_text()

    assert main(["explain", "clicks", "--json", json.dumps({"features": GOOD}), "--top", "3"]) == 0
    explained = json.loads(capsys.readouterr().out)
    assert len(explained["contributions"]) == 3 and explained["model"] == "clicks"

    assert main(["explain", "clicks", "--json", '{"features": {"age": "old"}}']) == 2
    assert "error: " in capsys.readouterr().err
    assert (
        main(
            [
                "train",
                "tabular-classification",
                str(data),
                "--target",
                "clicked",
                "--name",
                "x",
                "--budget",
                "soon",
            ]
        )
        == 2
    )
    assert "budget" in capsys.readouterr().err

    server = live_server()
    answer = httpx.post(
        f"{server.url}/v1/models/clicks/predict", content=json.dumps({"features": GOOD})
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["label"] in ("yes", "no")
    bad = httpx.post(f"{server.url}/v1/models/clicks/predict", json={"features": {"age": 3}})
    assert bad.status_code == 422 and bad.json()["error"]["field"].startswith("features.")
    why = httpx.post(f"{server.url}/v1/models/clicks/explain", json={"features": GOOD})
    assert why.status_code == 200 and why.json()["contributions"]
    page = httpx.get(f"{server.url}/v1/models/clicks/report")
    assert page.status_code == 200 and page.text.startswith("<!doctype html>")
    assert server.stop() == 0
