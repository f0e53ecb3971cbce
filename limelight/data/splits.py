"""Reproducible stratified train/validation/test splits."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sklearn.model_selection import train_test_split

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
    """Split so every part keeps the label proportions; the same seed gives the same split.

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
    n = len(frame)
    n_classes = len(counts)
    n_test = max(round(n * test_size), n_classes)
    n_val = max(round(n * validation_size), n_classes)
    if n - n_test - n_val < n_classes:
        raise DataError(f"{n} rows are too few to split {n_classes} classes three ways")
    try:
        rest, test = train_test_split(
            frame, test_size=n_test, stratify=frame[label_col], random_state=seed
        )
        train, validation = train_test_split(
            rest, test_size=n_val, stratify=rest[label_col], random_state=seed
        )
    except ValueError as exc:
        raise DataError(f"cannot split the data by class: {exc}") from exc
    return Split(
        train.reset_index(drop=True), validation.reset_index(drop=True), test.reset_index(drop=True)
    )


def random_split(
    frame: pd.DataFrame, *, validation_size: float = 0.1, test_size: float = 0.1, seed: int = 42
) -> Split:
    """Shuffle and split (for regression targets, which cannot be stratified)."""
    if not (0 < validation_size < 1 and 0 < test_size < 1 and validation_size + test_size < 1):
        raise DataError("validation and test fractions must be in (0, 1) and sum to under 1")
    n = len(frame)
    n_test = max(round(n * test_size), 1)
    n_val = max(round(n * validation_size), 1)
    if n - n_test - n_val < 2:
        raise DataError(f"{n} rows are too few to split into train, validation and test")
    rest, test = train_test_split(frame, test_size=n_test, random_state=seed)
    train, validation = train_test_split(rest, test_size=n_val, random_state=seed)
    return Split(
        train.reset_index(drop=True), validation.reset_index(drop=True), test.reset_index(drop=True)
    )
