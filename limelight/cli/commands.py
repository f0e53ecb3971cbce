"""`limelight train | predict | serve | algorithms`."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
import uvicorn

from limelight.cli.app import app, registry, settings
from limelight.cli.render import err, leaderboard_table, metrics_table, out
from limelight.errors import InvalidInput
from limelight.progress import RichProgress
from limelight.registry.audit import AuditLog
from limelight.registry.keys import KeyStore
from limelight.settings import Settings


def parse_params(pairs: list[str]) -> dict[str, dict[str, Any]]:
    """``--param ALGORITHM.NAME=VALUE`` (repeatable) → ``{ALGORITHM: {NAME: VALUE}}``. VALUE is
    read as JSON (``150``, ``0.5``, ``true``, ``null``, ``"text"``), else kept as text."""
    params: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        key, equals, raw = pair.partition("=")
        algorithm, dot, name = key.strip().partition(".")
        if not (equals and dot and algorithm and name):
            raise InvalidInput(
                f"--param needs ALGORITHM.NAME=VALUE (e.g. time-ease.l2=150), not {pair!r}",
                field="param",
            )
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        params.setdefault(algorithm, {})[name.strip()] = value
    return params


def parse_limit(value: str, option: str) -> int | None:
    """A whole number, or ``none`` for no limit (the task checks the range)."""
    if value.strip().lower() == "none":
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"{option} needs a whole number or none, not {value!r}") from None


@app.command()
def train(
    task: str = typer.Argument(
        ..., help="Task, e.g. text-classification (see `limelight algorithms`)"
    ),
    data: Path = typer.Argument(..., help="CSV, TSV, JSONL or Parquet file"),
    name: str = typer.Option(..., "--name", "-n", help="Model name; each run adds a version"),
    text: str | None = typer.Option(None, "--text", help="Column holding the text"),
    target: str | None = typer.Option(None, "--target", help="Column holding the label"),
    user: str | None = typer.Option(None, "--user", help="recommendation: user id column"),
    item: str | None = typer.Option(None, "--item", help="recommendation: item id column"),
    rating: str | None = typer.Option(
        None, "--rating", help="recommendation: rating or weight column (optional)"
    ),
    time: str | None = typer.Option(
        None, "--time", help="recommendation: timestamp column (optional)"
    ),
    items: Path | None = typer.Option(
        None, "--items", help="recommendation: item catalog (id, title, genres, text…)"
    ),
    split: str | None = typer.Option(
        None, "--split", help="recommendation: random (per user 75/25, default) or leave-last-out"
    ),
    min_rating: float | None = typer.Option(
        None, "--min-rating", help="recommendation: only ratings >= this count (default: all)"
    ),
    algorithm: str = typer.Option(
        "auto", "--algorithm", "-a", help="auto (try every candidate) or names, comma-separated"
    ),
    seed: int = typer.Option(42, "--seed", help="Random seed: same data + seed = same model"),
    validation_size: float = typer.Option(0.1, "--validation-size", help="Fraction for validation"),
    test_size: float = typer.Option(
        0.1, "--test-size", help="Fraction held out for the test metrics"
    ),
    alias: str | None = typer.Option(None, "--alias", help="Point this alias at the new version"),
    features: str | None = typer.Option(
        None,
        "--features",
        help="Tabular tasks: input columns, comma-separated (default: every column but --target)",
    ),
    budget: str | None = typer.Option(
        None,
        "--budget",
        help="Hyperparameter search budget for the whole run: seconds (300s, 5m) or trials (50); "
        "default: each candidate once with its defaults",
    ),
    param: list[str] = typer.Option(
        [],
        "--param",
        "-p",
        help="An explicit hyperparameter, ALGORITHM.NAME=VALUE (repeatable), e.g. "
        "time-ease.l2=150; see `limelight algorithms TASK`",
    ),
    max_dense_items: str | None = typer.Option(
        None,
        "--max-dense-items",
        help="recommendation: refuse the item × item models above this many items "
        "(default 10000; none: no limit)",
    ),
) -> None:
    """Train TASK on DATA and register the best candidate as the next version of NAME."""
    from limelight.training import train as train_model

    reg = registry()
    extra: dict[str, Any] = {}
    if items is not None:
        extra["items"] = str(items)
    if split is not None:
        extra["split"] = split
    if min_rating is not None:
        extra["rating_threshold"] = min_rating
    if max_dense_items is not None:
        extra["max_dense_items"] = parse_limit(max_dense_items, "--max-dense-items")
    params = parse_params(param)
    with RichProgress(err) as progress:
        version = train_model(
            reg,
            task,
            data,
            name=name,
            columns={
                "text": text or "",
                "target": target or "",
                "user": user or "",
                "item": item or "",
                "rating": rating or "",
                "time": time or "",
            },
            algorithm=algorithm,
            seed=seed,
            validation_size=validation_size,
            test_size=test_size,
            params=params,
            extra=extra,
            alias=alias,
            progress=progress,
            features=[c.strip() for c in features.split(",") if c.strip()] if features else None,
            budget=budget,
        )
    if alias is not None:
        AuditLog(reg.database_url).record(
            actor="cli",
            action="alias.set",
            target=f"{name}@{alias}",
            detail={"to": version.version},
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
            defaults = ", ".join(f"{k}={v!r}" for k, v in algo().get_params().items())
            if task and defaults:  # one task: its parameters too, defaults shown (for --param)
                out.print(f"      params: {defaults}")
    out.print("(* tried by --algorithm auto)")
    if task:
        out.print("(set a parameter with --param ALGORITHM.NAME=VALUE)")


log = logging.getLogger("limelight.serve")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run_server(
    host: str,
    port: int,
    workers: int,
    preload: bool,
    insecure: bool,
    batching: dict[str, str] | None = None,
) -> None:
    if workers < 1:
        raise InvalidInput("--workers must be at least 1", field="workers")
    have_keys = KeyStore(settings().resolved_database_url).any_keys()
    if not have_keys and not _is_loopback(host) and not insecure:
        raise InvalidInput(
            f"refusing to serve on {host} with no API key configured: create one with "
            "`limelight keys create --name NAME --scopes admin`, serve on 127.0.0.1, "
            "or pass --insecure",
            field="host",
        )
    from limelight.server.logs import configure_logging

    os.environ["LIMELIGHT_PRELOAD"] = "1" if preload else "0"
    # OpenMP (PyTorch's intra-op threads, MiniLM) spin-waits by default: when the cores are
    # shared (the event loop, other processes) a MiniLM request took 1.2-2 s instead of
    # 26-70 ms here. Sleeping waits cost nothing measurable on an idle machine. Set before any
    # worker imports torch; an explicit setting wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # Batching flags reach every worker process through the environment (Settings reads it).
    os.environ.update(batching or {})
    if workers > 1 and not os.environ.get("LIMELIGHT_ONNX_THREADS"):
        # N processes each running ONNX Runtime on every core oversubscribe the machine
        # (measured: MiniLM at concurrency 64 fell from 309 to 218 req/s with 2 workers on 2
        # cores); divided, 2 workers serve it as fast as one (307 req/s) and double TF-IDF.
        from limelight.onnxrt import default_threads

        os.environ["LIMELIGHT_ONNX_THREADS"] = str(max(1, default_threads() // workers))
    from pydantic import ValidationError

    from limelight.runtime.batch_config import BatchConfig

    try:  # a bad flag or config file fails here, not in a worker
        BatchConfig.from_settings(Settings())
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        name = str(first["loc"][0]) if first["loc"] else "settings"
        flag = _BATCH_FLAGS.get(name, f"LIMELIGHT_{name.upper()}")
        raise InvalidInput(f"{flag}: {first['msg']}", field=name) from exc
    configure_logging()
    url = f"http://{host}:{port}"
    if have_keys:
        log.info(
            "serving on %s (docs at /docs); API keys are required",
            url,
            extra={"fields": {"auth": "on"}},
        )
    else:
        where = "on loopback only" if _is_loopback(host) else f"on {host} (--insecure)"
        log.warning(
            "NO API KEY EXISTS: the server at %s runs OPEN %s; anyone who can reach it can call "
            "every route, admin included. `limelight keys create` turns authentication on.",
            url,
            where,
            extra={"fields": {"auth": "off"}},
        )
        if sys.stderr.isatty():  # and loudly for a person at a terminal
            err.print(f"[bold red]WARNING: no API key exists: the server runs OPEN {where}[/]")
    sys.stderr.flush()
    options: dict[str, Any] = {
        "log_config": None,
        "factory": True,
        "host": host,
        "port": port,
        "log_level": "warning",
        "access_log": False,
        "timeout_graceful_shutdown": Settings().grace_seconds,
        # uvicorn[standard]: the libuv event loop and the C HTTP parser, named so a missing
        # one is an error rather than a silent fall-back to the slower pure-Python ones.
        "loop": "uvloop",
        "http": "httptools",
    }
    target = "limelight.server.app:create_app_from_env"
    if workers == 1:
        GracefulServer(uvicorn.Config(target, **options)).run()
    else:  # uvicorn's supervisor starts and restarts the worker processes
        uvicorn.run(target, workers=workers, **options)


_BATCH_FLAGS = {
    "batch_max_size": "--max-batch-size",
    "batch_max_wait_ms": "--max-wait-ms",
    "batch_max_queue": "--max-queue",
    "predict_timeout_s": "--timeout",
}


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
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to bind"),
    workers: int = typer.Option(1, "--workers", help="Worker processes"),
    preload: bool = typer.Option(True, "--preload/--no-preload", help="Load models at start"),
    insecure: bool = typer.Option(
        False, "--insecure", help="Allow a non-loopback address with no API key configured"
    ),
    deployments: Path | None = typer.Option(
        None, "--deployments", help="limelight.yaml to apply at start (endpoints)"
    ),
    grace_seconds: float | None = typer.Option(
        None, "--grace-seconds", help="On SIGTERM, how long in-flight requests may finish (10)"
    ),
    max_batch_size: int | None = typer.Option(
        None, "--max-batch-size", help="Largest batch per model (default 64)"
    ),
    max_wait_ms: float | None = typer.Option(
        None, "--max-wait-ms", help="How long a batch waits to fill (default 0: adaptive only)"
    ),
    max_queue: int | None = typer.Option(
        None, "--max-queue", help="Queued requests per model before 503 (default 1024)"
    ),
    timeout: float | None = typer.Option(
        None, "--timeout", help="Seconds before a queued prediction answers 504 (default 30)"
    ),
    batch_config: Path | None = typer.Option(
        None, "--batch-config", help="TOML file of per-model batching settings"
    ),
) -> None:
    """Serve every registered model over HTTP, batching concurrent requests per model."""
    serving_options(deployments, grace_seconds)
    flags = {
        "LIMELIGHT_BATCH_MAX_SIZE": max_batch_size,
        "LIMELIGHT_BATCH_MAX_WAIT_MS": max_wait_ms,
        "LIMELIGHT_BATCH_MAX_QUEUE": max_queue,
        "LIMELIGHT_PREDICT_TIMEOUT_S": timeout,
        "LIMELIGHT_BATCH_CONFIG": batch_config.resolve() if batch_config else None,
    }
    batching = {k: str(v) for k, v in flags.items() if v is not None}
    run_server(host, port, workers, preload, insecure, batching)


def serving_options(deployments: Path | None, grace_seconds: float | None) -> None:
    """Check the deployment file and pass serving options to the worker processes."""
    if deployments is not None:
        from limelight.deployments import load_file

        load_file(deployments)  # a broken file fails here with one error line
        os.environ["LIMELIGHT_DEPLOYMENTS_FILE"] = str(deployments.resolve())
    if grace_seconds is not None:
        if grace_seconds < 0:
            raise InvalidInput("--grace-seconds must be 0 or more", field="grace_seconds")
        os.environ["LIMELIGHT_GRACE_SECONDS"] = str(grace_seconds)
