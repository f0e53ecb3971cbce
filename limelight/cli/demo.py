"""`limelight demo`: generate sample data, train demo models, promote them, serve."""

from __future__ import annotations

import contextlib
from typing import NamedTuple

import typer

from limelight.cli.app import app, registry, settings
from limelight.cli.commands import run_server
from limelight.cli.render import err, out
from limelight.errors import NotFound
from limelight.progress import RichProgress
from limelight.registry.keys import KeyStore


class DemoModel(NamedTuple):
    name: str
    task: str
    data: str  # a key of write_demo_data's paths
    columns: dict[str, str]
    metric: str  # the test metric printed
    catalog: str | None = None  # recommendation: the catalog's key


DEMO_MODELS = (
    DemoModel(
        "review-sentiment",
        "text-classification",
        "reviews",
        {"text": "review", "target": "sentiment"},
        "accuracy",
    ),
    DemoModel(
        "comment-moderation",
        "text-classification",
        "comments",
        {"text": "comment", "target": "moderation"},
        "accuracy",
    ),
    DemoModel(
        "movie-recs",
        "recommendation",
        "viewing",
        {"user": "user_id", "item": "item_id", "rating": "rating", "time": "timestamp"},
        "ndcg@10",
        catalog="titles",
    ),
    DemoModel(
        "ad-clicks", "tabular-classification", "impressions", {"target": "clicked"}, "roc_auc"
    ),
)


@app.command()
def demo(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve after training"),
    algorithm: str = typer.Option(
        "auto", "--algorithm", help="Algorithms to try for the two text models"
    ),
) -> None:
    """Train demo models on generated sample data (reviews, comments, a viewing log with its
    catalog, ad impressions), promote them to production, and serve."""
    from limelight.demo.data import write_demo_data
    from limelight.training import train
    from limelight.training.pretrained import register_pretrained

    paths = write_demo_data(settings().home / "demo")
    reg = registry()
    for model in DEMO_MODELS:
        with RichProgress(err) as progress:
            version = train(
                reg,
                model.task,
                paths[model.data],
                name=model.name,
                columns=model.columns,
                algorithm=algorithm if model.task == "text-classification" else "auto",
                extra={"items": str(paths[model.catalog])} if model.catalog else None,
                alias="production",
                progress=progress,
            )
        value = version.manifest["metrics"][model.metric]
        out.print(
            f"{model.name}: version {version.version} ({version.algorithm}), test "
            f"{model.metric} {value:.3f}, data {paths[model.data]}"
        )
    with RichProgress(err) as progress:
        embedding = register_pretrained(
            reg, "embedding", name="minilm", alias="production", progress=progress
        )
    out.print(f"minilm: version {embedding.version} (embedding, {embedding.algorithm})")
    key = demo_key()
    print(f"demo API key (admin; shown once, stored hashed): {key}", flush=True)
    if not serve:
        return
    print(
        f"try: curl -X POST http://{host}:{port}/v1/models/review-sentiment/predict "
        f'-H "Authorization: Bearer {key}" '
        '-d \'{"text": "What a wonderful film"}\'',
        flush=True,
    )
    print(
        f"     curl -X POST http://{host}:{port}/v1/models/movie-recs/recommend "
        f'-H "Authorization: Bearer {key}" -d \'{{"user_id": "u1", "k": 5}}\'',
        flush=True,
    )
    run_server(host, port, workers=1, preload=True, insecure=False)


def demo_key(name: str = "demo") -> str:
    """A fresh admin key named ``demo`` (the previous one, whose secret is gone, is revoked)."""
    store = KeyStore(settings().resolved_database_url)
    with contextlib.suppress(NotFound):
        store.revoke(name, actor="demo")
    _key, secret = store.create(name, "admin", actor="demo")
    return secret
