"""`limelight demo` end to end, as `make demo` runs it: generate the sample data, train the four
demo models and register MiniLM, serve on a loopback port, and answer with the key it prints."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx
import pandas as pd
import pytest

from tests.conftest import free_port, wait_ready

pytestmark = pytest.mark.e2e


def start_demo(
    home: Path, port: int, timeout: float = 300.0
) -> tuple[subprocess.Popen[bytes], str]:
    """The demo running in its own process; returns it and the API key it printed."""
    log = home.parent / "demo.log"
    env = {**os.environ, "LIMELIGHT_HOME": str(home)}
    cmd = [sys.executable, "-m", "limelight", "demo", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as handle:
        process = subprocess.Popen(cmd, env=env, stdout=handle, stderr=subprocess.STDOUT)
    wait_ready(process, f"http://127.0.0.1:{port}", log, timeout)
    found = re.search(r"stored hashed\): (ll_\S+)", log.read_text())
    assert found, log.read_text()
    return process, found.group(1)


def test_demo_trains_every_model_and_serves_them(tmp_path: Path) -> None:
    home, port = tmp_path / "home", free_port()
    process, key = start_demo(home, port)
    try:
        url = f"http://127.0.0.1:{port}"
        log = (tmp_path / "demo.log").read_text()
        for name in ("review-sentiment", "comment-moderation", "movie-recs", "ad-clicks"):
            assert f"{name}: version 1" in log
        assert f"curl -X POST {url}/v1/models/movie-recs/recommend" in log
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as client:
            assert httpx.get(f"{url}/v1/models").status_code == 401
            listed = {m["name"] for m in client.get("/v1/models").json()}
            assert {"review-sentiment", "comment-moderation", "movie-recs", "ad-clicks"} <= listed
            assert "minilm" in listed

            answer = client.post(
                "/v1/models/review-sentiment/predict", json={"text": "What a wonderful film"}
            )
            assert answer.status_code == 200 and answer.json()["label"] == "positive"
            answer = client.post(
                "/v1/models/comment-moderation/predict",
                json={"text": "You stupid jerk, delete your account"},
            )
            assert answer.json()["label"] == "toxic"

            # Recommendations follow each viewer's taste in the generated log: most of the top 5
            # share a genre with the two genres the viewer watched most, none was seen already.
            demo = home / "demo"
            viewing = pd.read_csv(demo / "viewing.csv", dtype={"user_id": str, "item_id": str})
            genres = pd.read_csv(demo / "titles.csv", dtype=str).set_index("item_id")["genres"]
            for user in ("u1", "u2", "u3", "u4", "u5"):
                seen = viewing.loc[viewing["user_id"] == user, "item_id"]
                counts = Counter(g for item in seen for g in genres[item].split("|"))
                liked = {g for g, _ in counts.most_common(2)}
                answer = client.post(
                    "/v1/models/movie-recs/recommend", json={"user_id": user, "k": 5}
                )
                assert answer.status_code == 200, answer.text
                body = answer.json()
                assert body["strategy"] == "personalized"
                items = [i["item_id"] for i in body["items"]]
                assert len(items) == 5 and not set(items) & set(seen)
                matching = sum(bool(set(genres[i].split("|")) & liked) for i in items)
                assert matching >= 3, (user, liked, [genres[i] for i in items])

            answer = client.post(
                "/v1/models/movie-recs/recommend", json={"user_id": "someone-new", "k": 3}
            )
            assert answer.json()["strategy"] == "popular"

            impression = {
                "placement": "pre-roll",
                "device": "tv",
                "hour": 21,
                "ad_category": "Comedy",
                "favourite_genre": "Comedy",
                "age": 30,
                "ad_seconds": 15,
            }
            likely = client.post("/v1/models/ad-clicks/predict", json={"features": impression})
            unlikely = client.post(
                "/v1/models/ad-clicks/predict",
                json={
                    "features": {
                        **impression,
                        "placement": "banner",
                        "hour": 4,
                        "favourite_genre": "Documentary",
                        "ad_seconds": 60,
                    }
                },
            )
            assert likely.status_code == 200 and unlikely.status_code == 200
            assert likely.json()["scores"]["1"] > unlikely.json()["scores"]["1"]
    finally:
        process.terminate()
        process.wait(timeout=30)
