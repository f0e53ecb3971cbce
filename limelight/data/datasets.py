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
