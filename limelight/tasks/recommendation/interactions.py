"""Cleaning an interaction log, with a report of what was done."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from limelight.errors import DataError

DEFAULT_MIN_USER_INTERACTIONS = 1
DEFAULT_MIN_ITEM_INTERACTIONS = 1


@dataclass
class InteractionReport:
    rows_in: int
    rows_out: int = 0
    missing_ids_dropped: int = 0
    invalid_ratings_dropped: int = 0
    below_threshold_dropped: int = 0
    duplicates_merged: int = 0
    users_below_minimum: int = 0
    items_below_minimum: int = 0
    rows_of_rare_users_or_items_dropped: int = 0
    unknown_items: int = 0
    unknown_item_interactions: int = 0
    users: int = 0
    items: int = 0
    rating_threshold: float | None = None
    min_user_interactions: int = DEFAULT_MIN_USER_INTERACTIONS
    min_item_interactions: int = DEFAULT_MIN_ITEM_INTERACTIONS
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def dropped(self) -> str:
        """What cleaning took out of the ``rows_in`` rows, for an error that says why too
        little remains ("" when nothing was dropped)."""
        threshold = "" if self.rating_threshold is None else f" {self.rating_threshold:g}"
        parts = [
            (self.missing_ids_dropped, "without a user or item id"),
            (self.invalid_ratings_dropped, "with a rating that is not a number"),
            (self.below_threshold_dropped, f"rated below the minimum rating{threshold}"),
            (self.duplicates_merged, "repeating an earlier (user, item) pair"),
            (
                self.rows_of_rare_users_or_items_dropped,
                f"of users with < {self.min_user_interactions} or items with < "
                f"{self.min_item_interactions} interactions",
            ),
        ]
        said = [f"{n} {why}" for n, why in parts if n]
        return f" (of {self.rows_in} rows, dropped: {'; '.join(said)})" if said else ""


def ids_as_strings(values: pd.Series) -> pd.Series:
    """Ids as stripped strings; floats that hold integers (a CSV column with gaps) lose '.0'."""

    def one(value: Any) -> Any:
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
            return None
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        text = str(value).strip()
        return text or None

    return values.map(one).astype(object)


def parse_times(values: pd.Series, column: str) -> np.ndarray:
    """Timestamps as float seconds: numbers are taken as Unix seconds, text is parsed as dates;
    a missing time is NaN (so a column of numbers with gaps is still read as seconds)."""
    present = values.notna().to_numpy()
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric[present].notna().all():
        return numeric.to_numpy(dtype=np.float64)
    try:
        parsed = pd.to_datetime(values, errors="raise", utc=True, format="mixed")
    except (ValueError, TypeError) as exc:
        raise DataError(
            f"the time column {column!r} holds values that are neither numbers nor dates: {exc}",
            field=column,
        ) from exc
    # whatever unit pandas stores (ns or us), as float seconds; NaT becomes NaN
    seconds = (parsed - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(1, "s")
    return np.asarray(seconds, dtype=np.float64)


def clean_interactions(
    frame: pd.DataFrame,
    columns: dict[str, str],
    *,
    rating_threshold: float | None = None,
    min_user_interactions: int = DEFAULT_MIN_USER_INTERACTIONS,
    min_item_interactions: int = DEFAULT_MIN_ITEM_INTERACTIONS,
    catalog_ids: set[str] | None = None,
) -> tuple[pd.DataFrame, InteractionReport]:
    """Return a frame with columns ``user``, ``item`` (strings), ``rating`` and ``time`` (floats,
    NaN when absent), one row per (user, item), and the report.

    Every interaction counts as a positive signal unless ``rating_threshold`` is set, in which
    case rows rated below it are dropped (explicit ratings turned into implicit feedback).
    Duplicate (user, item) rows keep the latest (or last) one.
    """
    report = InteractionReport(
        rows_in=len(frame),
        rating_threshold=rating_threshold,
        min_user_interactions=min_user_interactions,
        min_item_interactions=min_item_interactions,
    )
    out = pd.DataFrame(
        {
            "user": ids_as_strings(frame[columns["user"]]),
            "item": ids_as_strings(frame[columns["item"]]),
        }
    )
    rating_col = columns.get("rating")
    out["rating"] = (
        pd.to_numeric(frame[rating_col], errors="coerce") if rating_col else np.float64(1.0)
    )
    time_col = columns.get("time")
    out["time"] = parse_times(frame[time_col], time_col) if time_col else np.nan
    missing = out["user"].isna() | out["item"].isna()
    report.missing_ids_dropped = int(missing.sum())
    out = out.loc[~missing]
    if rating_col:
        invalid = out["rating"].isna()
        report.invalid_ratings_dropped = int(invalid.sum())
        out = out.loc[~invalid]
        if rating_threshold is not None:
            low = out["rating"] < rating_threshold
            report.below_threshold_dropped = int(low.sum())
            out = out.loc[~low]
    before = len(out)
    order = out.assign(_row=np.arange(len(out))).sort_values(["time", "_row"], na_position="first")
    out = order.drop_duplicates(["user", "item"], keep="last").sort_values("_row")
    out = out.drop(columns="_row")
    report.duplicates_merged = before - len(out)
    if min_user_interactions > 1 or min_item_interactions > 1:
        user_counts = out["user"].map(out["user"].value_counts())
        item_counts = out["item"].map(out["item"].value_counts())
        rare = (user_counts < min_user_interactions) | (item_counts < min_item_interactions)
        report.users_below_minimum = int(
            out.loc[user_counts < min_user_interactions, "user"].nunique()
        )
        report.items_below_minimum = int(
            out.loc[item_counts < min_item_interactions, "item"].nunique()
        )
        report.rows_of_rare_users_or_items_dropped = int(rare.sum())
        out = out.loc[~rare]
    out = out.reset_index(drop=True)
    if catalog_ids is not None:
        unknown = ~out["item"].isin(catalog_ids)
        report.unknown_item_interactions = int(unknown.sum())
        report.unknown_items = int(out.loc[unknown, "item"].nunique())
        if report.unknown_items:
            report.warnings.append(
                f"{report.unknown_items} item(s) in the log are not in the catalog "
                f"({report.unknown_item_interactions} interactions): kept, without title or tags"
            )
    report.rows_out = len(out)
    report.users = int(out["user"].nunique())
    report.items = int(out["item"].nunique())
    if report.rows_out == 0:
        raise DataError(f"no usable interactions remain after cleaning{report.dropped()}")
    if report.users < 2 or report.items < 2:
        raise DataError(
            f"{report.users} user(s) and {report.items} item(s) remain after cleaning: a "
            f"recommender needs at least two of each{report.dropped()}"
        )
    return out, report
