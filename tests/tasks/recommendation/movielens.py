"""MovieLens-100K as the recommendation task reads it: u.data as an interaction frame, u.item
(latin-1, '|'-separated, 19 genre flags) as a catalog frame. Read from the shared data folder,
never copied."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance",
    "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip


def ratings(folder: Path) -> pd.DataFrame:
    return pd.read_csv(
        folder / "u.data",
        sep="\t",
        names=["user_id", "item_id", "rating", "timestamp"],
        dtype={"user_id": str, "item_id": str},
    )


def catalog(folder: Path) -> pd.DataFrame:
    raw = pd.read_csv(
        folder / "u.item", sep="|", header=None, encoding="latin-1", dtype={0: str}
    )
    flags = raw.iloc[:, 5:24].to_numpy()
    genres = ["|".join(g for g, on in zip(GENRES, row, strict=True) if on) for row in flags]
    year = pd.to_datetime(raw[2], format="%d-%b-%Y", errors="coerce").dt.year
    return pd.DataFrame(
        {"item_id": raw[0], "title": raw[1], "genres": genres, "year": year.astype("float")}
    )
