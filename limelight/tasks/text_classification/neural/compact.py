"""Training only the token-embedding rows the training texts use.

MiniLM's word-piece table has 30,522 rows of 384 floats; a data set uses a fraction of them
(Rotten Tomatoes about 13,800, SST-2 about 11,600). Rows a text never looks up get a zero
gradient, yet AdamW and gradient clipping still sweep the whole dense table on every step.
``CompactEmbedding`` swaps in a table of the seen rows for the fit (the training rows' ids are
remapped to it) and writes the result back into the full table afterwards, so export, the
tokenizer and serving are unchanged.

It learns what the full table learns (up to float rounding in the gradient norm): every other
weight sees the same loss and the same gradients, and a row that never has a gradient keeps Adam
moments of zero, so AdamW's only change to it is the decoupled weight decay, ``w *= 1 - lr *
weight_decay`` per step. The loop multiplies those factors up, and the rows never seen are scaled
by the product at the best weights when the table is restored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import torch
from torch import nn


@runtime_checkable
class HasTokenEmbedding(Protocol):
    """A network whose token ids go through one ``nn.Embedding`` (transformers' naming)."""

    def get_input_embeddings(self) -> nn.Embedding: ...

    def set_input_embeddings(self, value: nn.Embedding) -> None: ...


class CompactEmbedding:
    """Replace ``network``'s token embedding by its rows that ``rows`` use; ``restore`` puts the
    full table back with the trained rows in place."""

    def __init__(self, network: HasTokenEmbedding, rows: Sequence[Sequence[int]]) -> None:
        full = network.get_input_embeddings()
        used = np.fromiter((i for row in rows for i in row), dtype=np.int64)
        extra = [] if full.padding_idx is None else [full.padding_idx]
        self.seen = np.unique(np.concatenate([used, np.asarray(extra, dtype=np.int64)]))
        self.index = np.full(full.num_embeddings, -1, dtype=np.int64)
        self.index[self.seen] = np.arange(len(self.seen))
        padding = None if full.padding_idx is None else int(self.index[full.padding_idx])
        compact = nn.Embedding(len(self.seen), full.embedding_dim, padding_idx=padding)
        with torch.no_grad():
            compact.weight.copy_(full.weight[torch.from_numpy(self.seen)])
        compact.weight.requires_grad_(full.weight.requires_grad)
        self.full = full
        network.set_input_embeddings(compact)

    def remap(self, rows: Sequence[Sequence[int]]) -> list[list[int]]:
        """Token ids of the full table -> ids of the compact one (every id must be seen)."""
        index = self.index
        return [index[np.asarray(row, dtype=np.int64)].tolist() for row in rows]

    def restore(self, network: HasTokenEmbedding, decayed: float) -> None:
        """Write the trained rows back; the rows never seen get AdamW's weight decay only."""
        compact = network.get_input_embeddings()
        with torch.no_grad():
            self.full.weight.mul_(decayed)
            self.full.weight[torch.from_numpy(self.seen)] = compact.weight
        network.set_input_embeddings(self.full)
