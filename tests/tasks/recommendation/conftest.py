"""Fixtures shared by the recommendation tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tasks.recommendation.synthetic import catalog


@pytest.fixture
def catalog_file(tmp_path: Path) -> Path:
    """The synthetic catalog (the log's items plus cold ones) written to a CSV file."""
    path = tmp_path / "items.csv"
    catalog().to_csv(path, index=False)
    return path
