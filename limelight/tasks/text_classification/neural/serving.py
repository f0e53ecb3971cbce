"""Serving a neural text classifier with ONNX Runtime: tokenization in Python (the runtime's
pre-processing), the exported graph for the rest. Imports neither torch nor transformers.

An artifact folder holds ``model.onnx`` (inputs ``input_ids``/``attention_mask`` int64
[batch, length], output ``probabilities`` float32 [batch, classes]), the tokenizer's file and
``config.json`` (classes, tokenizer, lengths, architecture, training report).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from limelight import onnxrt
from limelight.errors import ModelLoadError
from limelight.tasks.text_classification.neural.tokens import UNK, load_tokenizer, pad

ONNX_FILE = "model.onnx"
CONFIG_FILE = "config.json"
FORMAT = "limelight-neural-text/1"


class OnnxTextClassifier:
    """fit-free estimator over an exported folder: ``predict_proba(texts)`` and ``classes_``."""

    def __init__(self, folder: Path, *, batch_size: int = 64) -> None:
        try:
            self.config: dict[str, Any] = json.loads((folder / CONFIG_FILE).read_text())
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"cannot read the model's {CONFIG_FILE}: {exc}") from exc
        if self.config.get("format") != FORMAT:
            raise ModelLoadError(f"{CONFIG_FILE} is not a {FORMAT} model")
        self.classes_ = np.asarray(self.config["classes"], dtype=object)
        self.tokenizer = load_tokenizer(folder, self.config["tokenizer"])
        self.max_len = int(self.config["max_len"])
        self.min_len = int(self.config["min_len"])
        self.batch_size = batch_size
        self.session = onnxrt.session(folder / ONNX_FILE)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        rows = [self.tokenizer.ids(t, self.max_len) or [UNK] for t in texts]
        out = np.zeros((len(rows), len(self.classes_)), dtype=np.float32)
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            ids, mask = pad([rows[i] for i in chunk], self.min_len)
            (proba,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
            out[chunk] = proba
        return out

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.classes_[self.predict_proba(texts).argmax(axis=1)])
