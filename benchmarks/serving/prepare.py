"""Prepare the benchmark's models and request bodies (once; reused while they exist).

- rt-tfidf: TF-IDF (word 1-2 + char 2-5) + logistic regression, trained by Limelight on Rotten
  Tomatoes (8,000 sentences).
- rt-minilm: MiniLM embeddings + logistic regression, trained by Limelight on 3,000 sentences.

Each is registered in its own Limelight home (served by Limelight) and exported as the plain
fitted scikit-learn objects (joblib) that the alternative servers load. The request bodies are
2,000 held-out review sentences, written once per server request format.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from limelight.registry import Registry
from limelight.runtime import load
from limelight.settings import Settings
from limelight.training import train

MODELS = {
    "tfidf": ("rt-tfidf", "tfidf-logreg", 8000),
    "minilm": ("rt-minilm", "minilm-logreg", 3000),
}
HELD_OUT = slice(9000, 11000)


def rotten_tomatoes(data_dir: Path) -> tuple[list[str], np.ndarray]:
    folder = data_dir / "rt-polarity" / "utf8"
    neg = folder.joinpath("rt-polarity.neg").read_text(encoding="utf-8").splitlines()
    pos = folder.joinpath("rt-polarity.pos").read_text(encoding="utf-8").splitlines()
    texts = [t.strip() for t in neg + pos]
    labels = np.array(["negative"] * len(neg) + ["positive"] * len(pos))
    order = np.random.default_rng(7).permutation(len(texts))
    return [texts[i] for i in order], labels[order]


def home(work: Path, kind: str) -> Path:
    return work / f"home-{kind}"


def prepare_model(work: Path, kind: str, texts: list[str], labels: np.ndarray) -> None:
    name, algorithm, rows = MODELS[kind]
    export = work / ("tfidf.joblib" if kind == "tfidf" else "minilm_head.joblib")
    if export.exists():
        return
    registry = Registry.from_settings(Settings(home=home(work, kind)))
    try:
        frame = pd.DataFrame({"text": texts[:rows], "label": labels[:rows]})
        train(
            registry,
            "text-classification",
            frame,
            name=name,
            columns={"text": "text", "target": "label"},
            algorithm=algorithm,
            seed=0,
        )
        estimator = load(registry, name).predictor.estimator  # type: ignore[attr-defined]
    finally:
        registry.close()
    plain = estimator if kind == "tfidf" else estimator.named_steps["classifier"]
    joblib.dump(plain, export)


def body_formats(text: str) -> dict[str, dict[str, Any]]:
    return {
        "text": {"text": text},
        "bentoml": {"texts": [text]},
        "mlserver": {
            "inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": [text]}]
        },
    }


def prepare(work: Path, data_dir: Path, kinds: list[str]) -> list[str]:
    work.mkdir(parents=True, exist_ok=True)
    texts, labels = rotten_tomatoes(data_dir)
    for kind in kinds:
        prepare_model(work, kind, texts, labels)
    sentences = texts[HELD_OUT]
    for fmt in body_formats(""):
        path = work / f"bodies-{fmt}.jsonl"
        if not path.exists():
            lines = [json.dumps(body_formats(t)[fmt]) for t in sentences]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sentences
