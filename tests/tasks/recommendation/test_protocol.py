"""The evaluation protocol: reproducible per-user splits, metrics, cleaning report."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from limelight.data.datasets import movielens_ratings
from limelight.errors import DataError
from limelight.tasks.recommendation.algorithms.base import Scorer
from limelight.tasks.recommendation.evaluation import ranking_metrics
from limelight.tasks.recommendation.interactions import clean_interactions, parse_times
from limelight.tasks.recommendation.split import leave_last_out, per_user_split
from tests.tasks.recommendation.synthetic import interactions

COLUMNS = {"user": "user_id", "item": "item_id", "rating": "rating", "time": "ts"}


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    return clean_interactions(frame, COLUMNS)[0]


def test_per_user_split_is_per_user_75_25_and_reproducible() -> None:
    frame = _clean(interactions())
    train, test = per_user_split(frame, 0.75, seed=42)
    again_train, _ = per_user_split(frame, 0.75, seed=42)
    other_train, _ = per_user_split(frame, 0.75, seed=7)
    pd.testing.assert_frame_equal(train, again_train)
    assert not train.equals(other_train)
    assert len(train) + len(test) == len(frame)
    for user, group in frame.groupby("user"):
        n_train = int((train["user"] == user).sum())
        assert n_train == round(0.75 * len(group))
        pairs = set(zip(train.loc[train.user == user, "item"], strict=True))
        assert pairs.isdisjoint(set(zip(test.loc[test.user == user, "item"], strict=True)))


def test_per_user_split_trains_on_each_users_smallest_draws() -> None:
    """Microsoft Recommenders' rule: one draw per row from RandomState(seed).rand in the
    frame's order; each user trains on the rows with the round(0.75 n) smallest draws."""
    frame = _clean(interactions())
    train, _ = per_user_split(frame, 0.75, seed=42)
    draws = pd.Series(np.random.RandomState(42).rand(len(frame)), index=frame.index)
    for user, group in frame.groupby("user"):
        smallest = draws[group.index].nsmallest(round(0.75 * len(group))).index
        assert set(frame.loc[smallest, "item"]) == set(train.loc[train.user == user, "item"])


def test_per_user_split_is_microsoft_recommenders_split_on_movielens(data_dir: Path) -> None:
    """The same test set as the published figures: the sha256 of the sorted (user, item) test
    pairs that recommenders 1.2.1's python_stratified_split(ratio=0.75, seed=42) gives on
    u.data (read in file order, user and item as integers), computed with that library."""
    ratings = movielens_ratings(data_dir)
    clean = clean_interactions(
        ratings, {"user": "user_id", "item": "item_id", "rating": "rating", "time": "timestamp"}
    )[0]
    train, test = per_user_split(clean, 0.75, seed=42)
    pairs = sorted(zip(test["user"].astype(int), test["item"].astype(int), strict=True))
    digest = hashlib.sha256("\n".join(f"{u}\t{i}" for u, i in pairs).encode()).hexdigest()
    assert (len(train), len(test)) == (74_992, 25_008)
    assert digest == "b86ac4b1ad4bfe9068d23e54f79488e80d608faf8a315122d49f0e5763cdecf9"


def test_leave_last_out_takes_each_users_latest() -> None:
    frame = _clean(interactions())
    train, test = leave_last_out(frame)
    assert len(test) == frame["user"].nunique()
    for row in test.itertuples():
        assert row.time == frame.loc[frame.user == row.user, "time"].max()
    assert len(train) + len(test) == len(frame)
    with pytest.raises(DataError, match="time"):
        leave_last_out(frame.assign(time=np.nan))


def test_cleaning_report_counts_duplicates_threshold_and_unknown_items() -> None:
    frame = pd.DataFrame(
        {
            "user_id": ["a", "a", "a", "b", "b", None, "c"],
            "item_id": ["1", "1", "2", "1", "3", "1", "9"],
            "rating": [5, 4, 2, 5, 4, 5, 5],
            "ts": [1, 2, 3, 4, 5, 6, 7],
        }
    )
    clean, report = clean_interactions(
        frame, COLUMNS, rating_threshold=3.5, catalog_ids={"1", "2", "3"}
    )
    assert report.missing_ids_dropped == 1
    assert report.below_threshold_dropped == 1
    assert report.duplicates_merged == 1
    assert report.unknown_items == 1 and report.unknown_item_interactions == 1
    assert report.rows_out == len(clean) == 4
    assert clean.loc[(clean.user == "a") & (clean.item == "1"), "rating"].item() == 4  # latest
    assert report.warnings


def test_too_little_left_after_cleaning_says_what_was_dropped() -> None:
    frame = pd.DataFrame(
        {
            "user_id": ["a", "b", None, "c", "c", "d"],
            "item_id": ["1", "2", "3", "4", "4", "5"],
            "rating": ["5", "oops", "5", "1", "2", "1"],
            "ts": [1, 2, 3, 4, 5, 6],
        }
    )
    with pytest.raises(DataError) as raised:
        clean_interactions(frame, COLUMNS, rating_threshold=3)
    assert str(raised.value) == (
        "1 user(s) and 1 item(s) remain after cleaning: a recommender needs at least two of "
        "each (of 6 rows, dropped: 1 without a user or item id; 1 with a rating that is not a "
        "number; 3 rated below the minimum rating 3)"
    )
    with pytest.raises(DataError, match=r"no usable .* \(of 2 rows, dropped: 2 of users with < 2"):
        clean_interactions(frame.iloc[[0, 3]], COLUMNS, min_user_interactions=2)


class _Fixed(Scorer):
    def __init__(self, scores: np.ndarray) -> None:
        self.scores = scores

    def fit(self, X: sp.csr_matrix, content: np.ndarray | None, seed: int) -> _Fixed:
        return self

    def score(self, rows: sp.csr_matrix, users: np.ndarray) -> np.ndarray:
        return self.scores[users]

    def arrays(self) -> dict[str, np.ndarray]:
        return {}

    def restore(self, arrays: dict[str, np.ndarray], content: np.ndarray | None) -> _Fixed:
        return self


def test_metrics_by_hand_with_training_items_removed() -> None:
    # 1 user, 12 items; item 0 is in training and scores highest, so it must be skipped.
    scores = np.arange(12, 0, -1, dtype=np.float64)[None, :]
    train = sp.csr_matrix(([1.0], ([0], [0])), shape=(1, 12))
    test = sp.csr_matrix(([1.0, 1.0], ([0, 0], [1, 5])), shape=(1, 12))
    m = ranking_metrics(_Fixed(scores), train, test, k=10)
    # top-10 after removing item 0: items 1..10; hits at ranks 1 and 5
    dcg = 1 / np.log2(2) + 1 / np.log2(6)
    idcg = 1 / np.log2(2) + 1 / np.log2(3)
    assert m["ndcg@10"] == pytest.approx(dcg / idcg, abs=1e-6)
    assert m["precision@10"] == pytest.approx(0.2)
    assert m["recall@10"] == pytest.approx(1.0)
    assert m["map@10"] == pytest.approx((1 / 1 + 2 / 5) / 2, abs=1e-6)
    assert m["hit_rate@10"] == 1.0
    assert m["coverage@10"] == pytest.approx(10 / 12)


def test_missing_times_stay_missing_and_numbers_with_gaps_stay_seconds() -> None:
    seconds = parse_times(pd.Series([1_600_000_000, None, 1_600_000_060]), "ts")
    assert seconds[0] == 1_600_000_000 and np.isnan(seconds[1]) and seconds[2] == 1_600_000_060
    dates = parse_times(pd.Series(["2020-01-01", None, "2020-01-02"]), "ts")
    assert dates[0] == 1_577_836_800 and np.isnan(dates[1]) and dates[2] - dates[0] == 86_400
    with pytest.raises(DataError, match="neither numbers nor dates"):
        parse_times(pd.Series(["2020-01-01", "soon"]), "ts")
    # leave-last-out then asks for the missing time instead of ordering by a made-up one
    frame = interactions().astype({"ts": "float64"})
    frame.loc[3, "ts"] = np.nan
    with pytest.raises(DataError, match="needs a time for every interaction"):
        leave_last_out(_clean(frame))
