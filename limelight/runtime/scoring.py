"""Batch scoring: a CSV, TSV, JSONL or Parquet file through a loaded model, chunk by chunk, into
one Parquet file.

- The input is streamed in chunks of ``chunk_size`` rows (memory stays flat however big the file).
- Each scored chunk is written atomically as ``<output>.parts/part-NNNNNN.parquet`` beside a
  ``manifest.json`` naming the input (path, size, mtime), the model version and the options, so
  an interrupted run resumes where it stopped; a run with other settings refuses to mix.
- When every chunk is scored the parts are joined into ``<output>`` through a temporary file,
  fsynced and renamed into place: the output exists complete or not at all.
- A row that does not fit the model's input schema stops the run with its row number; no output
  is written.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from limelight.errors import DataError, InvalidInput
from limelight.runtime.model import LoadedModel

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}


@dataclass(frozen=True)
class ScoreResult:
    output: Path
    rows: int
    chunks: int
    resumed_chunks: int
    model: str
    version: int


def score_file(
    model: LoadedModel,
    source: Path,
    output: Path,
    *,
    chunk_size: int = 1000,
    columns: dict[str, str] | None = None,
    keep_columns: bool = True,
    constants: dict[str, Any] | None = None,
    resume: bool = True,
    on_chunk: Callable[[int, float], None] | None = None,
) -> ScoreResult:
    """Score ``source`` with ``model`` into ``output`` (Parquet). ``columns`` maps input fields
    to column names when they differ; ``constants`` fills fields for every row (e.g. ``k``);
    ``on_chunk(rows_done, fraction_done)`` reports progress."""
    source, output = Path(source), Path(output)
    kind = _kind(source)
    if chunk_size < 1:
        raise InvalidInput("the chunk size must be at least 1", field="chunk_size")
    if output.suffix != ".parquet":
        raise InvalidInput("the output must be a .parquet file", field="output")
    if output.resolve() == source.resolve():
        raise InvalidInput("the output must not overwrite the input", field="output")
    output.parent.mkdir(parents=True, exist_ok=True)
    parts = output.with_name(output.name + ".parts")
    manifest = {
        "source": str(source.resolve()),
        "size": source.stat().st_size,
        "mtime_ns": source.stat().st_mtime_ns,
        "model": model.name,
        "version": model.version,
        "chunk_size": chunk_size,
        "columns": columns or {},
        "keep_columns": keep_columns,
        "constants": constants or {},
    }
    resumed = _prepare_parts(parts, manifest, resume)
    fields = list(model.task.input_model.model_fields)
    mapping = {f: (columns or {}).get(f, f) for f in fields}
    rows = chunks = 0
    try:
        for index, (frame, fraction) in enumerate(_chunks(source, kind, chunk_size)):
            part = parts / f"part-{index:06d}.parquet"
            if not part.exists():
                table = _score_chunk(model, frame, mapping, constants or {}, keep_columns, rows)
                tmp = part.with_suffix(".tmp")
                pq.write_table(table, tmp)
                os.replace(tmp, part)
            rows += len(frame)
            chunks += 1
            if on_chunk is not None:
                on_chunk(rows, fraction)
    except BaseException:
        if not any(parts.glob("part-*.parquet")):  # nothing worth resuming
            shutil.rmtree(parts, ignore_errors=True)
        raise
    if chunks == 0:
        raise DataError(f"{source} has no rows to score", field="input")
    _join(parts, chunks, output, model)
    shutil.rmtree(parts, ignore_errors=True)
    return ScoreResult(output, rows, chunks, resumed, model.name, model.version)


def _kind(source: Path) -> str:
    kind = FORMATS.get(source.suffix.lower())
    if kind is None:
        raise InvalidInput(
            f"cannot score {source.name}: use a .csv, .tsv, .jsonl or .parquet file", field="input"
        )
    if not source.is_file():
        raise InvalidInput(f"input file {source} does not exist", field="input")
    return kind


def _prepare_parts(parts: Path, manifest: dict[str, Any], resume: bool) -> int:
    """Create or reuse the parts folder; return how many chunks are already scored."""
    stored = parts / "manifest.json"
    if parts.exists() and resume and stored.is_file():
        previous = json.loads(stored.read_text())
        scored = list(parts.glob("part-*.parquet"))
        if previous != manifest and scored:
            changed = sorted(k for k in manifest if previous.get(k) != manifest[k])
            raise InvalidInput(
                f"{parts} holds an interrupted run with other settings ({', '.join(changed)} "
                "differ); run again with --restart to discard it",
                field="output",
            )
        if previous == manifest:
            for tmp in parts.glob("*.tmp"):
                tmp.unlink()
            return len(scored)
    if parts.exists():
        shutil.rmtree(parts)
    parts.mkdir(parents=True)
    tmp = stored.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=2))
    os.replace(tmp, stored)
    return 0


def _chunks(source: Path, kind: str, size: int) -> Iterator[tuple[pd.DataFrame, float]]:
    """Frames of at most ``size`` rows, each with the fraction of the input read so far."""
    if kind == "parquet":
        try:
            reader = pq.ParquetFile(source)
        except (pa.ArrowInvalid, OSError) as exc:
            raise DataError(f"{source.name} is not a readable Parquet file: {exc}") from exc
        total = max(1, reader.metadata.num_rows)
        done = 0
        for batch in reader.iter_batches(batch_size=size):
            done += batch.num_rows
            yield batch.to_pandas(), done / total
        return
    total_bytes = max(1, source.stat().st_size)
    with source.open("rb") as handle:
        try:
            if kind == "jsonl":
                reader_any: Any = pd.read_json(handle, lines=True, chunksize=size)
            else:
                sep = "\t" if kind == "tsv" else ","
                reader_any = pd.read_csv(handle, sep=sep, chunksize=size)
            for frame in reader_any:
                yield frame, min(1.0, handle.tell() / total_bytes)
        except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise DataError(f"{source.name} cannot be read as {kind}: {exc}") from exc


def _score_chunk(
    model: LoadedModel,
    frame: pd.DataFrame,
    mapping: dict[str, str],
    constants: dict[str, Any],
    keep_columns: bool,
    offset: int,
) -> pa.Table:
    required = {n for n, f in model.task.input_model.model_fields.items() if f.is_required()}
    missing = [
        c
        for f, c in mapping.items()
        if f in required and f not in constants and c not in frame.columns
    ]
    if missing:
        have = ", ".join(map(str, frame.columns))
        raise DataError(
            f"the input has no column {missing[0]!r} (columns: {have}); map one with "
            f"--column {missing[0]}=COLUMN",
            field=missing[0],
        )
    records = frame.to_dict(orient="records")
    parsed = []
    for i, record in enumerate(records):
        raw = dict(constants)
        for field, column in mapping.items():
            if column in record and not _missing(record[column]):
                raw[field] = _plain(record[column])
        parsed.append(model.parse(raw, where=f"row {offset + i + 1}"))
    outputs = model.predict_batch(parsed)
    predictions = pd.DataFrame([_flatten(o) for o in outputs], index=frame.index)
    if keep_columns:
        clash = [c for c in predictions.columns if c in frame.columns]
        predictions = predictions.rename(columns={c: f"pred_{c}" for c in clash})
        predictions = pd.concat([frame, predictions], axis=1)
    return pa.Table.from_pandas(predictions, preserve_index=False)


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and dicts are values, not missing
        return False


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _flatten(output: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in output.items():
        if isinstance(value, dict):
            for sub, inner in value.items():
                flat[f"{key}.{sub}"] = inner
        elif isinstance(value, list | tuple):
            flat[key] = json.dumps(value, default=str)
        else:
            flat[key] = value
    return flat


def _join(parts: Path, chunks: int, output: Path, model: LoadedModel) -> None:
    files = [parts / f"part-{i:06d}.parquet" for i in range(chunks)]
    schema = pa.unify_schemas([pq.read_schema(f) for f in files], promote_options="permissive")
    schema = schema.with_metadata(
        {"limelight.model": model.name, "limelight.version": str(model.version)}
    )
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        with pq.ParquetWriter(tmp, schema) as writer:
            for f in files:
                table = pq.read_table(f)
                for name in schema.names:
                    if name not in table.column_names:
                        table = table.append_column(
                            name, pa.nulls(len(table), schema.field(name).type)
                        )
                writer.write_table(table.select(schema.names).cast(schema))
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
