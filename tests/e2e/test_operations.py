"""End to end with the real `limelight serve`: ten hot swaps under continuous load with zero
failed requests, SIGTERM draining in-flight requests within a configurable grace period, and a
training run killed with SIGKILL leaving nothing behind."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from limelight.demo.data import reviews
from limelight.registry import Registry
from tests.conftest import LiveServer, train_tiny

pytestmark = pytest.mark.e2e


class Load:
    """Threads calling the server back to back, recording every status and version."""

    def __init__(self, url: str, paths: list[str], threads: int = 4) -> None:
        self.url = url
        self.paths = paths
        self.results: list[tuple[str, int, int | None]] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,)) for i in range(threads)]

    def _run(self, index: int) -> None:
        path = self.paths[index % len(self.paths)]
        with httpx.Client(base_url=self.url, timeout=30) as client:
            while not self._stop.is_set():
                try:
                    r = client.post(path, json={"text": "What a wonderful film"})
                except httpx.HTTPError as exc:
                    self.errors.append(f"{path}: {type(exc).__name__}: {exc}")
                    continue
                version = r.json().get("version") if r.status_code == 200 else None
                if r.status_code != 200:
                    self.errors.append(f"{path}: {r.status_code} {r.text}")
                self.results.append((path, r.status_code, version))

    def __enter__(self) -> Load:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=30)

    def latest(self, path: str, since: int, last: int = 10) -> set[int | None]:
        """Versions of the last ``last`` answers on ``path`` after index ``since``."""
        mine = [v for p, _, v in self.results[since:] if p == path]
        return set(mine[-last:]) if len(mine) >= last else set()


def metric(url: str, name: str, **labels: str) -> float:
    text = httpx.get(f"{url}/metrics").text
    total = 0.0
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                total += s.value
    return total


def test_ten_hot_swaps_under_load_fail_no_request(
    registry: Registry, live_server: Callable[..., LiveServer]
) -> None:
    train_tiny(registry, alias="production")
    train_tiny(registry)
    server = live_server(
        env={"LIMELIGHT_ALIAS_CACHE_SECONDS": "0.1", "LIMELIGHT_DEPLOYMENT_CACHE_SECONDS": "0.2"}
    )
    put = httpx.put(
        f"{server.url}/v1/endpoints/reviews", json={"model": "review-sentiment@production"}
    )
    assert put.status_code == 201, put.text
    paths = ["/v1/models/review-sentiment/predict", "/v1/endpoints/reviews/predict"]
    with Load(server.url, paths) as load:
        time.sleep(0.5)
        for swap in range(10):
            target = 2 if swap % 2 == 0 else 1
            registry.set_alias("review-sentiment", "production", target, actor="test")
            mark = len(load.results)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:  # both routes answer from the new version
                if all(load.latest(p, mark) == {target} for p in paths):
                    break
                time.sleep(0.05)
            else:
                raise AssertionError(f"swap {swap} to version {target} did not take over")
    assert load.errors == []
    counts = Counter(status for _, status, _ in load.results)
    assert counts == {200: len(load.results)} and len(load.results) > 200
    assert metric(server.url, "limelight_model_unloads_total", reason="swapped") >= 10
    assert metric(server.url, "limelight_models_loaded") == 1
    assert server.stop() == 0


def slow_body(delay: float) -> Iterator[bytes]:
    yield b'{"text": "What a '
    time.sleep(delay)  # SIGTERM arrives while the request is in flight
    yield b'wonderful film"}'


def post_in_background(url: str, delay: float) -> tuple[threading.Thread, dict[str, object]]:
    outcome: dict[str, object] = {}

    def call() -> None:
        try:
            outcome["response"] = httpx.post(
                f"{url}/v1/models/review-sentiment/predict", content=slow_body(delay), timeout=30
            )
        except httpx.HTTPError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=call)
    thread.start()
    return thread, outcome


def test_sigterm_drains_in_flight_requests_then_exits_0(
    registry: Registry, live_server: Callable[..., LiveServer]
) -> None:
    train_tiny(registry, alias="production")
    server = live_server("--grace-seconds", "10")
    thread, outcome = post_in_background(server.url, delay=2.0)
    time.sleep(0.7)
    server.process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    with pytest.raises(httpx.TransportError):  # no new connections once draining
        httpx.get(f"{server.url}/healthz", timeout=2)
    thread.join(timeout=30)
    response = outcome.get("response")
    assert isinstance(response, httpx.Response), outcome
    assert response.status_code == 200 and response.json()["label"] == "positive"
    assert server.process.wait(timeout=20) == 0


def test_grace_period_bounds_the_drain(
    registry: Registry, live_server: Callable[..., LiveServer]
) -> None:
    train_tiny(registry, alias="production")
    server = live_server("--grace-seconds", "1")
    thread, outcome = post_in_background(server.url, delay=15.0)
    time.sleep(0.7)
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=30) == 0
    assert time.monotonic() - started < 12  # did not wait for the 15 s request
    assert "timeout graceful shutdown exceeded" in server.log.read_text()
    thread.join(timeout=30)
    assert "error" in outcome or outcome["response"].status_code != 200  # type: ignore[union-attr]


def test_training_killed_mid_write_leaves_nothing(
    registry: Registry, home: Path, tmp_path: Path, live_server: Callable[..., LiveServer]
) -> None:
    train_tiny(registry, name="kept", alias="production")
    data = tmp_path / "big.csv"
    reviews(rows=3000, seed=5).to_csv(data, index=False)
    env = {**os.environ, "LIMELIGHT_HOME": str(home)}
    cmd = [
        sys.executable,
        "-m",
        "limelight",
        "train",
        "text-classification",
        str(data),
        "--text",
        "review",
        "--target",
        "sentiment",
        "--name",
        "killed",
        "--algorithm",
        "tfidf-logreg",
    ]
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    staging = registry.artifacts.staging_root
    deadline = time.monotonic() + 120
    caught = False
    while time.monotonic() < deadline and process.poll() is None:
        if staging.is_dir() and any(any(d.iterdir()) for d in staging.iterdir() if d.is_dir()):
            process.send_signal(signal.SIGKILL)  # mid-write: files in the staging folder
            caught = True
            break
        time.sleep(0.002)
    process.wait(timeout=30)
    assert caught, "the run ended before its artifact was being written"
    assert process.returncode == -signal.SIGKILL
    assert [m.name for m in registry.list_models()] == ["kept"]  # no version of "killed"
    assert not (registry.artifacts.root / "killed").exists()  # nothing renamed into place
    leftovers = list(staging.iterdir())
    assert leftovers  # the half-written folder is still there until the next start
    with sqlite3.connect(str(home / "registry.db")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    server = live_server(env={"LIMELIGHT_IDLE_UNLOAD_SECONDS": "0.5"})
    assert not any(staging.iterdir())  # the server's start removed it
    r = httpx.post(f"{server.url}/v1/models/kept/predict", json={"text": "great"})
    assert r.status_code == 200
    # the idle model is unloaded by the server's background sweep, and loads again on demand
    deadline = time.monotonic() + 20
    while metric(server.url, "limelight_model_unloads_total", reason="idle") < 1:
        assert time.monotonic() < deadline, "the idle model was never unloaded"
        time.sleep(0.2)
    assert httpx.get(f"{server.url}/v1/models").json()[0]["state"] == "unloaded"
    assert (
        httpx.post(f"{server.url}/v1/models/kept/predict", json={"text": "ok"}).status_code == 200
    )
