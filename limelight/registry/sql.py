"""A small base for stores that live beside the registry in the same database (keys, audit)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, TypeVar

from limelight.registry.db import Base, guard_busy, make_engines

T = TypeVar("T")


class SqlStore:
    """Opens read and write engines on ``database_url`` and creates its own tables."""

    tables: ClassVar[tuple[Any, ...]] = ()

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        if database_url.startswith("sqlite:///"):
            Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self._read, self._write = make_engines(database_url)
        self._guard(lambda: Base.metadata.create_all(self._write, tables=list(self.tables)))

    def close(self) -> None:
        self._read.dispose()
        if self._write is not self._read:
            self._write.dispose()

    _guard = staticmethod(guard_busy)
