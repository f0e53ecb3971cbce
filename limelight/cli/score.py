"""`limelight score`: batch scoring of a whole file into Parquet."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from limelight.cli.app import app, registry
from limelight.cli.render import err
from limelight.errors import InvalidInput


@app.command()
def score(
    ref: str = typer.Argument(..., help="Model: name, name@alias or name/versions/N"),
    data: Path = typer.Argument(..., help="Input: .csv, .tsv, .jsonl or .parquet"),
    output: Path = typer.Option(..., "--output", "-o", help="Output .parquet file"),
    chunk_size: int = typer.Option(1000, "--chunk-size", help="Rows per chunk"),
    column: list[str] = typer.Option(
        [], "--column", "-c", help="FIELD=COLUMN when an input field has another column name"
    ),
    k: int | None = typer.Option(None, "--k", help="Items per user (recommendation models)"),
    keep_columns: bool = typer.Option(
        True, "--keep-columns/--only-predictions", help="Copy the input columns to the output"
    ),
    restart: bool = typer.Option(
        False, "--restart", help="Discard an interrupted run's scored chunks and start over"
    ),
) -> None:
    """Score every row of DATA with a model; resumes an interrupted run of the same command."""
    from limelight.runtime import load
    from limelight.runtime.scoring import score_file

    columns: dict[str, str] = {}
    for item in column:
        field, sep, name = item.partition("=")
        if not sep or not field or not name:
            raise InvalidInput(f"--column takes FIELD=COLUMN, got {item!r}", field="column")
        columns[field] = name
    model = load(registry(), ref)
    constants: dict[str, object] = {}
    if k is not None:
        if "k" not in model.task.input_model.model_fields:
            raise InvalidInput(f"{model.task.name} models take no --k", field="k")
        constants["k"] = k
    progress = Progress(
        TextColumn("[bold]scoring"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rows]} rows"),
        TimeElapsedColumn(),
        console=err,
        transient=True,  # the summary line replaces the bar; a failure leaves only its error
        disable=not err.is_terminal,
    )
    with progress:
        task = progress.add_task("scoring", total=1.0, rows=0)

        def on_chunk(rows: int, fraction: float) -> None:
            progress.update(task, completed=fraction, rows=rows)

        result = score_file(
            model,
            data,
            output,
            chunk_size=chunk_size,
            columns=columns,
            keep_columns=keep_columns,
            constants=constants,
            resume=not restart,
            on_chunk=on_chunk,
        )
    resumed = f", {result.resumed_chunks} chunk(s) resumed" if result.resumed_chunks else ""
    err.print(
        f"scored {result.rows} rows with {result.model} version {result.version} "
        f"into {result.output}{resumed}"
    )
    print(
        json.dumps(
            {
                "output": str(result.output),
                "rows": result.rows,
                "model": result.model,
                "version": result.version,
            }
        )
    )
