"""limelight.yaml parsing, the deployment store, weighted choice and stickiness."""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path

import pytest

from limelight.deployments import DeploymentStore, EndpointSpec, dump_file, load_file
from limelight.errors import InvalidInput

YAML = """
endpoints:
  reviews:
    model: review-sentiment@production
    batching: {max_batch_size: 32, max_wait_ms: 2}
  reviews-canary:
    split:
      - {model: review-sentiment@production, weight: 90}
      - {model: review-sentiment@candidate, weight: 10}
    sticky: header:X-User-Id
"""


def test_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "limelight.yaml"
    path.write_text(YAML)
    specs = load_file(path)
    assert specs["reviews"].batching is not None and specs["reviews"].batching.max_batch_size == 32
    assert [t.weight for t in specs["reviews-canary"].targets] == [90, 10]
    path.write_text(dump_file(specs))
    assert load_file(path) == specs


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("endpoints: [1]", "endpoints"),
        ("endpoints: {a: {model: x, split: [{model: y}]}}", "exactly one"),
        ("endpoints: {a: {model: 'bad name!'}}", "invalid model name"),
        ("endpoints: {a: {model: x, typo: 1}}", "endpoints.a.typo"),
        ("endpoints: {a: {model: x, batching: {max_batch_size: 0}}}", "max_batch_size"),
        ("endpoints: {a: {model: x}}\nextra: 1", "unknown top-level"),
        ("endpoints: {'bad name': {model: x}}", "endpoint name"),
        ("endpoints: {a: {model: x", "not valid YAML"),
    ],
)
def test_bad_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "limelight.yaml"
    path.write_text(text)
    with pytest.raises(InvalidInput, match=message):
        load_file(path)


def test_choice_is_weighted_and_sticky() -> None:
    spec = EndpointSpec.model_validate(
        {"split": [{"model": "m@a", "weight": 9}, {"model": "m@b", "weight": 1}]}
    )
    by_key = Counter(spec.choose("e", f"user{i}").model for i in range(5000))
    assert 0.07 < by_key["m@b"] / 5000 < 0.13
    assert all(spec.choose("e", "alice") == spec.choose("e", "alice") for _ in range(20))
    random_picks = Counter(spec.choose("e", None).model for _ in range(5000))
    assert 0.07 < random_picks["m@b"] / 5000 < 0.13


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The deployment store on the embedded default and on a real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    server = request.getfixturevalue("postgres")
    return str(server.create_database(f"dep_{uuid.uuid4().hex[:12]}"))


def test_store_apply_and_prune(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "limelight.yaml"
    path.write_text(YAML)
    store = DeploymentStore(db_url)
    assert store.apply(load_file(path)) == {
        "created": ["reviews", "reviews-canary"],
        "updated": [],
        "removed": [],
    }
    assert store.apply(load_file(path)) == {"created": [], "updated": [], "removed": []}
    path.write_text("endpoints: {reviews: {model: review-sentiment@staging}}")
    assert store.apply(load_file(path), prune=True) == {
        "created": [],
        "updated": ["reviews"],
        "removed": ["reviews-canary"],
    }
    assert store.get("reviews").model == "review-sentiment@staging"
    store.close()
