"""End to end: train with the CLI, serve with the real `limelight serve`, forget a user."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from limelight.cli import main
from tests.conftest import LiveServer
from tests.tasks.recommendation.synthetic import interactions

pytestmark = pytest.mark.e2e


def test_cli_train_recommend_and_forget_through_the_real_server(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    live_server: Callable[..., LiveServer],
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LIMELIGHT_HOME", str(home))
    data = tmp_path / "ratings.csv"
    interactions().to_csv(data, index=False)
    args = ["train", "recommendation", str(data), "--user", "user_id", "--item", "item_id"]
    args += ["--rating", "rating", "--time", "ts", "--name", "movie-recs", "-a", "ease"]
    # the ratings weigh the interactions (each user's rating over their mean, square root)
    assert main([*args, "-p", "ease.rating_power=0.5"]) == 0
    capsys.readouterr()
    assert main(["recommend", "movie-recs", "--user", "u0", "--k", "3", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["strategy"] == "personalized" and len(answer["items"]) == 3
    assert main(["similar", "movie-recs", "--item", "i0", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["items"]) == 10
    assert main(["recommend", "movie-recs", "--user", "u0", "--k", "0"]) == 2
    assert "k" in capsys.readouterr().err
    assert main(["train", "recommendation", str(data), "--user", "user_id", "--name", "x"]) == 2
    assert "item" in capsys.readouterr().err
    unrated = ["train", "recommendation", str(data), "--user", "user_id", "--item", "item_id"]
    assert main([*unrated, "--name", "x", "-a", "ease", "-p", "ease.rating_power=0.5"]) == 2
    assert "--rating COLUMN" in capsys.readouterr().err

    server = live_server()
    url = f"{server.url}/v1/models/movie-recs"
    # generous timeouts: CI machines are small and may be busy
    with httpx.Client(base_url=url, timeout=60.0) as http:
        before = http.post("/recommend", json={"user_id": "u0", "k": 5}).json()
        assert before["strategy"] == "personalized"
        assert before["version"] == 1
        assert http.get(url).json()["params"]["rating_power"] == 0.5
        gone = http.delete("/users/u0")
        assert gone.status_code == 200 and gone.json()["interactions_removed"] == 10
        after = http.post("/recommend", json={"user_id": "u0", "k": 5}).json()
        assert after["strategy"] == "popular"
        assert http.delete("/users/u0").status_code == 404
        bad = http.post("/recommend", json={"user_id": "u0", "k": -1})
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "k"
    assert server.stop() == 0
