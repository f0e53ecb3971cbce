"""A small base for stores that live beside the registry in the same database (keys, audit)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from sqlalchemy.exc import OperationalError

from limelight.errors import RegistryBusy
from limelight.registry.db import Base, make_engines

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

    @staticmethod
    def _guard(work: Callable[[], T]) -> T:
        try:
            return work()
        except OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise RegistryBusy(
                    "the registry database is busy (locked by another writer); retry shortly"
                ) from exc
            raise
