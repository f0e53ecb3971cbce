"""`limelight index create | add | delete | search`: versioned vector indexes over a catalog."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from limelight.cli.app import app, registry
from limelight.cli.render import err, metrics_table, out
from limelight.errors import InvalidInput
from limelight.progress import RichProgress
from limelight.runtime import load
from limelight.search.updates import update_index
from limelight.training import train

index_app = typer.Typer(help="Semantic search indexes over a catalog.", no_args_is_help=True)
app.add_typer(index_app, name="index")


@index_app.command("create")
def create(
    name: str = typer.Argument(..., help="Index name; each run adds a version"),
    data: Path = typer.Option(..., "--data", help="CSV, TSV, JSONL or Parquet catalog"),
    id_column: str = typer.Option(..., "--id", help="Column holding the item id"),
    text: str = typer.Option(..., "--text", help="Column holding the text to embed"),
    fields: str = typer.Option(
        "", "--fields", help="Columns stored with each item, comma-separated"
    ),
    kind: str = typer.Option("auto", "--index", help="auto (HNSW when large), exact or hnsw"),
    alias: str = typer.Option("production", "--alias", help="Alias pointed at the new version"),
) -> None:
    """Embed every TEXT of DATA with MiniLM and register the index as the next version of NAME."""
    with RichProgress(err) as progress:
        version = train(
            registry(),
            "semantic-search",
            data,
            name=name,
            columns={"id": id_column, "text": text, "fields": fields},
            algorithm=kind,
            alias=alias or None,
            progress=progress,
        )
    out.print(metrics_table(version.manifest["metrics"], title=f"{version.algorithm} index"))
    out.print(f"registered index [bold]{version.name}[/bold] version {version.version}")


@index_app.command("add")
def add(
    name: str = typer.Argument(..., help="Index name"),
    data: Path = typer.Option(..., "--data", help="Items to add (same columns as the index)"),
) -> None:
    """Add (or replace, by id) items: only they are embedded; a new version becomes production."""
    with RichProgress(err) as progress:
        version, counts = update_index(registry(), name, add=data, progress=progress)
    out.print(f"{name} version {version.version}: {counts}")


@index_app.command("delete")
def delete(
    name: str = typer.Argument(..., help="Index name"),
    ids: str = typer.Option(..., "--ids", help="Item ids to delete, comma-separated"),
) -> None:
    """Delete items by id: a new version without them becomes production."""
    wanted = [i.strip() for i in ids.split(",") if i.strip()]
    if not wanted:
        raise InvalidInput("--ids lists no id", field="ids")
    version, counts = update_index(registry(), name, delete=wanted)
    out.print(f"{name} version {version.version}: {counts}")


@index_app.command("search")
def search(
    ref: str = typer.Argument(..., help="Index: name, name@alias or name/versions/N"),
    query: str = typer.Argument(..., help="What to look for"),
    k: int = typer.Option(10, "-k", help="How many items"),
    filter_json: str | None = typer.Option(None, "--filter", help='e.g. \'{"type": "Movie"}\''),
) -> None:
    """Search an index in process; prints one JSON line per hit."""
    conditions = None
    if filter_json:
        try:
            conditions = json.loads(filter_json)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"--filter is not valid JSON: {exc}", field="filter") from exc
    model = load(registry(), ref)
    if model.task.name != "semantic-search":
        raise InvalidInput(f"{model.name} is not an index", field="ref")
    parsed = model.parse({"query": query, "k": k, "filter": conditions})
    for hit in model.predict_batch([parsed])[0]["results"]:
        print(json.dumps(hit, ensure_ascii=False))
