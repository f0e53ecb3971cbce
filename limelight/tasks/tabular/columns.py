"""Column kinds of a table, inferred once at training time and stored in the manifest.

The same ``to_frame`` turns training rows and prediction requests into the frame the fitted
pipeline expects, so serving sees exactly the types training saw.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

NUMERIC, BOOLEAN, CATEGORICAL, TEXT = "numeric", "boolean", "categorical", "text"
ONEHOT, TARGET = "onehot", "target"

# A string column whose values average at least this many words and are mostly distinct is
# free text (TF-IDF); otherwise it is categorical.
TEXT_MIN_WORDS = 4.0
TEXT_MIN_DISTINCT = 0.5
MAX_ONEHOT = 30  # more distinct values than this: target encoding instead of one-hot


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    kind: str  # numeric | boolean | categorical | text
    encoding: str = ""  # categorical only: onehot | target
    distinct: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnSpec:
        return cls(
            name=str(data["name"]),
            kind=str(data["kind"]),
            encoding=str(data.get("encoding", "")),
            distinct=int(data.get("distinct", 0)),
        )


def category_str(value: Any) -> str:
    """How a categorical value is written: 3.0 -> "3", True -> "True", " a " -> "a"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _is_bool_column(values: pd.Series) -> bool:
    present = values.dropna()
    if pd.api.types.is_bool_dtype(values.dtype):
        return True
    return len(present) > 0 and all(isinstance(v, bool | np.bool_) for v in present)


def infer_kind(values: pd.Series, *, max_onehot: int = MAX_ONEHOT) -> ColumnSpec:
    name = str(values.name)
    present = values.dropna()
    if _is_bool_column(values):
        return ColumnSpec(name, BOOLEAN, distinct=int(present.nunique()))
    if pd.api.types.is_numeric_dtype(values.dtype):
        return ColumnSpec(name, NUMERIC, distinct=int(present.nunique()))
    strings = present.map(category_str)
    strings = strings[strings != ""]
    distinct = int(strings.nunique())
    if len(strings):
        words = float(strings.str.split().str.len().mean())
        if words >= TEXT_MIN_WORDS and distinct >= TEXT_MIN_DISTINCT * len(strings):
            return ColumnSpec(name, TEXT, distinct=distinct)
    encoding = ONEHOT if distinct <= max_onehot else TARGET
    return ColumnSpec(name, CATEGORICAL, encoding=encoding, distinct=distinct)


def to_frame(
    rows: pd.DataFrame | Iterable[Mapping[str, Any]], specs: list[ColumnSpec]
) -> pd.DataFrame:
    """The frame the pipeline is fitted on and predicts from: numeric and boolean columns as
    float64 (missing = NaN, infinities = NaN), categorical columns as object strings (missing =
    NaN), text as object strings (missing = "")."""
    if not isinstance(rows, pd.DataFrame):
        return _records_frame(list(rows), specs)
    frame = rows
    out: dict[str, Any] = {}
    n = len(frame)
    for spec in specs:
        raw = frame[spec.name] if spec.name in frame.columns else pd.Series([None] * n)
        if spec.kind in (NUMERIC, BOOLEAN):
            if spec.kind == BOOLEAN:
                raw = raw.map(lambda v: None if v is None or v is pd.NA else v)
                raw = raw.map(lambda v: float(bool(v)) if isinstance(v, bool | np.bool_) else v)
            numbers = pd.to_numeric(raw, errors="coerce").astype("float64").to_numpy(copy=True)
            numbers[~np.isfinite(numbers)] = np.nan
            out[spec.name] = numbers
        elif spec.kind == CATEGORICAL:
            out[spec.name] = np.array(
                [np.nan if _missing(v) else category_str(v) for v in raw], dtype=object
            )
        else:
            out[spec.name] = np.array(["" if _missing(v) else str(v) for v in raw], dtype=object)
    result = pd.DataFrame(out, index=pd.RangeIndex(n))
    for spec in specs:
        if spec.kind in (CATEGORICAL, TEXT):
            result[spec.name] = result[spec.name].astype(object)
    return result


def _number(value: Any) -> float:
    if value is None or value is pd.NA or isinstance(value, str):
        return np.nan
    number = float(value)
    return number if np.isfinite(number) else np.nan


def _records_frame(records: list[Mapping[str, Any]], specs: list[ColumnSpec]) -> pd.DataFrame:
    """The same conversion as for a DataFrame, built straight from request records (the
    serving path: no per-column pandas work)."""
    out: dict[str, Any] = {}
    for spec in specs:
        values = [record.get(spec.name) for record in records]
        if spec.kind in (NUMERIC, BOOLEAN):
            out[spec.name] = np.array([_number(v) for v in values], dtype=np.float64)
        elif spec.kind == CATEGORICAL:
            column = np.empty(len(values), dtype=object)
            column[:] = [np.nan if _missing(v) else category_str(v) for v in values]
            out[spec.name] = column
        else:
            column = np.empty(len(values), dtype=object)
            column[:] = ["" if _missing(v) else str(v) for v in values]
            out[spec.name] = column
    frame = pd.DataFrame(out, index=pd.RangeIndex(len(records)), copy=False)
    for spec in specs:
        if spec.kind in (CATEGORICAL, TEXT) and frame[spec.name].dtype != object:
            frame[spec.name] = frame[spec.name].astype(object)
    return frame


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and not np.isfinite(value):
        return True
    return isinstance(value, str) and not value.strip()
