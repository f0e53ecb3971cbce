"""The order in which an epoch visits the training rows: shuffled mini-batches, by default
grouped by length so that a batch pads to little more than its own texts.

Length grouping is the usual bucket approach (Hugging Face Trainer's ``group_by_length``,
AllenNLP's bucket iterator): shuffle the rows, cut them into chunks of ``chunk_batches``
batches, sort each chunk by length, cut it into batches, then shuffle the order of all the
batches. Every row is visited exactly once per epoch, a batch holds texts of similar length
from one random chunk, and the same generator state gives the same batches. Without grouping
the batches are consecutive slices of one random permutation (the loop's order before grouping).
"""

from __future__ import annotations

import numpy as np
import torch

CHUNK_BATCHES = 50


def epoch_batches(
    lengths: np.ndarray,
    batch_size: int,
    generator: torch.Generator,
    *,
    group_by_length: bool = True,
    chunk_batches: int = CHUNK_BATCHES,
) -> list[np.ndarray]:
    """Positions into ``lengths`` (one per training row), cut into batches of ``batch_size``
    (only the last batch of the last chunk can be smaller): ``ceil(n / batch_size)`` batches."""
    n = len(lengths)
    order = torch.randperm(n, generator=generator).numpy()
    if not group_by_length:
        return [order[i : i + batch_size] for i in range(0, n, batch_size)]
    batches: list[np.ndarray] = []
    chunk = batch_size * chunk_batches
    for start in range(0, n, chunk):
        part = order[start : start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]  # ties stay in random order
        batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    shuffled = torch.randperm(len(batches), generator=generator).numpy()
    return [batches[i] for i in shuffled]
