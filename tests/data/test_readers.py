from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from limelight.data import read_table
from limelight.errors import DataError

FRAME = pd.DataFrame(
    {"review": ["good film", "bad film"], "sentiment": ["pos", "neg"], "x": [1, 2]}
)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet"])
def test_reads_every_format_and_chooses_columns(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"data{suffix}"
    if suffix == ".csv":
        FRAME.to_csv(path, index=False)
    elif suffix == ".tsv":
        FRAME.to_csv(path, sep="\t", index=False)
    elif suffix == ".jsonl":
        FRAME.to_json(path, orient="records", lines=True)
    else:
        FRAME.to_parquet(path)
    out = read_table(path, ["review", "sentiment"])
    assert list(out.columns) == ["review", "sentiment"]
    assert out["review"].tolist() == ["good film", "bad film"]


def test_dataframe_is_copied_not_mutated() -> None:
    out = read_table(FRAME, ["x"])
    out.loc[0, "x"] = 99
    assert FRAME.loc[0, "x"] == 1


def test_unknown_column_names_the_column_and_lists_the_others(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"unknown column 'text'.*review, sentiment") as info:
        read_table(FRAME, ["text"])
    assert info.value.field == "text"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        read_table(tmp_path / "nope.csv")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(DataError, match="empty"):
        read_table(path)


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("review,sentiment\n")
    with pytest.raises(DataError, match="no rows"):
        read_table(path)


def test_unreadable_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    path.write_bytes(b"\x00\x01not a parquet file")
    with pytest.raises(DataError, match=r"cannot read data\.parquet"):
        read_table(path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("review,sentiment\ncaf\xe9 ok,pos\n".encode("latin-1"))
    with pytest.raises(DataError, match="not valid UTF-8"):
        read_table(path)


def test_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "data.xlsx"
    path.write_text("x")
    with pytest.raises(DataError, match="cannot tell the format"):
        read_table(path)


def test_malformed_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text('{"a": 1}\n{not json\n')
    with pytest.raises(DataError, match=r"cannot read data\.jsonl"):
        read_table(path)
