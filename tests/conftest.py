"""Shared fixtures: an isolated registry per test, small trained models, real data, a live server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pandas as pd
import pytest

from limelight.demo.data import reviews
from limelight.registry import ModelVersion, Registry
from limelight.settings import Settings
from limelight.training import train

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# One MiniLM ONNX export per machine for the whole suite (and the servers it starts).
os.environ.setdefault(
    "LIMELIGHT_CACHE_DIR", str(Path(tempfile.gettempdir()) / f"limelight-test-cache-{os.getuid()}")
)

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def settings(home: Path) -> Settings:
    return Settings(home=home)


@pytest.fixture
def registry(settings: Settings) -> Iterator[Registry]:
    reg = Registry.from_settings(settings)
    yield reg
    reg.close()


@pytest.fixture(scope="session")
def review_frame() -> pd.DataFrame:
    return reviews(rows=300, seed=3)


def train_tiny(
    registry: Registry, name: str = "review-sentiment", **kwargs: object
) -> ModelVersion:
    """A TF-IDF + logistic regression model on the generated demo reviews (about a second)."""
    options: dict[str, object] = {
        "columns": {"text": "review", "target": "sentiment"},
        "algorithm": "tfidf-logreg",
    }
    options.update(kwargs)
    return train(registry, "text-classification", reviews(rows=300, seed=3), name=name, **options)  # type: ignore[arg-type]


@pytest.fixture
def tiny_model(registry: Registry) -> ModelVersion:
    return train_tiny(registry, alias="production")


def shared_data_dir() -> Path | None:
    configured = os.environ.get("LIMELIGHT_DATA_DIR")
    candidates = [Path(configured)] if configured else [REPO.parent / "shared" / "data"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared real data sets. In CI they must be there; elsewhere the test is skipped."""
    found = shared_data_dir()
    if found is None:
        if IN_CI:
            pytest.fail("CI=true but the shared data sets are missing (LIMELIGHT_DATA_DIR)")
        pytest.skip("shared data sets not found (set LIMELIGHT_DATA_DIR)")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return int(self.process.returncode)


def start_server(
    home: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 180.0
) -> LiveServer:
    """Start the real `limelight serve` on a free loopback port and wait until /readyz is 200."""
    port = free_port()
    log = home.parent / f"server-{port}.log"
    home.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, "LIMELIGHT_HOME": str(home), **(env or {})}
    cmd = [
        sys.executable,
        "-m",
        "limelight",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *args,
    ]
    with log.open("wb") as handle:
        process = subprocess.Popen(cmd, env=full_env, stdout=handle, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_ready(process, url, log, timeout)
    return LiveServer(url, process, log)


def wait_ready(process: subprocess.Popen[bytes], url: str, log: Path, timeout: float) -> None:
    """Wait until ``url``/readyz answers 200; if the process exits or the time runs out, kill
    it and raise with its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{process.args} exited with {process.returncode}:\n{log.read_text()}"
            )
        try:
            if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    process.wait()
    raise RuntimeError(f"not ready within {timeout} s:\n{log.read_text()}")


@pytest.fixture
def live_server(home: Path) -> Iterator[Callable[..., LiveServer]]:
    started: list[LiveServer] = []

    def factory(*args: str, env: dict[str, str] | None = None) -> LiveServer:
        server = start_server(home, *args, env=env)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


# --------------------------------------------------------------------- embeddings and search
NETFLIX_SAMPLE = 1500  # descriptions embedded once per session (the full 8,807 in the benchmark)


@pytest.fixture(scope="session")
def netflix_sample(data_dir: Path) -> pd.DataFrame:
    """A seeded sample of the real Netflix catalog (pandas: descriptions hold quoted newlines)."""
    frame = pd.read_csv(data_dir / "netflix-titles" / "netflix_titles.csv")
    frame = frame[frame["description"].notna()]
    return frame.sample(n=NETFLIX_SAMPLE, random_state=0).reset_index(drop=True)


@pytest.fixture(scope="session")
def embedding_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with the MiniLM embedding model and a tiny text classifier, built once."""
    from limelight.training.pretrained import register_pretrained

    home = tmp_path_factory.mktemp("embedding") / "home"
    registry = Registry.from_settings(Settings(home=home))
    register_pretrained(registry, "embedding", name="minilm", alias="production")
    train_tiny(registry, alias="production")
    registry.close()
    return home


@pytest.fixture(scope="session")
def catalog_home(tmp_path_factory: pytest.TempPathFactory, netflix_sample: pd.DataFrame) -> Path:
    """A home with a `titles` index (exact) over the Netflix sample, built once per session."""
    home = tmp_path_factory.mktemp("catalog") / "home"
    registry = Registry.from_settings(Settings(home=home))
    train(
        registry,
        "semantic-search",
        netflix_sample,
        name="titles",
        columns={"id": "show_id", "text": "description", "fields": "type,title,rating,listed_in"},
        algorithm="exact",
        alias="production",
    )
    registry.close()
    return home


@pytest.fixture(scope="session")
def postgres() -> Iterator[object]:
    """A real PostgreSQL server for the session (skipped outside CI when not installed)."""
    from tests.postgres import PostgresServer

    server = PostgresServer()
    yield server
    server.stop()
