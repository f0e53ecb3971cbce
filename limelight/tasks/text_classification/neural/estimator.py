"""A neural text classifier with scikit-learn's shape (fit / predict_proba / classes_), trained in
PyTorch and saved as ONNX + tokenizer + JSON config, never pickled."""

from __future__ import annotations

import json
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from limelight.tasks.base import Progress
from limelight.tasks.text_classification.neural.networks import BiGRU, WithSoftmax
from limelight.tasks.text_classification.neural.serving import CONFIG_FILE, FORMAT, ONNX_FILE
from limelight.tasks.text_classification.neural.tokens import Tokenizer, batch_ids
from limelight.tasks.text_classification.neural.training import (
    TrainConfig,
    fit_network,
    predict_proba,
    torch_threads,
)

OPSET = 17


class NeuralTextClassifier:
    """``make_tokenizer(texts)`` builds the tokenizer, ``make_network(tokenizer, classes)`` the
    network; ``config`` says how to train it."""

    def __init__(
        self,
        *,
        architecture: str,
        params: dict[str, Any],
        make_tokenizer: Callable[[Sequence[str]], Tokenizer],
        make_network: Callable[[Tokenizer, int], nn.Module],
        config: TrainConfig,
    ) -> None:
        self.architecture = architecture
        self.params = params
        self.make_tokenizer = make_tokenizer
        self.make_network = make_network
        self.config = config

    def fit(
        self, texts: Sequence[str], labels: Sequence[Any], progress: Progress | None = None
    ) -> NeuralTextClassifier:
        texts = list(texts)
        classes, y = np.unique(np.asarray(labels, dtype=str), return_inverse=True)
        if len(classes) < 2:
            raise ValueError("the labels hold a single class; a classifier needs at least two")
        self.classes_ = classes
        self.tokenizer_ = self.make_tokenizer(texts)
        torch.manual_seed(self.config.seed)  # the same initial weights for the same seed
        self.network_ = self.make_network(self.tokenizer_, len(classes))
        self.report_ = fit_network(
            self.network_, self.tokenizer_, texts, y.astype(np.int64), self.config, progress
        )
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        rows = [self.tokenizer_.ids(t, self.config.max_len) or [1] for t in texts]
        previous = torch.get_num_threads()
        torch.set_num_threads(torch_threads())
        try:
            return predict_proba(self.network_, rows, min_len=self.config.min_len)
        finally:
            torch.set_num_threads(previous)

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.classes_[self.predict_proba(texts).argmax(axis=1)])

    def save(self, folder: Path) -> None:
        """Write ``model.onnx``, the tokenizer's file and ``config.json`` into ``folder``."""
        export_onnx(self.network_, folder / ONNX_FILE, self.config.min_len)
        config = {
            "format": FORMAT,
            "architecture": self.architecture,
            "params": self.params,
            "classes": [str(c) for c in self.classes_],
            "tokenizer": self.tokenizer_.save(folder),
            "max_len": self.config.max_len,
            "min_len": self.config.min_len,
            "opset": OPSET,
            "training": self.report_.to_dict(),
        }
        (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2))


def export_onnx(network: nn.Module, path: Path, min_len: int) -> None:
    """Trace the network (in eval mode) to ONNX with dynamic batch and length axes."""
    network.eval()
    exportable = network.exportable() if isinstance(network, BiGRU) else network
    wrapped = WithSoftmax(exportable).eval()
    ids, mask = batch_ids(_Sample(), ["a b c d e f g", "a b"], 64, min_len)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        # tracing warns about Python control flow on tensor shapes; parity is tested instead
        warnings.simplefilter("ignore")
        target = Path(tmp) / path.name
        torch.onnx.export(
            wrapped,
            (torch.from_numpy(ids), torch.from_numpy(mask)),
            str(target),
            input_names=["input_ids", "attention_mask"],
            output_names=["probabilities"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "length"},
                "attention_mask": {0: "batch", 1: "length"},
                "probabilities": {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,
        )
        path.write_bytes(target.read_bytes())


class _Sample:
    """A stand-in tokenizer for the export's example input (ids 2.. are valid everywhere)."""

    kind = "sample"
    vocab_size = 10

    def ids(self, text: str, max_len: int) -> list[int]:
        return [2 + i % 5 for i, _ in enumerate(text.split())][:max_len]

    def save(self, folder: Path) -> dict[str, Any]:
        return {}
