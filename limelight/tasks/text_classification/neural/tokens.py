"""Text -> token ids, done in Python before the network (in training and in the runtime's
pre-processing alike, so serving sees exactly what training saw).

Two tokenizers, both saved as plain files next to the ONNX graph:
- ``WordVocab``: lower-cased words and punctuation, a vocabulary learned from the training texts
  (``vocab.json``), id 0 = padding, id 1 = unknown word;
- ``WordPiece``: MiniLM's own tokenizer (``tokenizer.json``, read with the ``tokenizers``
  library), so MiniLM's token embeddings and the fine-tuned Transformer can be used.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from limelight.errors import ModelLoadError

WORD = re.compile(r"\w+|[^\w\s]")
PAD, UNK = 0, 1


class Tokenizer(Protocol):
    kind: str
    vocab_size: int

    def ids(self, text: str, max_len: int) -> list[int]: ...

    def save(self, folder: Path) -> dict[str, Any]: ...


def batch_ids(
    tokenizer: Tokenizer, texts: Sequence[str], max_len: int, min_len: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Tokenize and pad a batch (see ``pad``)."""
    return pad([tokenizer.ids(t, max_len) or [UNK] for t in texts], min_len)


def pad(rows: Sequence[list[int]], min_len: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Pad token-id rows to the longest (at least ``min_len`` positions): int64 ``input_ids``
    and ``attention_mask``, both [batch, length]."""
    width = max(min_len, max((len(r) for r in rows), default=1))
    ids = np.zeros((len(rows), width), dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return ids, mask


class WordVocab:
    """Words seen at least ``min_count`` times in training (the ``max_size`` most frequent)."""

    kind = "words"
    FILE = "vocab.json"

    def __init__(self, words: list[str]) -> None:
        self.words = words  # position = id; 0 and 1 are <pad> and <unk>
        self.index = {w: i for i, w in enumerate(words)}
        self.vocab_size = len(words)

    @classmethod
    def learn(cls, texts: Sequence[str], min_count: int = 1, max_size: int = 50_000) -> WordVocab:
        counts = Counter(w for t in texts for w in WORD.findall(t.lower()))
        kept = [w for w, c in counts.most_common(max_size) if c >= min_count]
        return cls(["<pad>", "<unk>", *kept])

    def ids(self, text: str, max_len: int) -> list[int]:
        index = self.index
        return [index.get(w, UNK) for w in WORD.findall(text.lower())[:max_len]]

    def save(self, folder: Path) -> dict[str, Any]:
        (folder / self.FILE).write_text(json.dumps(self.words, ensure_ascii=False))
        return {"kind": self.kind, "file": self.FILE}

    @classmethod
    def load(cls, folder: Path) -> WordVocab:
        return cls(json.loads((folder / cls.FILE).read_text()))


class WordPiece:
    """MiniLM's WordPiece tokenizer ([CLS] text [SEP]); its ids index MiniLM's embeddings."""

    kind = "wordpiece"
    FILE = "tokenizer.json"

    def __init__(self, path: Path) -> None:
        from tokenizers import Tokenizer as HFTokenizer

        self.path = path
        self._tokenizer = HFTokenizer.from_file(str(path))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self.vocab_size = self._tokenizer.get_vocab_size()

    @classmethod
    def minilm(cls) -> WordPiece:
        from limelight.tasks.text_classification.neural.minilm import model_path

        return cls(model_path() / cls.FILE)

    def ids(self, text: str, max_len: int) -> list[int]:
        ids: list[int] = self._tokenizer.encode(text).ids
        if len(ids) > max_len:  # keep the closing [SEP]
            ids = [*ids[: max_len - 1], ids[-1]]
        return ids

    def save(self, folder: Path) -> dict[str, Any]:
        (folder / self.FILE).write_bytes(self.path.read_bytes())
        return {"kind": self.kind, "file": self.FILE}

    @classmethod
    def load(cls, folder: Path) -> WordPiece:
        return cls(folder / cls.FILE)


def load_tokenizer(folder: Path, spec: dict[str, Any]) -> Tokenizer:
    kind = spec.get("kind")
    if kind == WordVocab.kind:
        return WordVocab.load(folder)
    if kind == WordPiece.kind:
        return WordPiece.load(folder)
    raise ModelLoadError(f"unknown tokenizer kind {kind!r} in the model's config.json")
