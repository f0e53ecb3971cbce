"""Loaders for the shared real data sets (read by path from LIMELIGHT_DATA_DIR, never copied).

They turn the files of ``../shared/data`` into the tables Limelight trains on; tests and
benchmarks use them, and users can too.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from limelight.errors import DataError
from limelight.settings import Settings


def data_dir(settings: Settings | None = None) -> Path:
    found = (settings or Settings()).resolved_data_dir
    if found is None:
        raise DataError(
            "the shared data sets were not found: set LIMELIGHT_DATA_DIR to their folder"
        )
    return found


def rt_polarity(root: Path) -> pd.DataFrame:
    """Rotten Tomatoes sentence polarity v1.0 (UTF-8 copy): columns ``text``, ``label``."""
    frames = []
    for label in ("positive", "negative"):
        suffix = "pos" if label == "positive" else "neg"
        path = root / "rt-polarity" / "utf8" / f"rt-polarity.{suffix}"
        if not path.is_file():
            raise DataError(f"missing {path}")
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        frames.append(pd.DataFrame({"text": lines, "label": label}))
    return pd.concat(frames, ignore_index=True)


def sst2(root: Path, split: str) -> pd.DataFrame:
    """SST-2 (GLUE) ``train`` or ``dev``: columns ``text``, ``label`` (negative/positive)."""
    path = root / "sst2" / f"{split}.tsv"
    if not path.is_file():
        raise DataError(f"missing {path}")
    frame = pd.read_csv(path, sep="\t", quoting=3, dtype={"sentence": str})
    labels = frame["label"].map({0: "negative", 1: "positive"})
    return pd.DataFrame({"text": frame["sentence"].str.strip(), "label": labels})


CRITEO_NUMERIC = [f"I{i}" for i in range(1, 14)]
CRITEO_CATEGORICAL = [f"C{i}" for i in range(1, 27)]
CRITEO_COLUMNS = ["label", *CRITEO_NUMERIC, *CRITEO_CATEGORICAL]
MOVIELENS_GENRES = [
    "unknown",
    "action",
    "adventure",
    "animation",
    "children",
    "comedy",
    "crime",
    "documentary",
    "drama",
    "fantasy",
    "film_noir",
    "horror",
    "musical",
    "mystery",
    "romance",
    "sci_fi",
    "thriller",
    "war",
    "western",
]


def _file(path: Path) -> Path:
    if not path.is_file():
        raise DataError(f"data file not found: {path} (set LIMELIGHT_DATA_DIR)", field="data")
    return path


def criteo(data_dir: Path, split: str = "train", rows: int | None = None) -> pd.DataFrame:
    """Criteo ad clicks: ``label`` (1 = click), I1-I13 (counts), C1-C26 (hashed categories,
    as strings). The files are tab-separated without a header, despite their .csv names."""
    if split not in ("train", "dev", "test"):
        raise DataError("criteo split is one of train, dev, test", field="split")
    path = _file(Path(data_dir) / "criteo-sample" / f"{split}.csv")
    frame = pd.read_csv(
        path,
        sep="\t",
        header=None,
        names=CRITEO_COLUMNS,
        nrows=rows,
        dtype={c: object for c in CRITEO_CATEGORICAL},
    )
    return frame


def netflix_titles(data_dir: Path, rows: int | None = None) -> pd.DataFrame:
    """The Netflix catalog (a real CSV parser: descriptions contain quoted newlines)."""
    path = _file(Path(data_dir) / "netflix-titles" / "netflix_titles.csv")
    return pd.read_csv(path, nrows=rows, dtype={"release_year": "float64"})


def movielens_movie_ratings(data_dir: Path, min_ratings: int = 5) -> pd.DataFrame:
    """One row per MovieLens-100K movie rated at least ``min_ratings`` times: its 19 genre flags
    (booleans), release year and number of ratings, and ``mean_rating``, the regression target."""
    folder = Path(data_dir) / "movielens-100k"
    items = pd.read_csv(
        _file(folder / "u.item"),
        sep="|",
        header=None,
        encoding="latin-1",
        names=["item", "title", "release_date", "video_date", "url", *MOVIELENS_GENRES],
    )
    ratings = pd.read_csv(
        _file(folder / "u.data"), sep="\t", header=None, names=["user", "item", "rating", "ts"]
    )
    stats = ratings.groupby("item")["rating"].agg(["mean", "count"])
    frame = items.join(stats, on="item")
    frame = frame.loc[frame["count"] >= min_ratings].copy()
    year = pd.to_datetime(frame["release_date"], format="%d-%b-%Y", errors="coerce").dt.year
    out = pd.DataFrame({"release_year": year.astype("float64"), "ratings": frame["count"]})
    for genre in MOVIELENS_GENRES:
        out[genre] = frame[genre].astype(bool)
    out["mean_rating"] = frame["mean"].round(4)
    return out.reset_index(drop=True)


MOVIELENS_GENRE_NAMES = (  # as the catalog shows them
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance",
    "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip


def movielens_ratings(root: Path) -> pd.DataFrame:
    """MovieLens-100K ``u.data``: columns ``user_id``, ``item_id`` (strings), ``rating``,
    ``timestamp`` (Unix seconds)."""
    path = root / "movielens-100k" / "u.data"
    if not path.is_file():
        raise DataError(f"missing {path}")
    return pd.read_csv(
        path,
        sep="\t",
        names=["user_id", "item_id", "rating", "timestamp"],
        dtype={"user_id": str, "item_id": str},
    )


def movielens_items(root: Path) -> pd.DataFrame:
    """MovieLens-100K ``u.item`` (latin-1, '|'-separated, 19 genre flags) as a catalog:
    ``item_id``, ``title``, ``genres`` ('|'-joined names), ``year`` (of release)."""
    path = root / "movielens-100k" / "u.item"
    if not path.is_file():
        raise DataError(f"missing {path}")
    raw = pd.read_csv(path, sep="|", header=None, encoding="latin-1", dtype={0: str})
    flags = raw.iloc[:, 5:24].to_numpy()
    genres = [
        "|".join(g for g, on in zip(MOVIELENS_GENRE_NAMES, row, strict=True) if on) for row in flags
    ]
    year = pd.to_datetime(raw[2], format="%d-%b-%Y", errors="coerce").dt.year
    return pd.DataFrame(
        {"item_id": raw[0], "title": raw[1], "genres": genres, "year": year.astype("float")}
    )
