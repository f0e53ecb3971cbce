"""`limelight report` and `limelight explain`: look inside a registered version."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from limelight.cli.app import app, registry
from limelight.cli.render import err
from limelight.errors import InvalidInput, NotFound
from limelight.runtime import load
from limelight.training.report import REPORT_FILE


@app.command()
def report(
    ref: str = typer.Argument(..., help="name, name@alias or name/versions/N"),
    output: Path = typer.Option(Path("report.html"), "--output", "-o", help="Where to write it"),
) -> None:
    """Write a version's HTML training report (plots, leaderboard, cleaning report)."""
    reg = registry()
    version = reg.resolve(ref)
    source = reg.artifact_dir(version) / REPORT_FILE
    if not source.is_file():
        raise NotFound(
            f"{version.name} version {version.version} has no report (trained before reports "
            "existed); train a new version to get one"
        )
    try:
        output.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot write {output}: {exc.strerror}", field="output") from exc
    err.print(f"wrote the report of {version.name} version {version.version} to {output}")


@app.command()
def explain(
    ref: str = typer.Argument(..., help="name, name@alias or name/versions/N"),
    json_input: str | None = typer.Option(
        None, "--json", help="One input as JSON, e.g. '{\"features\": {...}}' or '{\"text\": ...}'"
    ),
    text: str | None = typer.Option(None, "--text", "-t", help="Text to explain (text models)"),
    top_k: int = typer.Option(10, "--top", help="How many contributions to show"),
) -> None:
    """Predict and explain one input: the top contributing features, signed."""
    if top_k < 1:
        raise InvalidInput("--top must be at least 1", field="top")
    inputs: list[object] = []
    if text is not None:
        inputs.append(text)
    if json_input is not None:
        try:
            inputs.append(json.loads(json_input))
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"--json is not valid JSON: {exc}", field="json") from exc
    if len(inputs) != 1:
        raise InvalidInput("pass exactly one of --json '{...}' or --text TEXT", field="json")
    model = load(registry(), ref)
    for output in model.explain(inputs, top_k=top_k):
        print(json.dumps({**output, "model": model.name, "version": model.version}, indent=2))
