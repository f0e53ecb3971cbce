"""Cleaning with a report of what was done, so a data scientist can see what training used."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from limelight.errors import DataError

_SPACE = re.compile(r"\s+")
IMBALANCE_WARN_RATIO = 10.0


def normalize_text(text: str) -> str:
    """NFKC-normalize, drop control characters and collapse runs of whitespace."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return _SPACE.sub(" ", text).strip()


@dataclass
class CleaningReport:
    rows_in: int
    rows_out: int = 0
    duplicates_removed: int = 0
    empty_text_dropped: int = 0
    missing_target_dropped: int = 0
    texts_normalized: int = 0
    label_counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def clean_text_labels(
    frame: pd.DataFrame, text_col: str, target_col: str
) -> tuple[pd.DataFrame, CleaningReport]:
    """Return a frame with columns ``text`` and ``label`` (strings) and the cleaning report.

    Rows with a missing target or an empty text are dropped, texts are normalized, and exact
    duplicates (same normalized text and label) are removed. Raises DataError when fewer than two
    classes remain.
    """
    report = CleaningReport(rows_in=len(frame))
    target = frame[target_col]
    missing_target = target.isna() | target.astype("string").str.strip().eq("")
    report.missing_target_dropped = int(missing_target.sum())
    frame = frame.loc[~missing_target]

    raw = frame[text_col]
    texts = raw.where(raw.notna(), "").astype(str)
    normalized = texts.map(normalize_text)
    report.texts_normalized = int((normalized != texts).sum())
    empty = normalized.eq("")
    report.empty_text_dropped = int(empty.sum())

    labels = frame[target_col].map(_label_str)
    out = pd.DataFrame({"text": normalized, "label": labels}).loc[~empty]
    before = len(out)
    out = out.drop_duplicates(subset=["text", "label"]).reset_index(drop=True)
    report.duplicates_removed = before - len(out)
    report.rows_out = len(out)
    if report.rows_out == 0:
        raise DataError("no usable rows remain after cleaning (every text or target was empty)")

    counts = out["label"].value_counts()
    report.label_counts = {str(k): int(v) for k, v in counts.items()}
    if len(counts) < 2:
        only = next(iter(report.label_counts), "")
        raise DataError(
            f"the target column {target_col!r} has fewer than 2 classes (only {only!r}): "
            "a classifier needs at least two labels",
            field=target_col,
        )
    ratio = counts.max() / counts.min()
    if ratio >= IMBALANCE_WARN_RATIO:
        report.warnings.append(
            f"heavy class imbalance: {counts.idxmax()!r} has {ratio:.0f}x the rows of "
            f"{counts.idxmin()!r}; read per-class recall, not only accuracy"
        )
    return out, report


def _label_str(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
