"""Batch scoring: every input format, atomic output, resume after an interruption, clean failure."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from limelight.errors import DataError, InvalidInput
from limelight.registry import Registry
from limelight.runtime import LoadedModel, load
from limelight.runtime.scoring import score_file
from tests.conftest import train_tiny

TEXTS = ["What a wonderful film", "A dull, lifeless mess", "I loved every minute"] * 7


@pytest.fixture
def model(registry: Registry) -> LoadedModel:
    train_tiny(registry)
    return load(registry, "review-sentiment")


def write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_parquet(path)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_every_format_scores_every_row(model: LoadedModel, tmp_path: Path, suffix: str) -> None:
    frame = pd.DataFrame({"id": range(len(TEXTS)), "review": TEXTS})
    source = write(frame, tmp_path / f"in{suffix}")
    seen: list[tuple[int, float]] = []
    result = score_file(
        model,
        source,
        tmp_path / "out.parquet",
        chunk_size=5,
        columns={"text": "review"},
        on_chunk=lambda rows, fraction: seen.append((rows, fraction)),
    )
    assert (result.rows, result.chunks) == (21, 5)
    assert [r for r, _ in seen] == [5, 10, 15, 20, 21] and seen[-1][1] == pytest.approx(1.0)
    table = pq.read_table(tmp_path / "out.parquet")
    assert table.schema.metadata[b"limelight.version"] == b"1"
    out = table.to_pandas()
    assert list(out["id"]) == list(range(21))
    expected = [o["label"] for o in model.predict(TEXTS)]
    assert list(out["label"]) == expected
    assert (out["scores.positive"] + out["scores.negative"]).round(4).eq(1).all()
    assert not (tmp_path / "out.parquet.parts").exists()


def test_resume_after_interruption_scores_only_the_rest(model: LoadedModel, tmp_path: Path) -> None:
    source = write(pd.DataFrame({"text": TEXTS}), tmp_path / "in.csv")
    output = tmp_path / "out.parquet"
    calls: list[int] = []
    crash = [True]
    original = model.predict_batch

    class Stop(Exception):
        pass

    def flaky(inputs):  # type: ignore[no-untyped-def]
        calls.append(len(inputs))
        if crash[0] and len(calls) == 3:
            raise Stop  # the process dies in the third chunk
        return original(inputs)

    model.predict_batch = flaky  # type: ignore[method-assign]
    with pytest.raises(Stop):
        score_file(model, source, output, chunk_size=5)
    assert not output.exists()  # nothing half-written where the output belongs
    assert len(list((tmp_path / "out.parquet.parts").glob("part-*.parquet"))) == 2
    calls.clear()
    crash[0] = False
    result = score_file(model, source, output, chunk_size=5)
    assert result.resumed_chunks == 2 and calls == [5, 5, 1]  # chunks 3-5 only
    assert len(pq.read_table(output)) == 21
    calls.clear()
    crash[0] = True
    with pytest.raises(Stop):
        score_file(model, source, output, chunk_size=5)
    with pytest.raises(InvalidInput, match="chunk_size"):  # other settings: no silent mixing
        score_file(model, source, output, chunk_size=4)
    crash[0] = False
    result = score_file(model, source, output, chunk_size=5, resume=False)
    assert result.resumed_chunks == 0


def test_bad_rows_and_files_fail_cleanly(model: LoadedModel, tmp_path: Path) -> None:
    frame = pd.DataFrame({"text": [*TEXTS[:6], None, "ok"]})
    source = write(frame, tmp_path / "in.jsonl")
    with pytest.raises(InvalidInput, match="row 7"):
        score_file(model, source, tmp_path / "out.parquet", chunk_size=4)
    assert not (tmp_path / "out.parquet").exists()
    with pytest.raises(DataError, match="no column 'text'"):
        score_file(
            model, write(pd.DataFrame({"x": ["a"]}), tmp_path / "x.csv"), tmp_path / "o.parquet"
        )
    with pytest.raises(InvalidInput, match=r"\.csv, \.tsv"):
        score_file(model, tmp_path / "in.txt", tmp_path / "o.parquet")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataError, match="Parquet"):
        score_file(model, tmp_path / "broken.parquet", tmp_path / "o.parquet")
    with pytest.raises(InvalidInput, match="parquet"):
        score_file(model, source, tmp_path / "out.csv")
