"""FilterIndex on its own: the checks behind the HTTP schema (the Python API and the CLI reach it
with whatever a caller passes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from limelight.errors import InvalidInput
from limelight.tasks.recommendation.catalog import read_catalog
from limelight.tasks.recommendation.filters import FilterIndex


@pytest.fixture
def index() -> FilterIndex:
    frame = pd.DataFrame(
        {
            "item_id": ["a", "b", "c"],
            "genres": ["Comedy|Drama", "Drama", ""],
            "year": [1990, 2000, None],
        }
    )
    return FilterIndex(read_catalog(frame))


def test_conditions_combine(index: FilterIndex) -> None:
    assert index.match({"genres": "DRAMA"})[0].tolist() == [True, True, False]
    both = {"genres": ["Comedy", "Nope"], "year": {"max": 1995}}
    assert index.match(both)[0].tolist() == [True, False, False]
    # a missing year never matches
    assert index.match({"year": 2000})[0].tolist() == [False, True, False]


def test_unknown_values_are_named(index: FilterIndex) -> None:
    conditions = {"genres": ["drama", "Sci Fi"], "year": 3}
    mask, unknown = index.match(conditions)
    assert unknown == {"genres": ["Sci Fi"]} and mask.tolist() == [False, False, False]
    assert index.match({"genres": ["Comedy", "Drama"]})[1] == {}


@pytest.mark.parametrize(
    "condition",
    [
        {"year": {"min": "abc"}},
        {"year": {"min": None}},
        {"year": {"max": [1]}},
        {"year": {"min": True}},
        {"year": {"min": float("nan")}},
        {"year": float("inf")},
        {"year": {"from": 1990}},
        {"year": {}},
        {"genres": [1]},
        {"genres": None},
        {"colour": "red"},
    ],
)
def test_bad_conditions_are_invalid_input(index: FilterIndex, condition: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as raised:
        index.match(condition)
    assert raised.value.field == f"filter.{next(iter(condition))}"
    assert np.all(index.match({})[0])
