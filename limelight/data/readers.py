"""Read a table from CSV, TSV, JSONL or Parquet (or take a pandas DataFrame) and choose columns."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from limelight.errors import DataError

SUPPORTED = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}


def detect_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    for suffix in reversed(suffixes):
        if suffix in SUPPORTED:
            return SUPPORTED[suffix]
    raise DataError(
        f"cannot tell the format of {path.name!r}: use a .csv, .tsv, .jsonl or .parquet file",
        field="data",
    )


def read_table(
    source: str | Path | pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    dtype_str: Sequence[str] = (),
) -> pd.DataFrame:
    """Return the rows of ``source`` restricted to ``columns`` (all columns when None).

    Columns named in ``dtype_str`` are read as strings (ids that look numeric stay as written).
    Raises DataError for a missing or unreadable file, an empty table or an unknown column.
    """
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
    else:
        path = Path(source)
        if not path.is_file():
            raise DataError(f"data file not found: {path}", field="data")
        fmt = detect_format(path)
        string_cols = dict.fromkeys(dtype_str, "string")
        try:
            if fmt in ("csv", "tsv"):
                if path.stat().st_size == 0:
                    raise DataError(
                        f"{path.name} is empty: it has no header and no rows", field="data"
                    )
                frame = pd.read_csv(
                    path,
                    sep="\t" if fmt == "tsv" else ",",
                    dtype=string_cols or None,
                    keep_default_na=True,
                    encoding="utf-8",
                    encoding_errors="strict",
                )
            elif fmt == "jsonl":
                if path.stat().st_size == 0:
                    raise DataError(f"{path.name} is empty: it has no rows", field="data")
                frame = pd.read_json(path, lines=True, dtype=string_cols or None)
            else:
                frame = pd.read_parquet(path)
        except DataError:
            raise
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{path.name} is not valid UTF-8 text ({exc.reason} at byte {exc.start}): "
                "re-encode it as UTF-8",
                field="data",
            ) from exc
        except (ValueError, OSError, pd.errors.ParserError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataError(f"cannot read {path.name} as {fmt}: {first}", field="data") from exc
    if frame.shape[1] == 0 or len(frame) == 0:
        raise DataError("the data has no rows", field="data")
    if columns is not None:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            available = ", ".join(map(str, frame.columns[:20]))
            raise DataError(
                f"unknown column {missing[0]!r}; the data has: {available}", field=missing[0]
            )
        frame = frame.loc[:, list(dict.fromkeys(columns))]
    return frame.reset_index(drop=True)
