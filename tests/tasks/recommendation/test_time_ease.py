"""time-ease: the time-weighted Gram, its alignment with the interactions, exact forget, and
what auto mode does without a time column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from limelight.errors import InvalidInput
from limelight.registry import Registry
from limelight.runtime import load
from limelight.tasks.recommendation import Recommender
from limelight.tasks.recommendation.algorithms import ALGORITHMS
from limelight.tasks.recommendation.algorithms.time_ease import time_gram, without_row
from limelight.tasks.recommendation.schemas import RecommendInput
from limelight.tasks.recommendation.task import matrix, rating_matrix, time_matrix
from limelight.training import train
from tests.tasks.recommendation.synthetic import interactions

COLUMNS = {"user": "user_id", "item": "item_id", "rating": "rating", "time": "ts"}
HOUR, MONTH = 3600.0, 30 * 86400.0


def frame_of(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["user", "item", "time"])


def test_time_matrix_has_the_interactions_sparsity_and_keeps_the_latest_time() -> None:
    frame = frame_of([("b", "y", 5.0), ("a", "x", 0.0), ("a", "y", 7.0), ("a", "x", 3.0)])
    users, items = {"a": 0, "b": 1}, {"x": 0, "y": 1}
    times = time_matrix(frame, users, items)
    assert times is not None
    X = matrix(frame, users, items)
    assert np.array_equal(times.indptr, X.indptr) and np.array_equal(times.indices, X.indices)
    assert times.toarray().tolist() == [[3.0, 7.0], [0.0, 5.0]]
    assert time_matrix(frame.assign(time=np.nan), users, items) is None
    # a time of exactly 0 stays a stored entry when another row is removed
    zero = time_matrix(frame_of([("a", "x", 0.0), ("b", "y", 1.0)]), users, items)
    assert zero is not None and without_row(zero, 1).nnz == 1


def test_pairs_taken_close_in_time_weigh_more() -> None:
    # one user took items 0 and 1 a minute apart and item 2 a month later
    times = sp.csr_matrix(np.array([[1000.0, 1060.0, 1000.0 + MONTH]]))
    gram = time_gram(times, tau=60.0, beta=0.2)
    assert gram[0, 0] == pytest.approx(1.2)
    assert gram[0, 1] == pytest.approx(np.exp(-1) + 0.2)
    assert gram[0, 2] == pytest.approx(0.2)
    assert np.allclose(gram, gram.T)


def sessions() -> pd.DataFrame:
    """Every user takes items in two sittings months apart: A then B within a minute, then C.
    As co-occurrence counts, B and C are tied for A; only the times tell them apart."""
    rows = []
    for u in range(30):
        base = 1_600_000_000 + u * HOUR
        a, b, c = (u % 3) * 3, (u % 3) * 3 + 1, ((u + 1) % 3) * 3 + 2
        rows += [(f"u{u}", f"i{a}", 4.0, base), (f"u{u}", f"i{b}", 4.0, base + 60)]
        rows += [(f"u{u}", f"i{c}", 4.0, base + MONTH)]
    return pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "ts"])


def test_time_ease_uses_the_times_and_ease_cannot() -> None:
    log = sessions()
    users = {u: i for i, u in enumerate(sorted(log["user_id"].unique()))}
    items = {v: i for i, v in enumerate(sorted(log["item_id"].unique()))}
    frame = log.rename(columns={"user_id": "user", "item_id": "item", "ts": "time"})
    X, times = matrix(frame, users, items), time_matrix(frame, users, items)
    probe = sp.csr_matrix(([1.0], [items["i0"]], [0, 1]), shape=(1, len(items)))
    timed = ALGORITHMS["time-ease"](l2=1.0).build(0).fit(X, None, 0, times=times)
    scores = timed.score(probe, np.asarray([-1]))[0]
    assert scores[items["i1"]] > 2 * scores[items["i5"]] > 0  # i1: same sitting; i5: later
    plain = ALGORITHMS["ease"](l2=1.0).build(0).fit(X, None, 0).score(probe, np.asarray([-1]))
    assert plain[0][items["i1"]] == pytest.approx(plain[0][items["i5"]], rel=1e-5)


def test_time_ease_trains_serves_and_forgets_exactly(registry: Registry) -> None:
    log = interactions()
    version = train(
        registry, "recommendation", log, name="timed", columns=COLUMNS, algorithm="time-ease"
    )
    grid = ALGORITHMS["time-ease"].grid
    assert {k: version.manifest["params"][k] for k in ("tau", "beta", "l2")} in grid
    recs = load(registry, "timed").predictor
    assert isinstance(recs, Recommender)
    answer = recs.recommend(RecommendInput(user_id="u0", k=5))
    assert answer["strategy"] == "personalized"
    assert not {i["item_id"] for i in answer["items"]} & set(recs.history_of("u0"))
    session = recs.recommend(RecommendInput(user_id="new", k=5, recent_items=["i1", "i5"]))
    assert session["strategy"] == "session" and len(session["items"]) == 5

    result = recs.forget("u3")
    assert result["interactions_removed"] == int((log["user_id"] == "u3").sum())
    assert "time-weighted pairs" in result["forgotten"]
    assert recs.recommend(RecommendInput(user_id="u3", k=5))["strategy"] == "popular"
    # equal to a fit on the log without u3 (same user and item indices)
    users = {u: i for i, u in enumerate(sorted(log["user_id"].unique()))}
    items = {item: i for i, item in enumerate(recs.items)}
    rest = log[log["user_id"] != "u3"].rename(
        columns={"user_id": "user", "item_id": "item", "ts": "time"}
    )
    fresh = ALGORITHMS["time-ease"](**version.manifest["params"]).build(0)
    fresh.fit(
        matrix(rest, users, items),
        None,
        0,
        times=time_matrix(rest, users, items),
        ratings=rating_matrix(rest, users, items),
    )
    probe = sp.csr_matrix(recs._state.history[:8])
    np.testing.assert_allclose(
        recs._state.scorer.score(probe, np.full(8, -1)),
        fresh.score(probe, np.full(8, -1)),
        rtol=1e-4,
        atol=1e-5,
    )


def test_auto_skips_time_ease_without_a_time_column_and_naming_it_is_a_clear_error(
    registry: Registry,
) -> None:
    log = interactions().drop(columns="ts")
    columns = {"user": "user_id", "item": "item_id"}
    version = train(
        registry, "recommendation", log, name="untimed", columns=columns, algorithm="ease,time-ease"
    )
    assert version.manifest["selection"]["skipped"] == ["time-ease"]
    assert {row["algorithm"] for row in version.manifest["leaderboard"]} == {"ease"}
    with pytest.raises(InvalidInput, match="--time COLUMN"):
        train(registry, "recommendation", log, name="x", columns=columns, algorithm="time-ease")
    with pytest.raises(InvalidInput, match="tau > 0"):
        ALGORITHMS["time-ease"](tau=0.0).build(0)
    assert [m.name for m in registry.list_models()] == ["untimed"]
