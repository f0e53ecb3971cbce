"""A loaded tabular model: validated records in, predictions (and explanations) out."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from limelight.tasks.selection import aligned_proba
from limelight.tasks.tabular.algorithms import REGRESSION
from limelight.tasks.tabular.columns import ColumnSpec, to_frame
from limelight.tasks.tabular.explain import explain_rows
from limelight.tasks.tabular.fitting import one_blas_thread
from limelight.tasks.tabular.schemas import features_of, input_model_for


class TabularPredictor:
    def __init__(
        self,
        pipeline: Any,
        specs: list[ColumnSpec],
        *,
        kind: str,
        labels: list[str] | None,
        explainer: str,
        baseline: dict[str, Any],
    ) -> None:
        self.pipeline = pipeline
        self.specs = specs
        self.kind = kind
        self.labels = labels
        self.explainer = explainer
        self.baseline = baseline
        self.input_model: type[BaseModel] = input_model_for(specs)

    def frame(self, records: Sequence[dict[str, Any]]) -> pd.DataFrame:
        return to_frame(records, self.specs)

    def output(self, frame: pd.DataFrame) -> np.ndarray:
        """Probabilities in label order (classification) or values (regression)."""
        with warnings.catch_warnings(), one_blas_thread():
            warnings.filterwarnings("ignore", message=".*does not have valid feature names.*")
            if self.kind == REGRESSION:
                return np.asarray(self.pipeline.predict(frame), dtype=np.float64)
            assert self.labels is not None
            return aligned_proba(self.pipeline, frame, self.labels)

    def format(self, row: np.ndarray | float) -> dict[str, Any]:
        if self.kind == REGRESSION:
            return {"value": round(float(row), 6)}
        assert self.labels is not None
        probs = np.asarray(row)
        return {
            "label": self.labels[int(probs.argmax())],
            "scores": {k: round(float(p), 6) for k, p in zip(self.labels, probs, strict=True)},
        }

    def predict_batch(self, inputs: Sequence[BaseModel]) -> list[dict[str, Any]]:
        records = [features_of(item) for item in inputs]
        output = self.output(self.frame(records))
        return [self.format(row) for row in output]

    def explain_batch(self, inputs: Sequence[BaseModel], top_k: int = 10) -> list[dict[str, Any]]:
        records = [features_of(item) for item in inputs]
        frame = self.frame(records)
        output = self.output(frame)
        explanations = explain_rows(self, frame, output, top_k=top_k)
        for record, explanation, row in zip(records, explanations, output, strict=True):
            explanation["prediction"] = self.format(row)
            for item in explanation["contributions"]:
                item["value"] = record.get(item["feature"])
        return explanations
