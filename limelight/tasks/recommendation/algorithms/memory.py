"""Side matrices remembered while one training runs.

Auto mode fits many models on the same interactions and catalog: the text neighbours of the
catalog and the time-weighted Gram of a (tau, beta) pair come out the same every time. Inside
``remembered()`` each kind of matrix keeps its last value for reuse (one per kind, so never two
items × items matrices of a kind are held), read-only because every fit that reuses it shares
it. Outside the block nothing is kept: a serving process holds no training leftovers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import numpy as np
import scipy.sparse as sp

T = TypeVar("T", np.ndarray, sp.csr_matrix)

_MEMORY: ContextVar[dict[str, tuple[tuple[object, ...], Any]] | None] = ContextVar(
    "remembered_side_matrices", default=None
)


@contextmanager
def remembered() -> Iterator[None]:
    """Keep side matrices for reuse until the block ends (an enclosing block's memory is used
    when there is one)."""
    if _MEMORY.get() is not None:
        yield
        return
    token = _MEMORY.set({})
    try:
        yield
    finally:
        _MEMORY.reset(token)


def recall(kind: str, key: tuple[object, ...], compute: Callable[[], T]) -> T:
    """The remembered ``kind`` if it was computed for ``key``, else ``compute()`` (kept, in
    place of the previous ``kind``, when inside ``remembered()``)."""
    memory = _MEMORY.get()
    if memory is None:
        return compute()
    held = memory.get(kind)
    if held is not None and held[0] == key:
        return held[1]
    memory.pop(kind, None)  # dropped before computing: one matrix of a kind at a time
    value = compute()
    for array in _arrays(value):
        array.flags.writeable = False
    memory[kind] = (key, value)
    return value


def _arrays(value: np.ndarray | sp.csr_matrix) -> tuple[np.ndarray, ...]:
    if isinstance(value, sp.csr_matrix):
        return (value.data, value.indices, value.indptr)
    return (value,)


def digest(*arrays: np.ndarray) -> bytes:
    """A content key for ``arrays`` (shape and bytes)."""
    h = hashlib.blake2b()
    for array in arrays:
        h.update(repr(array.shape).encode())
        h.update(np.ascontiguousarray(array).tobytes())
    return h.digest()
