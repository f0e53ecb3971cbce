"""Reproducible stratified train/validation/test splits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from limelight.errors import DataError


@dataclass(frozen=True)
class Split:
    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame

    def sizes(self) -> dict[str, int]:
        return {
            "train": len(self.train),
            "validation": len(self.validation),
            "test": len(self.test),
        }


def stratified_split(
    frame: pd.DataFrame,
    label_col: str = "label",
    *,
    validation_size: float = 0.1,
    test_size: float = 0.1,
    seed: int = 42,
) -> Split:
    """Split each class separately so every part keeps the label proportions and holds at
    least one row of every class; the same seed gives the same split.

    Each class needs at least 3 rows, one for each part; DataError names the class otherwise.
    """
    if not (0 < validation_size < 1 and 0 < test_size < 1 and validation_size + test_size < 1):
        raise DataError("validation and test fractions must be in (0, 1) and sum to under 1")
    counts = frame[label_col].value_counts()
    small = counts[counts < 3]
    if len(small):
        name, n = small.index[0], int(small.iloc[0])
        raise DataError(
            f"class {name!r} has only {n} row(s): each class needs at least 3 to be split into "
            "train, validation and test; add rows or drop the class",
            field=label_col,
        )
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {"train": [], "validation": [], "test": []}
    labels = frame[label_col].to_numpy()
    for label in sorted(counts.index, key=str):  # sorted: the same seed gives the same split
        rows = np.flatnonzero(labels == label)
        rng.shuffle(rows)
        n_test = max(1, round(len(rows) * test_size))
        n_val = max(1, round(len(rows) * validation_size))
        n_test, n_val = min(n_test, len(rows) - 2), min(n_val, len(rows) - 2)
        parts["test"].append(rows[:n_test])
        parts["validation"].append(rows[n_test : n_test + n_val])
        parts["train"].append(rows[n_test + n_val :])

    def take(name: str) -> pd.DataFrame:
        index = np.concatenate(parts[name])
        rng.shuffle(index)
        return frame.iloc[index].reset_index(drop=True)

    return Split(take("train"), take("validation"), take("test"))


def random_split(
    frame: pd.DataFrame, *, validation_size: float = 0.1, test_size: float = 0.1, seed: int = 42
) -> Split:
    """Shuffle and split (for regression targets, which cannot be stratified); the same seed
    gives the same split."""
    if not (0 < validation_size < 1 and 0 < test_size < 1 and validation_size + test_size < 1):
        raise DataError("validation and test fractions must be in (0, 1) and sum to under 1")
    n = len(frame)
    n_test = max(round(n * test_size), 1)
    n_val = max(round(n * validation_size), 1)
    if n - n_test - n_val < 2:
        raise DataError(f"{n} rows are too few to split into train, validation and test")
    rows = np.random.default_rng(seed).permutation(n)

    def take(index: np.ndarray) -> pd.DataFrame:
        return frame.iloc[index].reset_index(drop=True)

    return Split(
        take(rows[n_test + n_val :]), take(rows[n_test : n_test + n_val]), take(rows[:n_test])
    )
