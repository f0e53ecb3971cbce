"""The evaluation protocol's splits: per-user stratified random, and time-ordered leave-last-out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from limelight.errors import DataError


def per_user_split(
    frame: pd.DataFrame, train_fraction: float = 0.75, seed: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The split of Microsoft Recommenders' MovieLens benchmark (``python_stratified_split``),
    row for row: every row draws a key from ``RandomState(seed).rand`` in the order of
    ``frame``; within each user the rows with the round(train_fraction * n) smallest keys
    (half to even, as Python's ``round``) are for training and the rest for testing. A user
    with one interaction keeps it for training."""
    if not 0 < train_fraction < 1:
        raise DataError("the train fraction must be between 0 and 1", field="train_fraction")
    keys = np.random.RandomState(seed).rand(len(frame))
    users = pd.factorize(frame["user"])[0]
    order = np.lexsort((keys, users))
    ordered = frame.iloc[order]
    rank = ordered.groupby("user", sort=False).cumcount().to_numpy()
    size = ordered.groupby("user", sort=False)["user"].transform("size").to_numpy()
    keep = rank < np.maximum(np.round(train_fraction * size), 1)
    return _sorted(ordered.loc[keep]), _sorted(ordered.loc[~keep])


def leave_last_out(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each user's latest interaction (by time) is the test part; users with one interaction
    stay in training."""
    if frame["time"].isna().any():
        raise DataError(
            "leave-last-out needs a time for every interaction: pass --time COLUMN",
            field="time",
        )
    ordered = frame.assign(_row=np.arange(len(frame))).sort_values(["user", "time", "_row"])
    last = ordered.groupby("user", sort=False).cumcount(ascending=False).to_numpy() == 0
    size = ordered.groupby("user", sort=False)["user"].transform("size").to_numpy()
    test = last & (size > 1)
    return _sorted(ordered.loc[~test].drop(columns="_row")), _sorted(
        ordered.loc[test].drop(columns="_row")
    )


def split(
    frame: pd.DataFrame, method: str, train_fraction: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    if method == "random":
        return per_user_split(frame, train_fraction, seed)
    if method == "leave-last-out":
        return leave_last_out(frame)
    raise DataError(f"unknown split {method!r}: use random or leave-last-out", field="split")


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_index().reset_index(drop=True)
