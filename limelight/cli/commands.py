"""`limelight train | predict | serve | algorithms`."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
import uvicorn

from limelight.cli.app import app, registry
from limelight.cli.render import err, leaderboard_table, metrics_table, out
from limelight.errors import InvalidInput
from limelight.progress import RichProgress


@app.command()
def train(
    task: str = typer.Argument(
        ..., help="Task, e.g. text-classification (see `limelight algorithms`)"
    ),
    data: Path = typer.Argument(..., help="CSV, TSV, JSONL or Parquet file"),
    name: str = typer.Option(..., "--name", "-n", help="Model name; each run adds a version"),
    text: str | None = typer.Option(None, "--text", help="Column holding the text"),
    target: str | None = typer.Option(None, "--target", help="Column holding the label"),
    algorithm: str = typer.Option(
        "auto", "--algorithm", "-a", help="auto (try every candidate) or names, comma-separated"
    ),
    seed: int = typer.Option(42, "--seed", help="Random seed: same data + seed = same model"),
    validation_size: float = typer.Option(0.1, "--validation-size", help="Fraction for validation"),
    test_size: float = typer.Option(
        0.1, "--test-size", help="Fraction held out for the test metrics"
    ),
    alias: str | None = typer.Option(None, "--alias", help="Point this alias at the new version"),
) -> None:
    """Train TASK on DATA and register the best candidate as the next version of NAME."""
    from limelight.training import train as train_model

    with RichProgress(err) as progress:
        version = train_model(
            registry(),
            task,
            data,
            name=name,
            columns={"text": text or "", "target": target or ""},
            algorithm=algorithm,
            seed=seed,
            validation_size=validation_size,
            test_size=test_size,
            alias=alias,
            progress=progress,
        )
    m = version.manifest
    if len(m.get("leaderboard", [])) > 1:
        out.print(leaderboard_table(m["leaderboard"]))
    out.print(metrics_table(m["metrics"], title=f"test metrics of {version.algorithm}"))
    aliases = f" ({', '.join(version.aliases)})" if version.aliases else ""
    out.print(f"registered [bold]{version.name}[/bold] version {version.version}{aliases}")


@app.command()
def predict(
    ref: str = typer.Argument(..., help="name, name@alias or name/versions/N"),
    text: list[str] = typer.Option([], "--text", "-t", help="Text to classify (repeatable)"),
    json_input: str | None = typer.Option(None, "--json", help="One input as a JSON object"),
) -> None:
    """Predict in process with a registered model; prints one JSON object per input."""
    from limelight.runtime import load

    inputs: list[object] = list(text)
    if json_input is not None:
        try:
            inputs.append(json.loads(json_input))
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"--json is not valid JSON: {exc}", field="json") from exc
    if not inputs:
        raise InvalidInput("nothing to predict: pass --text TEXT or --json '{...}'", field="text")
    model = load(registry(), ref)
    for output in model.predict(inputs):
        print(json.dumps({**output, "model": model.name, "version": model.version}))


@app.command()
def algorithms(task: str | None = typer.Argument(None, help="Only this task")) -> None:
    """List tasks and the algorithm names `--algorithm` takes."""
    from limelight.tasks import TASKS, get_task

    names = [task] if task else list(TASKS)
    for name in names:
        t = get_task(name)
        out.print(f"[bold]{t.name}[/bold] — {t.description}")
        for algo in t.algorithms.values():
            marker = "*" if algo.name in t.default_candidates else " "
            out.print(f"  {marker} {algo.name:<16} {algo.description}")
    out.print("(* tried by --algorithm auto)")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run_server(host: str, port: int, workers: int, preload: bool, insecure: bool) -> None:
    if not _is_loopback(host) and not insecure:
        raise InvalidInput(
            f"refusing to serve on {host} without API keys; serve on 127.0.0.1, or pass --insecure",
            field="host",
        )
    if workers < 1:
        raise InvalidInput("--workers must be at least 1", field="workers")
    os.environ["LIMELIGHT_PRELOAD"] = "1" if preload else "0"
    if not _is_loopback(host):
        err.print(f"[bold red]WARNING[/]: serving on {host} with no authentication (--insecure)")
    err.print(f"Limelight serving on http://{host}:{port} (docs at /docs)")
    sys.stderr.flush()
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "log_level": "warning",
        "access_log": False,
        "timeout_graceful_shutdown": 10,
    }
    target = "limelight.server.app:create_app_from_env"
    if workers == 1:
        GracefulServer(uvicorn.Config(target, **options)).run()
    else:  # uvicorn's supervisor starts and restarts the worker processes
        uvicorn.run(target, workers=workers, **options)


class GracefulServer(uvicorn.Server):
    """uvicorn's server, but SIGTERM/SIGINT end with exit status 0 after draining in-flight
    requests (uvicorn re-raises the signal after shutdown, which exits with -15)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        original = {
            sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind"),
    port: int = typer.Option(8000, "--port", help="Port to bind"),
    workers: int = typer.Option(1, "--workers", help="Worker processes"),
    preload: bool = typer.Option(True, "--preload/--no-preload", help="Load models at start"),
    insecure: bool = typer.Option(False, "--insecure", help="Allow a non-loopback address"),
) -> None:
    """Serve every registered model over HTTP."""
    run_server(host, port, workers, preload, insecure)
