"""A tiny generated interaction log with structure: users prefer one genre of items."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

GENRES = ("Comedy", "Horror", "Drama", "Sci-Fi")


def interactions(
    users: int = 60, items: int = 80, per_user: int = 10, seed: int = 0
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(users):
        genre = u % len(GENRES)
        mine = [i for i in range(items) if i % len(GENRES) == genre]
        other = [i for i in range(items) if i % len(GENRES) != genre]
        # popular items of the genre first: a skewed choice within the genre
        weights = np.linspace(2.0, 1.0, len(mine))
        picked = rng.choice(
            mine, size=min(per_user - 2, len(mine)), replace=False, p=weights / weights.sum()
        )
        picked = [*picked.tolist(), *rng.choice(other, size=2, replace=False).tolist()]
        for t, item in enumerate(picked):
            rows.append(
                (f"u{u}", f"i{item}", float(rng.integers(1, 6)), 1_600_000_000 + 3600 * t + u)
            )
    return pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "ts"])


def catalog(items: int = 80, extra_items: int = 4) -> pd.DataFrame:
    """Items of the log plus ``extra_items`` that nobody interacted with (cold items)."""
    words = {
        "Comedy": "a funny light-hearted comedy with jokes and laughs",
        "Horror": "a scary horror film with ghosts, blood and screams",
        "Drama": "a serious emotional drama about family and loss",
        "Sci-Fi": "a science fiction adventure with spaceships and robots in space",
    }
    rows = []
    for i in range(items + extra_items):
        genre = GENRES[i % len(GENRES)]
        rows.append((f"i{i}", f"Film {i}", genre, words[genre], 1990 + i % 10))
    return pd.DataFrame(rows, columns=["item_id", "title", "genres", "description", "year"])


#: users 0-1 take items 0-1 (one kind), users 2-3 items 2-3 (another); items 4 (of the first
#: kind) and 5 (of the second) have no interactions
TWO_KINDS = np.array(
    [[1, 1, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 0, 0], [0, 0, 1, 1, 0, 0]],
    dtype=np.float32,
)


def assert_cold_item_of_the_same_kind_first(plain: Any, informed: Any) -> None:
    """Fitted on ``TWO_KINDS``: plain EASE cannot score the two cold items (exactly 0), while
    a model with side information ranks, for someone who took item 0, the cold item of item 0's
    kind (4) above the other (5)."""
    probe = sp.csr_matrix(np.array([[1, 0, 0, 0, 0, 0]], np.float32))
    assert np.allclose(plain.score(probe, np.array([-1]))[0, 4:], 0)
    scores = informed.score(probe, np.array([-1]))[0]
    assert scores[4] > 0 and scores[4] > scores[5]
