"""Cleaning a table for the tabular tasks, with a report of what was done."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from limelight.errors import DataError
from limelight.tasks.tabular.columns import TEXT, ColumnSpec, category_str, infer_kind, to_frame

IMBALANCE_WARN_RATIO = 10.0
ID_MIN_ROWS = 20


@dataclass
class TabularCleaningReport:
    rows_in: int
    rows_out: int = 0
    missing_target_dropped: int = 0
    invalid_target_dropped: int = 0
    duplicates_removed: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # kept column -> kind/encoding
    dropped_columns: dict[str, str] = field(default_factory=dict)  # column -> why
    missing_values: dict[str, int] = field(default_factory=dict)
    label_counts: dict[str, int] = field(default_factory=dict)
    target: dict[str, float] = field(default_factory=dict)  # regression: summary
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def clean_tabular(
    frame: pd.DataFrame, target: str, features: list[str] | None, *, regression: bool
) -> tuple[pd.DataFrame, list[ColumnSpec], TabularCleaningReport]:
    """Return (typed feature frame + a ``label`` column, the kept columns' specs, the report).

    Rows with a missing (or, for regression, non-numeric or infinite) target are dropped, then
    exact duplicate rows. Columns that carry no information are dropped and reported: entirely
    missing, constant, or an identifier (a distinct string in every row).
    """
    if target not in frame.columns:
        raise DataError(f"unknown target column {target!r}", field="target")
    names = [c for c in (features or frame.columns) if c != target]
    if features and target in features:
        raise DataError(f"the target {target!r} cannot also be a feature", field="features")
    report = TabularCleaningReport(rows_in=len(frame))
    y = frame[target]
    missing = y.isna() | y.astype("string").str.strip().eq("")
    report.missing_target_dropped = int(missing.sum())
    frame = frame.loc[~missing]
    if regression:
        values = pd.to_numeric(frame[target], errors="coerce").astype("float64")
        invalid = ~np.isfinite(values.to_numpy())
        report.invalid_target_dropped = int(invalid.sum())
        frame = frame.loc[~invalid]
        labels: pd.Series = values.loc[~invalid]
    else:
        labels = frame[target].map(category_str)
    frame = frame.loc[:, names].copy()
    frame["label"] = labels.to_numpy()
    before = len(frame)
    frame = frame.loc[~_duplicated(frame)].reset_index(drop=True)
    report.duplicates_removed = before - len(frame)
    if len(frame) == 0:
        raise DataError("no usable rows remain after cleaning (every target was missing)")

    specs: list[ColumnSpec] = []
    for name in names:
        column = frame[name]
        n_missing = int(_missing_mask(column).sum())
        if n_missing == len(frame):
            report.dropped_columns[str(name)] = "every value is missing"
            continue
        spec = infer_kind(column)
        if spec.distinct <= 1 and n_missing == 0:
            report.dropped_columns[str(name)] = "constant"
            continue
        if (
            spec.kind not in (TEXT, "numeric", "boolean")
            and spec.distinct == len(frame) - n_missing
            and len(frame) >= ID_MIN_ROWS
        ):
            report.dropped_columns[str(name)] = "an identifier (a different value in every row)"
            continue
        specs.append(spec)
        if n_missing:
            report.missing_values[str(name)] = n_missing
        report.columns[str(name)] = spec.kind + (f" ({spec.encoding})" if spec.encoding else "")
    if not specs:
        raise DataError(
            "no usable feature columns remain (each was missing, constant or an identifier)",
            field="features",
        )
    for dropped, why in report.dropped_columns.items():
        report.warnings.append(f"column {dropped!r} dropped: {why}")
    report.rows_out = len(frame)
    typed = to_frame(frame, specs)
    typed["label"] = frame["label"].to_numpy()
    if regression:
        target_values = typed["label"].astype("float64")
        report.target = {
            "mean": float(target_values.mean()),
            "std": float(target_values.std()),
            "min": float(target_values.min()),
            "max": float(target_values.max()),
        }
    else:
        _check_labels(typed, report, target)
    return typed, specs, report


def _check_labels(typed: pd.DataFrame, report: TabularCleaningReport, target: str) -> None:
    counts = typed["label"].value_counts()
    report.label_counts = {str(k): int(v) for k, v in counts.items()}
    if len(counts) < 2:
        raise DataError(
            f"the target column {target!r} has fewer than 2 classes: a classifier needs at "
            "least two labels",
            field=target,
        )
    ratio = counts.max() / counts.min()
    if ratio >= IMBALANCE_WARN_RATIO:
        report.warnings.append(
            f"heavy class imbalance: {counts.idxmax()!r} has {ratio:.0f}x the rows of "
            f"{counts.idxmin()!r}; read ROC-AUC and per-class recall, not only accuracy"
        )


def _missing_mask(column: pd.Series) -> pd.Series:
    mask = column.isna()
    if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
        mask = mask | column.astype("string").str.strip().eq("").fillna(True)
    return mask


def _duplicated(frame: pd.DataFrame) -> pd.Series:
    hashed = pd.util.hash_pandas_object(frame.astype("string"), index=False)
    return pd.Series(hashed.duplicated().to_numpy(), index=frame.index)
