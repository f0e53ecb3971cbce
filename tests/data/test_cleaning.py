from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from limelight.data import clean_text_labels, normalize_text
from limelight.errors import DataError


def test_normalize_text_collapses_whitespace_and_unicode() -> None:
    assert normalize_text("  Ｇreat\u00a0 film\n\tﬁne\u200b ") == "Great film fine"


def test_report_counts_every_step() -> None:
    frame = pd.DataFrame(
        {
            "review": ["good", "good ", "bad", "", None, "meh", "  ok  ", "fine"],
            "sentiment": ["pos", "pos", "neg", "pos", "neg", None, "neg", " "],
        }
    )
    clean, report = clean_text_labels(frame, "review", "sentiment")
    assert report.rows_in == 8
    assert report.missing_target_dropped == 2  # None and blank
    assert report.empty_text_dropped == 2  # "" and None
    assert report.duplicates_removed == 1  # "good " normalizes to "good"
    assert report.rows_out == len(clean) == 3
    assert report.texts_normalized >= 2
    assert report.label_counts == {"neg": 2, "pos": 1}
    assert list(clean.columns) == ["text", "label"]


def test_numeric_labels_become_clean_strings() -> None:
    frame = pd.DataFrame({"t": ["a", "b", "c"], "y": [1.0, 0.0, np.nan]})
    clean, _ = clean_text_labels(frame, "t", "y")
    assert sorted(clean["label"]) == ["0", "1"]


def test_fewer_than_two_classes() -> None:
    frame = pd.DataFrame({"t": ["a", "b", "c"], "y": ["pos", "pos", None]})
    with pytest.raises(DataError, match="fewer than 2 classes") as info:
        clean_text_labels(frame, "t", "y")
    assert info.value.field == "y"


def test_all_rows_empty() -> None:
    frame = pd.DataFrame({"t": ["", "  "], "y": ["a", "b"]})
    with pytest.raises(DataError, match="no usable rows"):
        clean_text_labels(frame, "t", "y")


def test_heavy_imbalance_warns() -> None:
    frame = pd.DataFrame({"t": [f"text {i}" for i in range(55)], "y": ["a"] * 50 + ["b"] * 5})
    _, report = clean_text_labels(frame, "t", "y")
    assert any("imbalance" in w for w in report.warnings)
