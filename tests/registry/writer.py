"""A registry writer run in separate processes (imports only the registry, so it starts fast)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from limelight.registry import LocalArtifactStore, Registry


def register_many(url: str, root: str, count: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    registry = Registry(url, LocalArtifactStore(Path(root)))
    numbers = []
    for i in range(count):
        with registry.staging() as staged:
            (staged / "model.bin").write_bytes(str(i).encode())
            numbers.append(
                registry.register("race", "text-classification", "algo", {}, staged).version
            )
    registry.close()
    queue.put(numbers)
