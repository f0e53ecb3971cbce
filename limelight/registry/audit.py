"""The audit log: every admin action (keys created or revoked, aliases moved or removed, versions
and models deleted, users forgotten by a recommender) as one row in the registry database: who,
when, what, on what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from sqlalchemy import JSON, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from limelight.registry.db import Base, UTCDateTime, utcnow
from limelight.registry.sql import SqlStore

AuditAction = Literal[
    "key.create",
    "key.revoke",
    "alias.set",
    "alias.remove",
    "version.delete",
    "model.delete",
    "endpoint.set",
    "endpoint.delete",
    "user.forget",
]
ACTIONS: tuple[str, ...] = get_args(AuditAction)


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(128))
    key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    action: Mapped[str] = mapped_column(String(32), index=True)
    target: Mapped[str] = mapped_column(String(256))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: datetime
    actor: str
    key_id: str | None
    action: str
    target: str
    detail: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "key_id": self.key_id,
            "action": self.action,
            "target": self.target,
            "detail": self.detail,
        }


def add_event(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str,
    key_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record an event inside the caller's transaction (so the action and its record commit
    together)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    session.add(
        AuditRow(
            at=utcnow(),
            actor=actor,
            key_id=key_id,
            action=action,
            target=target,
            detail=detail or {},
        )
    )


class AuditLog(SqlStore):
    tables = (AuditRow.__table__,)

    def record(
        self,
        *,
        actor: str,
        action: str,
        target: str,
        key_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        def work() -> None:
            with Session(self._write) as session, session.begin():
                add_event(
                    session, actor=actor, action=action, target=target, key_id=key_id, detail=detail
                )

        self._guard(work)

    def list(
        self, *, limit: int = 100, action: str | None = None, actor: str | None = None
    ) -> list[AuditEvent]:
        """The newest ``limit`` events first, optionally of one action or one actor."""

        def work() -> list[AuditEvent]:
            query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
            if action is not None:
                query = query.where(AuditRow.action == action)
            if actor is not None:
                query = query.where(AuditRow.actor == actor)
            with Session(self._read) as session:
                return [
                    AuditEvent(
                        r.id, _aware(r.at), r.actor, r.key_id, r.action, r.target, dict(r.detail)
                    )
                    for r in session.scalars(query)
                ]

        return self._guard(work)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
