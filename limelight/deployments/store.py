"""Deployments live in the registry's database (table ``deployments``), so every server process
and the CLI see the same endpoints; each write is one transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from limelight.deployments.spec import EndpointSpec, parse_endpoint, validate_endpoint_name
from limelight.errors import NotFound
from limelight.registry import Registry
from limelight.registry.db import Base, UTCDateTime, guard_busy, make_engines, retry_busy, utcnow

T = TypeVar("T")


class DeploymentRow(Base):
    __tablename__ = "deployments"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor: Mapped[str | None] = mapped_column(String(128), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EndpointNotFound(NotFound):
    code = "endpoint_not_found"


class DeploymentStore:
    def __init__(self, database_url: str, *, busy_timeout: float = 30.0) -> None:
        self._read, self._write = make_engines(database_url, busy_timeout)
        self._guard(lambda: Base.metadata.create_all(self._write, tables=[DeploymentRow.__table__]))  # type: ignore[list-item]

    @classmethod
    def for_registry(cls, registry: Registry) -> DeploymentStore:
        return cls(registry.database_url, busy_timeout=registry.busy_timeout)

    def close(self) -> None:
        self._read.dispose()
        if self._write is not self._read:
            self._write.dispose()

    def all(self) -> dict[str, EndpointSpec]:
        def work() -> dict[str, EndpointSpec]:
            with Session(self._read) as session:
                rows = session.scalars(select(DeploymentRow).order_by(DeploymentRow.name))
                return {r.name: parse_endpoint(r.name, r.spec) for r in rows}

        return self._guard(work)

    def get(self, name: str) -> EndpointSpec:
        found = self.all().get(name)
        if found is None:
            raise EndpointNotFound(
                f"no endpoint named {name!r}; see `limelight deploy list` or GET /v1/endpoints"
            )
        return found

    def put(self, name: str, spec: EndpointSpec, actor: str | None = None) -> bool:
        """Create or replace an endpoint; True when it was created."""
        validate_endpoint_name(name)
        data = spec.model_dump(exclude_none=True)

        def work() -> bool:
            with Session(self._write) as session, session.begin():
                row = session.get(DeploymentRow, name)
                if row is None:
                    session.add(
                        DeploymentRow(name=name, spec=data, actor=actor, updated_at=utcnow())
                    )
                    return True
                row.spec, row.actor, row.updated_at = data, actor, utcnow()
                return False

        return self._retry(work)

    def delete(self, name: str) -> None:
        def work() -> None:
            with Session(self._write) as session, session.begin():
                row = session.get(DeploymentRow, name)
                if row is None:
                    raise EndpointNotFound(f"no endpoint named {name!r}")
                session.delete(row)

        self._retry(work)

    def apply(
        self, endpoints: dict[str, EndpointSpec], *, prune: bool = False, actor: str | None = None
    ) -> dict[str, list[str]]:
        """Make the store match a deployment file in one transaction; ``prune`` also removes
        endpoints the file does not name."""

        def work() -> dict[str, list[str]]:
            changes: dict[str, list[str]] = {"created": [], "updated": [], "removed": []}
            with Session(self._write) as session, session.begin():
                existing = {r.name: r for r in session.scalars(select(DeploymentRow))}
                for name, spec in endpoints.items():
                    data = spec.model_dump(exclude_none=True)
                    row = existing.get(name)
                    if row is None:
                        session.add(
                            DeploymentRow(name=name, spec=data, actor=actor, updated_at=utcnow())
                        )
                        changes["created"].append(name)
                    elif row.spec != data:
                        row.spec, row.actor, row.updated_at = data, actor, utcnow()
                        changes["updated"].append(name)
                if prune:
                    for name, row in existing.items():
                        if name not in endpoints:
                            session.delete(row)
                            changes["removed"].append(name)
            return changes

        return self._retry(work)

    _guard = staticmethod(guard_busy)

    def _retry(self, work: Callable[[], T], attempts: int = 2) -> T:
        return retry_busy(work, attempts)
