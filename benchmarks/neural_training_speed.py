"""Training speed of the neural text classifiers: seconds per optimizer step and per epoch, with
length-grouped batches, the compact embedding table and fused AdamW each on or off.

Every configuration trains one epoch on the same sample (the first ``--rows`` of the Rotten
Tomatoes training split, stratified 90/10, seed 42, as in text_classification.py; or of SST-2
train), with validation once, at the end of the epoch, outside the step times. The
configurations run in interleaved rounds (A B C D E, A B C D E, ...) so that a load that drifts
over the run touches them alike, and the median over rounds of each configuration's epoch is
reported, in wall-clock seconds and in CPU seconds of this process. On a machine other jobs keep busy the wall clock mostly measures them; with one
training thread (LIMELIGHT_TORCH_THREADS=1) the CPU seconds still measure the work a step does,
and only ratios between configurations of one run mean anything.

    .venv/bin/python benchmarks/neural_training_speed.py [--dataset rt|sst2] [--rows 1600]
        [--algorithms textcnn,gru,minilm-finetune] [--rounds 2] [--out FILE]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from limelight.data.datasets import data_dir, rt_polarity, sst2
from limelight.tasks.text_classification.algorithms import ALGORITHMS
from limelight.tasks.text_classification.neural.training import torch_threads
from limelight.training import library_versions

OUT = Path(__file__).resolve().parent / "results" / "neural_training_speed.json"
# (name, group_by_length, compact_embeddings, fused_optimizer); the first is the loop before
# any of the three existed, the last the defaults
MODES = [
    ("random batches, full table, foreach AdamW", False, False, False),
    ("random batches, full table, fused AdamW", False, False, True),
    ("grouped batches, full table, fused AdamW", True, False, True),
    ("random batches, compact table, fused AdamW", False, True, True),
    ("grouped batches, compact table, fused AdamW", True, True, True),
]


class StepClock:
    """A Progress that notes when each step ends, on the wall clock and in process CPU time."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def stage(self, description: str, total: float | None = None) -> None:
        self.wall, self.cpu = [time.perf_counter()], [time.process_time()]

    def advance(self, amount: float = 1) -> None:
        self.wall.append(time.perf_counter())
        self.cpu.append(time.process_time())

    def log(self, message: str) -> None:
        pass


def one_epoch(
    name: str, texts: list[str], labels: list[str], group: bool, compact: bool, fused: bool
) -> dict[str, Any]:
    estimator = ALGORITHMS[name]().build(42)
    estimator.config = dataclasses.replace(
        estimator.config,
        epochs=1,
        evaluations_per_epoch=1,
        group_by_length=group,
        compact_embeddings=compact,
        fused_optimizer=fused,
        max_seconds=1e9,
    )
    clock = StepClock()
    load_before = os.getloadavg()[0]
    estimator.fit(texts, labels, progress=clock)
    wall, cpu = np.diff(clock.wall), np.diff(clock.cpu)
    return {
        "epoch_wall_seconds": round(float(wall.sum()), 3),
        "epoch_cpu_seconds": round(float(cpu.sum()), 3),
        "median_step_wall_ms": round(1000 * float(np.median(wall)), 1),
        "median_step_cpu_ms": round(1000 * float(np.median(cpu)), 1),
        "steps": len(wall),
        "padding_fraction": estimator.report_.padding_fraction,
        "load_average_1min_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def run(dataset: str, algorithms: list[str], rows: int, rounds: int) -> dict[str, Any]:
    if dataset == "rt":
        frame = rt_polarity(data_dir())
        train, _ = train_test_split(frame, test_size=0.1, stratify=frame["label"], random_state=42)
        source = "the Rotten Tomatoes 90 % split"
    else:
        train, source = sst2(data_dir(), "train"), "SST-2 train"
    texts, labels = train["text"].tolist()[:rows], train["label"].tolist()[:rows]
    results = []
    for name in algorithms:
        runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode, *_ in MODES}
        for round_ in range(rounds):
            for mode, group, compact, fused in MODES:
                row = one_epoch(name, texts, labels, group, compact, fused)
                print(f"{name} round {round_ + 1} {mode}: {json.dumps(row)}", flush=True)
                runs[mode].append(row)
        for mode, group, compact, fused in MODES:
            row: dict[str, Any] = {
                "algorithm": name,
                "mode": mode,
                "group_by_length": group,
                "compact_embeddings": compact,
                "fused_optimizer": fused,
            }
            for clock in ("wall", "cpu"):
                key = f"epoch_{clock}_seconds"
                epoch_s = statistics.median(r[key] for r in runs[mode])
                baseline = statistics.median(r[key] for r in runs[MODES[0][0]])
                row[f"median_{key}"] = round(epoch_s, 2)
                row[f"{clock}_speedup_vs_before"] = round(baseline / epoch_s, 2)
            results.append({**row, "runs": runs[mode]})
    return {
        "benchmark": "neural_training_speed",
        "protocol": (
            f"one epoch on the first {rows:,} rows of {source} "
            f"(10 % of them held out for validation), default hyperparameters, median of "
            f"{rounds} interleaved rounds"
        ),
        "machine": {
            "cpus": os.cpu_count(),
            "torch_threads": torch_threads(),
            "nice": os.nice(0),
            "load_average_1_5_15_at_end": [round(v, 2) for v in os.getloadavg()],
        },
        "libraries": library_versions(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "results": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", choices=["rt", "sst2"], default="rt")
    parser.add_argument("--algorithms", default="textcnn,gru,minilm-finetune")
    parser.add_argument("--rows", type=int, default=1600)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    report = run(args.dataset, args.algorithms.split(","), args.rows, args.rounds)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(
        "| algorithm | batches, embedding table | epoch CPU s | speed-up | epoch wall s | speed-up |"
    )
    print("|---|---|---|---|---|---|")
    for r in report["results"]:
        print(
            f"| {r['algorithm']} | {r['mode']} | {r['median_epoch_cpu_seconds']} | "
            f"{r['cpu_speedup_vs_before']}× | {r['median_epoch_wall_seconds']} | "
            f"{r['wall_speedup_vs_before']}× |"
        )


if __name__ == "__main__":
    main()
