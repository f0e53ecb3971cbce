"""Tabular benchmark: every algorithm, and auto mode, at the same search budget on real data.

Data sets (read by path from LIMELIGHT_DATA_DIR):
- criteo: Criteo ad clicks sample, tabular-classification of ``label`` from 13 numeric and 26
  hashed categorical columns; trained on ``train.csv``, also scored on the untouched
  ``test.csv`` (ROC-AUC, log-loss).
- netflix: Netflix titles, tabular-classification of ``type`` (Movie / TV Show) from
  ``description`` (text), ``country``, ``release_year`` and ``rating`` (``duration`` is left out:
  "min" vs "Seasons" gives the answer away).
- movielens: MovieLens-100K movies rated at least 5 times, tabular-regression of the mean rating
  from the 19 genre flags, the release year and the number of ratings.

Every run is ``limelight.training.train`` with the same ``--budget`` (Optuna search within the
run; auto mode spreads the same budget over all algorithms) and seed. Reported per algorithm
and data set: the test metrics of the registered version (Limelight's held-out 10 % test split,
the same rows for every run), the whole run's seconds, the winner's final fit seconds, and
predictions/s in process through ``LoadedModel.predict`` (validation included) at batch 256 and
at batch 1. Writes benchmarks/results/tabular.json and prints a Markdown table.

    .venv/bin/python benchmarks/tabular.py [--budget 20s] [--datasets criteo,netflix,movielens]
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from limelight.data.datasets import criteo, data_dir, movielens_movie_ratings, netflix_titles
from limelight.registry import Registry
from limelight.runtime import LoadedModel, load
from limelight.settings import Settings
from limelight.tasks import get_task
from limelight.training import library_versions, train

OUT = Path(__file__).resolve().parent / "results" / "tabular.json"


def datasets(root: Path) -> dict[str, dict[str, Any]]:
    netflix = netflix_titles(root)
    return {
        "criteo": {
            "task": "tabular-classification",
            "frame": criteo(root, "train"),
            "holdout": criteo(root, "test"),
            "target": "label",
            "features": None,
        },
        "netflix": {
            "task": "tabular-classification",
            "frame": netflix,
            "target": "type",
            "features": ["description", "country", "release_year", "rating"],
        },
        "movielens": {
            "task": "tabular-regression",
            "frame": movielens_movie_ratings(root),
            "target": "mean_rating",
            "features": None,
        },
    }


def records(frame: pd.DataFrame, model: LoadedModel) -> list[dict[str, Any]]:
    names = [f["name"] for f in model.manifest["data"]["features"]]
    out = []
    for row in frame[names].to_dict(orient="records"):
        clean = {}
        for key, value in row.items():
            if value is None or (isinstance(value, float) and np.isnan(value)):
                clean[key] = None
            elif isinstance(value, np.generic):
                clean[key] = value.item()
            else:
                clean[key] = value
        out.append({"features": clean})
    return out


def per_second(model: LoadedModel, items: list[dict[str, Any]], batch: int, budget: float) -> float:
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < budget:
        for i in range(0, len(items), batch):
            chunk = items[i : i + batch]
            model.predict(chunk)
            done += len(chunk)
            if time.perf_counter() - started >= budget:
                break
    return done / (time.perf_counter() - started)


def holdout_scores(model: LoadedModel, frame: pd.DataFrame, target: str) -> dict[str, float]:
    outputs = model.predict(records(frame, model))
    labels = model.manifest["data"]["labels"]
    proba = np.array([[o["scores"][label] for label in labels] for o in outputs])
    y = frame[target].astype(str).to_numpy()
    return {
        "holdout_roc_auc": float(skm.roc_auc_score(y == labels[1], proba[:, 1])),
        "holdout_log_loss": float(skm.log_loss(y, np.clip(proba, 1e-15, 1), labels=labels)),
    }


def run(name: str, spec: dict[str, Any], algorithm: str, budget: str, home: Path) -> dict[str, Any]:
    registry = Registry.from_settings(Settings(home=home))
    started = time.perf_counter()
    version = train(
        registry,
        spec["task"],
        spec["frame"],
        name=f"{name}-{algorithm}".replace(",", "-"),
        columns={"target": spec["target"]},
        features=spec["features"],
        algorithm=algorithm,
        budget=budget,
        seed=42,
    )
    seconds = time.perf_counter() - started
    model = load(registry, version.ref)
    m = version.manifest
    test_rows = spec["frame"].sample(n=min(512, len(spec["frame"])), random_state=0)
    items = records(test_rows, model)
    result: dict[str, Any] = {
        "dataset": name,
        "algorithm": algorithm,
        "chosen": version.algorithm,
        "params": m["params"],
        "metrics": {k: v for k, v in m["metrics"].items() if isinstance(v, int | float)},
        "run_seconds": round(seconds, 2),
        "trials": m["selection"].get("trials"),
        "pruned": m["selection"].get("pruned"),
        "winner_fit_seconds": next(
            (r.get("fit_seconds") for r in m["leaderboard"] if r["algorithm"] == version.algorithm),
            None,
        ),
        "predictions_per_s_batch256": round(per_second(model, items, 256, 3.0), 1),
        "predictions_per_s_batch1": round(per_second(model, items[:64], 1, 2.0), 1),
    }
    if "holdout" in spec:
        result["metrics"].update(holdout_scores(model, spec["holdout"], spec["target"]))
    registry.close()
    return result


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| data set | algorithm | chosen | test metric | trials (pruned) | run s | fit s "
        "| pred/s batch 256 | pred/s batch 1 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        m = r["metrics"]
        if "rmse" in m:
            metric = f"RMSE {m['rmse']:.3f}, R² {m['r2']:.3f}"
        else:
            metric = f"ROC-AUC {m['roc_auc']:.3f}, log-loss {m['log_loss']:.3f}"
            if "holdout_roc_auc" in m:
                metric += f" (test.csv: {m['holdout_roc_auc']:.3f}, {m['holdout_log_loss']:.3f})"
        lines.append(
            f"| {r['dataset']} | {r['algorithm']} | {r['chosen']} | {metric} | "
            f"{r['trials']} ({r['pruned']}) | {r['run_seconds']:.0f} | "
            f"{r['winner_fit_seconds']} | {r['predictions_per_s_batch256']:,.0f} | "
            f"{r['predictions_per_s_batch1']:,.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", default="20s", help="search budget of every run")
    parser.add_argument("--datasets", default="criteo,netflix,movielens")
    parser.add_argument("--algorithms", default="", help="default: every algorithm, then auto")
    args = parser.parse_args()
    root = data_dir()
    specs = datasets(root)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.datasets.split(","):
            spec = specs[name]
            names = (
                args.algorithms.split(",")
                if args.algorithms
                else [*get_task(spec["task"]).algorithms, "auto"]
            )
            for algorithm in names:
                result = run(name, spec, algorithm, args.budget, Path(tmp) / name)
                results.append(result)
                print(json.dumps(result), flush=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    if OUT.is_file():  # keep earlier runs of other (data set, algorithm) pairs
        done = {(r["dataset"], r["algorithm"]) for r in results}
        earlier = json.loads(OUT.read_text()).get("results", [])
        results = [r for r in earlier if (r["dataset"], r["algorithm"]) not in done] + results
    OUT.write_text(
        json.dumps(
            {
                "benchmark": "tabular",
                "budget": args.budget,
                "machine": f"{platform.machine()}, {platform.python_version()}, shared 2 cores",
                "libraries": library_versions(),
                "results": results,
            },
            indent=2,
        )
    )
    print(table(results))


if __name__ == "__main__":
    main()
