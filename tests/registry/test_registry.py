from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from limelight.errors import (
    ArtifactIntegrityError,
    Conflict,
    InvalidInput,
    ModelNotFound,
    VersionNotFound,
)
from limelight.registry import LocalArtifactStore, Registry, parse_ref
from limelight.runtime import load
from tests.conftest import train_tiny
from tests.registry.writer import register_many


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same tests run on the embedded default and on a real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    server = request.getfixturevalue("postgres")
    return str(server.create_database(f"reg_{uuid.uuid4().hex[:12]}"))


@pytest.fixture
def any_registry(db_url: str, tmp_path: Path) -> Iterator[Registry]:
    reg = Registry(db_url, LocalArtifactStore(tmp_path / "artifacts"))
    yield reg
    reg.close()


def make_version(registry: Registry, name: str = "m", payload: bytes = b"x") -> int:
    with registry.staging() as staged:
        (staged / "model.bin").write_bytes(payload)
        return registry.register(
            name, "text-classification", "algo", {"metrics": {}}, staged
        ).version


def test_refs() -> None:
    assert parse_ref("m").alias is None and parse_ref("m").version is None
    assert parse_ref("m@staging").alias == "staging"
    assert parse_ref("m/versions/3").version == 3
    assert parse_ref("m@3").version == 3
    for bad in ("", "bad name", "m/versions/x", "m/versions/0", "../etc"):
        with pytest.raises(InvalidInput):
            parse_ref(bad)


def test_versions_number_up_and_aliases_move_with_history(any_registry: Registry) -> None:
    registry = any_registry
    assert [make_version(registry) for _ in range(3)] == [1, 2, 3]
    assert registry.resolve("m").version == 3  # no production alias: the newest
    assert registry.set_alias("m", "production", 2, actor="test") is None
    assert registry.resolve("m").version == 2  # a bare name follows production
    assert registry.resolve("m@production").aliases == ("production",)
    assert registry.set_alias("m", "production", 1) == 2  # rollback returns the previous
    assert registry.resolve("m@production").version == 1
    assert registry.resolve("m@latest").version == 3
    history = registry.alias_history("m")
    assert [(e.from_version, e.to_version) for e in history] == [(None, 2), (2, 1)]
    assert history[0].actor == "test"
    assert history[0].at.tzinfo is not None and registry.resolve("m").created_at.tzinfo is not None
    summary = registry.list_models()[0]
    assert (summary.name, summary.latest_version, summary.aliases) == ("m", 3, {"production": 1})


def test_unknown_things_are_404s(registry: Registry) -> None:
    make_version(registry)
    with pytest.raises(ModelNotFound):
        registry.resolve("other")
    with pytest.raises(VersionNotFound, match="no alias 'staging'"):
        registry.resolve("m@staging")
    with pytest.raises(VersionNotFound):
        registry.resolve("m/versions/9")
    with pytest.raises(VersionNotFound):
        registry.set_alias("m", "production", 9)


def test_alias_names_are_checked(registry: Registry) -> None:
    make_version(registry)
    for bad in ("12", "latest", "has space"):
        with pytest.raises(InvalidInput):
            registry.set_alias("m", bad, 1)


def test_a_name_keeps_its_task(any_registry: Registry) -> None:
    registry = any_registry
    make_version(registry)
    with registry.staging() as staged, pytest.raises(Conflict):
        (staged / "f").write_bytes(b"1")
        registry.register("m", "recommendation", "algo", {}, staged)
    assert registry.resolve("m").version == 1
    assert not any(registry.artifacts.root.joinpath("m").glob("*/f"))


def test_delete_version_refused_while_aliased(any_registry: Registry) -> None:
    registry = any_registry
    make_version(registry)
    make_version(registry)
    registry.set_alias("m", "production", 1)
    with pytest.raises(Conflict, match="production"):
        registry.delete_version("m", 1)
    uri = registry.resolve("m/versions/2").artifact_uri
    registry.delete_version("m", 2)
    assert not registry.artifacts.path(uri).exists()
    registry.delete_model("m")
    assert registry.list_models() == []


def test_train_and_load_round_trip(any_registry: Registry) -> None:
    version = train_tiny(any_registry, alias="production")
    model = load(any_registry, "review-sentiment@production")
    assert model.version == version.version
    assert model.predict(["I loved every minute"])[0]["label"] == "positive"
    assert (
        any_registry.resolve("review-sentiment").manifest["metrics"] == version.manifest["metrics"]
    )


def test_artifact_checksum_mismatch_refuses_to_load(registry: Registry) -> None:
    version = train_tiny(registry)
    folder = registry.artifacts.path(version.artifact_uri)
    model_file = next(folder.iterdir())
    data = bytearray(model_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model_file.write_bytes(bytes(data))
    with pytest.raises(ArtifactIntegrityError, match="fails its checksum"):
        load(registry, "review-sentiment")


def test_missing_artifact_file_refuses_to_load(registry: Registry) -> None:
    version = train_tiny(registry)
    for path in registry.artifacts.path(version.artifact_uri).iterdir():
        path.unlink()
    with pytest.raises(ArtifactIntegrityError, match="missing"):
        load(registry, "review-sentiment")


def test_staging_is_cleaned_and_discarded(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path)
    leftover = store.stage()
    (leftover / "half").write_bytes(b"partial")
    assert store.clean_staging() == 1
    assert not leftover.exists()


def test_version_numbers_under_concurrent_writers(db_url: str, tmp_path: Path) -> None:
    url = db_url
    Registry(url, LocalArtifactStore(tmp_path / "artifacts")).close()
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    workers = [
        ctx.Process(target=register_many, args=(url, str(tmp_path / "artifacts"), 6, queue))
        for _ in range(2)
    ]
    for w in workers:
        w.start()
    results = [queue.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    numbers = sorted(results[0] + results[1])
    assert numbers == list(range(1, 13))  # no gaps, no duplicates
    registry = Registry(url, LocalArtifactStore(tmp_path / "artifacts"))
    assert [v.version for v in registry.list_versions("race")] == list(range(1, 13))
    registry.close()
