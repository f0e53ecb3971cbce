"""`limelight recommend` and `limelight similar`: recommendations in process."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.table import Table

from limelight.cli.app import app, registry
from limelight.cli.render import out
from limelight.errors import InvalidInput
from limelight.runtime import load
from limelight.tasks.recommendation import Recommender
from limelight.tasks.recommendation.schemas import RecommendInput, SimilarInput, parse_request


def _recommender(ref: str) -> tuple[Any, Recommender]:
    model = load(registry(), ref)
    if not isinstance(model.predictor, Recommender):
        raise InvalidInput(
            f"model {model.name!r} is a {model.task.name} model, not a recommendation model",
            field="model",
        )
    return model, model.predictor


def _filter(raw: str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"--filter is not valid JSON: {exc}", field="filter") from exc
    if not isinstance(value, dict):
        raise InvalidInput('--filter must be a JSON object like {"genres": ["Comedy"]}')
    return value


def _show(model: Any, answer: dict[str, Any], as_json: bool, title: str) -> None:
    if as_json:
        print(json.dumps({**answer, "model": model.name, "version": model.version}))
        return
    table = Table(title=f"{title} — {answer['strategy']}", title_justify="left")
    for column in ("#", "item", "title", "score", "because"):
        table.add_column(column, justify="right" if column in ("#", "score") else "left")
    for rank, item in enumerate(answer["items"], 1):
        table.add_row(
            str(rank),
            item["item_id"],
            item.get("title") or "",
            f"{item['score']:.4f}",
            ", ".join(item.get("because") or []),
        )
    out.print(table)
    if answer.get("unknown_items"):
        out.print(f"not known to the model (ignored): {', '.join(answer['unknown_items'])}")
    for field, values in (answer.get("unknown_filter_values") or {}).items():
        out.print(f"no item has {field} {', '.join(map(repr, values))}")
    out.print(f"{model.name} version {model.version}")


@app.command()
def recommend(
    ref: str = typer.Argument(..., help="name, name@alias or name/versions/N"),
    user: str | None = typer.Option(None, "--user", "-u", help="User id"),
    k: int = typer.Option(10, "--k", "-k", help="How many items"),
    recent: list[str] = typer.Option([], "--recent", help="A recent item (repeatable)"),
    filter_json: str | None = typer.Option(None, "--filter", help='e.g. {"genres": ["Comedy"]}'),
    include_seen: bool = typer.Option(False, "--include-seen", help="Keep items already seen"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """Recommend items to a user with a registered recommendation model."""
    model, recommender = _recommender(ref)
    raw: dict[str, Any] = {"k": k, "exclude_seen": not include_seen}
    if user is not None:
        raw["user_id"] = user
    if recent:
        raw["recent_items"] = list(recent)
    if filter_json is not None:
        raw["filter"] = _filter(filter_json)
    answer = recommender.recommend(parse_request(RecommendInput, raw))
    _show(model, answer, as_json, f"for user {user}" if user else "for an unknown user")


@app.command()
def similar(
    ref: str = typer.Argument(..., help="name, name@alias or name/versions/N"),
    item: str = typer.Option(..., "--item", "-i", help="Item id"),
    k: int = typer.Option(10, "--k", "-k", help="How many items"),
    filter_json: str | None = typer.Option(None, "--filter", help='e.g. {"genres": ["Comedy"]}'),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """Items similar to an item, with a registered recommendation model."""
    model, recommender = _recommender(ref)
    raw: dict[str, Any] = {"item_id": item, "k": k}
    if filter_json is not None:
        raw["filter"] = _filter(filter_json)
    answer = recommender.similar(parse_request(SimilarInput, raw))
    _show(model, answer, as_json, f"similar to {item}")
