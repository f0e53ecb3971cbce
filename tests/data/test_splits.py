from __future__ import annotations

import pandas as pd
import pytest

from limelight.data import dataset_fingerprint, stratified_split
from limelight.errors import DataError


def frame(n_pos: int = 80, n_neg: int = 20) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "text": [f"t{i}" for i in range(n_pos + n_neg)],
            "label": ["pos"] * n_pos + ["neg"] * n_neg,
        }
    )


def test_stratified_and_reproducible() -> None:
    a = stratified_split(frame(), seed=1)
    b = stratified_split(frame(), seed=1)
    c = stratified_split(frame(), seed=2)
    assert a.sizes() == {"train": 80, "validation": 10, "test": 10}
    assert a.test["text"].tolist() == b.test["text"].tolist()
    assert a.test["text"].tolist() != c.test["text"].tolist()
    for part in (a.train, a.validation, a.test):
        assert (part["label"] == "neg").mean() == pytest.approx(0.2, abs=0.05)
    seen = set(a.train["text"]) | set(a.validation["text"]) | set(a.test["text"])
    assert len(seen) == 100  # disjoint and complete


def test_class_with_too_few_rows() -> None:
    with pytest.raises(DataError, match="class 'neg' has only 2 row") as info:
        stratified_split(frame(30, 2))
    assert info.value.field == "label"


def test_small_classes_still_reach_every_part() -> None:
    split = stratified_split(frame(10, 3))
    assert all((part["label"] == "neg").sum() == 1 for part in (split.validation, split.test))


def test_bad_fractions() -> None:
    with pytest.raises(DataError, match="fractions"):
        stratified_split(frame(), validation_size=0.6, test_size=0.5)


def test_fingerprint_changes_with_content_only() -> None:
    f = frame()
    assert dataset_fingerprint(f) == dataset_fingerprint(f.copy())
    g = f.copy()
    g.loc[0, "text"] = "changed"
    assert dataset_fingerprint(g) != dataset_fingerprint(f)
    assert dataset_fingerprint(f).startswith("sha256:")
