"""A sentence encoder running an exported transformer with ONNX Runtime.

Tokenization uses the ``tokenizers`` fast tokenizer (loaded once); the ONNX graph returns token
embeddings and mean pooling plus L2 normalization happen in numpy, exactly as
sentence-transformers does for all-MiniLM-L6-v2. Texts are sorted by length before batching so
each batch pads as little as possible.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from limelight import onnxrt
from limelight.errors import ModelLoadError

_CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class OnnxSentenceEncoder:
    """Texts -> L2-normalized float32 vectors with an ONNX token-embedding graph.

    ``shared()`` keeps one encoder per ONNX file content (sha256), so the process-wide MiniLM
    encoder and a registered embedding model built from the same export share one session.
    """

    _pool: ClassVar[dict[str, OnnxSentenceEncoder]] = {}
    _pool_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        model_file: Path,
        tokenizer_file: Path,
        *,
        max_seq_length: int = 256,
        dimension: int = 384,
        threads: int | None = None,
    ) -> None:
        try:
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - both are core dependencies
            raise ModelLoadError(f"ONNX embeddings need onnxruntime and tokenizers: {exc}") from exc
        self.max_seq_length = max_seq_length
        self.dimension = dimension
        self.threads = threads or onnxrt.default_threads()
        tokenizer = Tokenizer.from_file(str(tokenizer_file))
        tokenizer.enable_truncation(max_length=max_seq_length)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.tokenizer = tokenizer
        self.session: Any = onnxrt.session(model_file, self.threads)
        self._input_names = {i.name for i in self.session.get_inputs()}
        self._lock = threading.Lock()

    @classmethod
    def shared(
        cls, model_file: Path, tokenizer_file: Path, sha256: str | None = None, **kwargs: Any
    ) -> OnnxSentenceEncoder:
        key = f"{sha256 or sha256_of(model_file)}:{kwargs.get('max_seq_length', 256)}"
        with cls._pool_lock:
            encoder = cls._pool.get(key)
            if encoder is None:
                encoder = cls(model_file, tokenizer_file, **kwargs)
                cls._pool[key] = encoder
            return encoder

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens the model sees per text (special tokens included, after truncation)."""
        return [sum(e.attention_mask) for e in self.tokenizer.encode_batch(list(texts))]

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """L2-normalized float32 vectors of shape (len(texts), dimension), in input order."""
        texts = list(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        batch_size = max(1, batch_size)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            out[rows] = self._encode_batch([texts[i] for i in rows])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.asarray([e.ids for e in encodings], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        with self._lock:
            tokens = self.session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        summed = (tokens * weights).sum(axis=1)
        pooled = summed / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
