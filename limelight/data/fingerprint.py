"""A stable fingerprint of the rows a model was trained on."""

from __future__ import annotations

import hashlib

import pandas as pd


def dataset_fingerprint(frame: pd.DataFrame) -> str:
    """sha256 over the column names and the values, row order included."""
    digest = hashlib.sha256()
    digest.update("\x1f".join(map(str, frame.columns)).encode())
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    digest.update(hashed.tobytes())
    return "sha256:" + digest.hexdigest()
