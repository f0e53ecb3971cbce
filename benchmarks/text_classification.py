"""Text-classification benchmark: every algorithm on Rotten Tomatoes and SST-2.

Rotten Tomatoes polarity: one fixed stratified 90/10 split (seed 42) — each algorithm fits on
the 90 % and is scored on the 10 %. SST-2: fit on GLUE train, score on GLUE dev (test labels are
not public). Reported: accuracy, macro-F1, training seconds, predictions/s in process at batch 1
and at batch 256. Writes benchmarks/results/text_classification.json and prints a Markdown table.

Neural algorithms (textcnn, gru, minilm-finetune) are scored the way they are served: saved to
ONNX, loaded with ONNX Runtime, and both accuracy and predictions/s come from that; the maximum
difference between the PyTorch and ONNX probabilities on the test texts is reported too. They
hold out 10 % of what they are given for early stopping (the others use all of it).

    .venv/bin/python benchmarks/text_classification.py [--datasets rt,sst2] [--algorithms ...]
        [--params '{"minilm-finetune": {"epochs": 2}}'] [--sst2-train-rows N] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from limelight.data.datasets import data_dir, rt_polarity, sst2
from limelight.tasks.text_classification.algorithms import ALGORITHMS
from limelight.training import library_versions

OUT = Path(__file__).resolve().parent / "results" / "text_classification.json"


class PrintProgress:
    """Epoch lines on stdout (the benchmark runs in the background, so no live bar)."""

    def stage(self, description: str, total: float | None = None) -> None:
        pass

    def advance(self, amount: float = 1) -> None:
        pass

    def log(self, message: str) -> None:
        print(f"  {time.strftime('%H:%M:%S')} {message}", flush=True)


def load(
    name: str, root: Path, sst2_rows: int | None = None
) -> tuple[list[str], list[str], list[str], list[str], str]:
    if name == "rt":
        frame = rt_polarity(root)
        train, test = train_test_split(
            frame, test_size=0.1, stratify=frame["label"], random_state=42
        )
        protocol = "Rotten Tomatoes polarity, stratified 90/10 split, seed 42"
    else:
        train, test = sst2(root, "train"), sst2(root, "dev")
        protocol = "SST-2: GLUE train -> GLUE dev"
        if sst2_rows and sst2_rows < len(train):
            train = train.sample(n=sst2_rows, random_state=42)
            protocol += (
                f" (a random {sst2_rows:,} of the {len(sst2(root, 'train')):,} train rows, seed 42)"
            )
    return (
        train["text"].tolist(),
        train["label"].tolist(),
        test["text"].tolist(),
        test["label"].tolist(),
        protocol,
    )


def throughput(estimator: Any, texts: list[str], batch: int, budget_s: float = 5.0) -> float:
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < budget_s:
        for i in range(0, len(texts), batch):
            estimator.predict_proba(texts[i : i + batch])
            done += len(texts[i : i + batch])
            if time.perf_counter() - started >= budget_s:
                break
    return done / (time.perf_counter() - started)


def run(
    datasets: list[str],
    algorithms: list[str],
    params: dict[str, dict[str, Any]],
    sst2_rows: int | None = None,
    out: Path | None = None,
) -> dict[str, Any]:
    root = data_dir()
    results: list[dict[str, Any]] = []
    report: dict[str, Any] = {}
    for dataset in datasets:
        x_train, y_train, x_test, y_test, protocol = load(dataset, root, sst2_rows)
        for name in algorithms:
            algorithm = ALGORITHMS[name](**params.get(name, {}))
            estimator = algorithm.build(42)
            print(f"{dataset} {name}: fitting on {len(x_train):,} rows", flush=True)
            started = time.perf_counter()
            if algorithm.reports_progress:
                estimator.fit(x_train, y_train, progress=PrintProgress())
            else:
                estimator.fit(x_train, y_train)
            fit_s = time.perf_counter() - started
            extra: dict[str, Any] = {}
            with tempfile.TemporaryDirectory() as tmp:
                if algorithm.artifact_format != "skops":  # score what is served: the ONNX model
                    torch_proba = estimator.predict_proba(x_test)
                    algorithm.save(estimator, Path(tmp))
                    estimator = type(algorithm).load(Path(tmp))
                    served = estimator.predict_proba(x_test)
                    extra = {
                        "served_with": "onnxruntime",
                        "onnx_vs_torch_max_abs_diff": float(np.abs(served - torch_proba).max()),
                        "training": json.loads((Path(tmp) / "config.json").read_text())["training"],
                    }
                pred = np.asarray(estimator.predict(x_test))
                row = {
                    "dataset": dataset,
                    "protocol": protocol,
                    "algorithm": name,
                    "params": algorithm.get_params(),
                    "train_rows": len(x_train),
                    "test_rows": len(x_test),
                    "accuracy": round(float(accuracy_score(y_test, pred)), 4),
                    "f1_macro": round(float(f1_score(y_test, pred, average="macro")), 4),
                    "train_seconds": round(fit_s, 1),
                    "train_minutes": round(fit_s / 60, 2),
                    "predictions_per_s_batch1": round(throughput(estimator, x_test[:300], 1), 0),
                    "predictions_per_s_batch256": round(throughput(estimator, x_test, 256), 0),
                    **extra,
                }
            print(json.dumps(row), flush=True)
            results.append(row)
            report = _report(results)
            if out is not None:  # keep what is done if a long run is stopped
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(json.dumps(report, indent=2))
    return report


def _report(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "benchmark": "text_classification",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_1_5_15_at_end": [round(v, 2) for v in os.getloadavg()],
        },
        "libraries": library_versions(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "results": results,
    }


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "| data set | algorithm | train rows | accuracy | macro-F1 | train min | pred/s (batch 1) | pred/s (batch 256) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in report["results"]:
        lines.append(
            f"| {r['dataset']} | {r['algorithm']} | {r['train_rows']:,} | {r['accuracy']:.3f} | {r['f1_macro']:.3f} | "
            f"{r['train_minutes']} | {r['predictions_per_s_batch1']:,.0f} | {r['predictions_per_s_batch256']:,.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", default="rt,sst2")
    parser.add_argument("--algorithms", default=",".join(ALGORITHMS))
    parser.add_argument("--params", default="{}", help="JSON: algorithm -> hyperparameters")
    parser.add_argument("--sst2-train-rows", type=int, default=None)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    report = run(
        args.datasets.split(","),
        args.algorithms.split(","),
        json.loads(args.params),
        args.sst2_train_rows,
        args.out,
    )
    print(markdown(report))


if __name__ == "__main__":
    main()
