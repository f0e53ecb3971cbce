"""API keys: created with scopes and limits, shown once, stored only as a sha256 hash.

A key reads ``ll_<key id>_<secret>``: the key id is public (it names the key in lists, logs and
the audit log) and is how a presented key is looked up; the secret is 256 random bits. Only
sha256(key) is stored, compared in constant time.

Scopes: ``predict:<model glob>`` (e.g. ``predict:movie-*``), ``train``, ``admin`` (registry
changes, alias moves, keys, deletions; implies every other scope).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

from sqlalchemy import JSON, Float, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from limelight.errors import Conflict, InvalidInput, NotFound, Unauthorized
from limelight.registry.audit import add_event
from limelight.registry.db import Base, UTCDateTime, utcnow
from limelight.registry.sql import SqlStore

PREFIX = "ll"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_GLOB = re.compile(r"^[A-Za-z0-9._*?\[\]-]{1,64}$")
_KEY = re.compile(r"^ll_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}
_DURATION = re.compile(r"^(\d+)\s*(s|m|h|d|w)$")


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    burst: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quota: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(128), nullable=True)


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    rate: float | None = None
    burst: int | None = None
    quota: int | None = None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.scopes

    def can_train(self) -> bool:
        return self.is_admin or "train" in self.scopes

    def can_predict(self, model: str) -> bool:
        return self.is_admin or any(
            fnmatchcase(model, s.removeprefix("predict:"))
            for s in self.scopes
            if s.startswith("predict:")
        )

    def can_predict_any(self) -> bool:
        return self.is_admin or any(s.startswith("predict:") for s in self.scopes)

    def status(self, now: datetime | None = None) -> str:
        now = now or datetime.now(UTC)
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and _aware(self.expires_at) <= now:
            return "expired"
        return "active"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "name": self.name,
            "scopes": list(self.scopes),
            "status": self.status(),
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "rate": self.rate,
            "burst": self.burst,
            "quota": self.quota,
        }


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_id_of(presented: str) -> str | None:
    """The public id inside a presented key (None when it is not shaped like a key)."""
    match = _KEY.match(presented)
    return match.group(1) if match else None


# --------------------------------------------------------------------------- parsing options
def parse_scopes(text: str | list[str]) -> tuple[str, ...]:
    items = text.split(",") if isinstance(text, str) else text
    scopes: list[str] = []
    for raw in items:
        scope = raw.strip()
        if not scope:
            continue
        glob = scope.removeprefix("predict:")
        if scope not in ("admin", "train") and not (scope != glob and _GLOB.match(glob)):
            raise InvalidInput(
                f"unknown scope {scope!r}: use predict:<model glob> (e.g. predict:movie-*), "
                "train or admin",
                field="scopes",
            )
        if scope not in scopes:
            scopes.append(scope)
    if not scopes:
        raise InvalidInput("a key needs at least one scope", field="scopes")
    return tuple(scopes)


def parse_rate(text: str) -> float:
    """``50/s``, ``600/min``, ``1000/h`` -> requests per second."""
    count, _, unit = text.strip().partition("/")
    seconds = _UNITS.get(unit.strip().lower() or "s")
    try:
        value = float(count)
    except ValueError:
        value = -1.0
    if seconds is None or not value > 0 or value > 1e9:
        raise InvalidInput(f"rate {text!r} is not like 50/s, 600/min or 1000/h", field="rate")
    return value / seconds


def parse_quota(text: str) -> int:
    """``100000/day`` (or a bare number) -> requests per UTC day."""
    count, _, unit = text.strip().partition("/")
    if unit.strip().lower() not in ("", "d", "day") or not count.strip().isdigit():
        raise InvalidInput(f"quota {text!r} is not like 100000/day", field="quota")
    value = int(count)
    if not 0 < value < 2**62:
        raise InvalidInput("the quota must be a positive number of requests", field="quota")
    return value


def parse_duration(text: str) -> timedelta:
    """``90s``, ``45m``, ``12h``, ``30d``, ``2w``."""
    match = _DURATION.match(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise InvalidInput(f"duration {text!r} is not like 12h, 30d or 2w", field="expires")
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[match.group(2)]
    seconds = int(match.group(1)) * unit
    if seconds > 100 * 365 * 86400:
        raise InvalidInput("a key cannot live longer than 100 years", field="expires")
    return timedelta(seconds=seconds)


# --------------------------------------------------------------------------- the store
class KeyStore(SqlStore):
    tables = (ApiKeyRow.__table__,)

    def any_keys(self) -> bool:
        """Whether any key was ever created: if so, every protected route needs one. (Revoking
        every key locks the server rather than opening it.)"""

        def work() -> bool:
            with Session(self._read) as session:
                return bool(session.scalar(select(func.count()).select_from(ApiKeyRow)))

        return self._guard(work)

    def create(
        self,
        name: str,
        scopes: str | list[str],
        *,
        expires_in: timedelta | None = None,
        rate: float | None = None,
        burst: int | None = None,
        quota: int | None = None,
        actor: str = "cli",
        actor_key_id: str | None = None,
    ) -> tuple[ApiKey, str]:
        """Create a key; return it with its secret, which is never shown again."""
        if not _NAME.match(name):
            raise InvalidInput(
                f"key name {name!r}: 1-64 letters, digits, '.', '_' or '-'", field="name"
            )
        parsed = parse_scopes(scopes)
        if burst is not None and burst < 1:
            raise InvalidInput("burst must be at least 1", field="burst")
        if burst is not None and rate is None:
            raise InvalidInput("burst needs a rate (e.g. --rate 50/s)", field="burst")
        if rate is not None and burst is None:
            burst = max(1, int(rate))
        secret = secrets.token_urlsafe(32)
        key_id = secrets.token_hex(6)
        key = f"{PREFIX}_{key_id}_{secret}"
        now = utcnow()

        def work() -> ApiKey:
            with Session(self._write) as session, session.begin():
                taken = session.scalar(
                    select(ApiKeyRow.key_id).where(
                        ApiKeyRow.name == name, ApiKeyRow.revoked_at.is_(None)
                    )
                )
                if taken is not None:
                    raise Conflict(
                        f"an active key is already named {name!r}: revoke it first "
                        f"(`limelight keys revoke {name}`) or pick another name",
                        field="name",
                    )
                row = ApiKeyRow(
                    key_id=key_id,
                    name=name,
                    key_hash=hash_key(key),
                    scopes=list(parsed),
                    rate=rate,
                    burst=burst,
                    quota=quota,
                    created_at=now,
                    expires_at=now + expires_in if expires_in else None,
                    created_by=actor,
                )
                session.add(row)
                add_event(
                    session,
                    actor=actor,
                    key_id=actor_key_id,
                    action="key.create",
                    target=f"key {name} ({key_id})",
                    detail={"scopes": list(parsed), "rate": rate, "burst": burst, "quota": quota},
                )
                session.flush()
                return _key(row)

        return self._guard(work), key

    def list(self, *, include_revoked: bool = False) -> list[ApiKey]:
        def work() -> list[ApiKey]:
            query = select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.name)
            if not include_revoked:
                query = query.where(ApiKeyRow.revoked_at.is_(None))
            with Session(self._read) as session:
                return [_key(r) for r in session.scalars(query)]

        return self._guard(work)

    def revoke(
        self, name_or_id: str, *, actor: str = "cli", actor_key_id: str | None = None
    ) -> ApiKey:
        def work() -> ApiKey:
            with Session(self._write) as session, session.begin():
                rows = session.scalars(
                    select(ApiKeyRow).where(
                        (ApiKeyRow.name == name_or_id) | (ApiKeyRow.key_id == name_or_id),
                        ApiKeyRow.revoked_at.is_(None),
                    )
                ).all()
                if not rows:
                    raise NotFound(
                        f"no active key named or with id {name_or_id!r}; see `limelight keys list`"
                    )
                row = rows[0]
                row.revoked_at = utcnow()
                add_event(
                    session,
                    actor=actor,
                    key_id=actor_key_id,
                    action="key.revoke",
                    target=f"key {row.name} ({row.key_id})",
                )
                session.flush()
                return _key(row)

        return self._guard(work)

    def authenticate(self, presented: str) -> ApiKey:
        """The key a client presented, or Unauthorized (unknown, revoked or expired)."""
        key_id = key_id_of(presented)
        if key_id is None:
            raise Unauthorized("the API key is malformed; keys look like ll_<id>_<secret>")

        def work() -> ApiKeyRow | None:
            with Session(self._read) as session:
                return session.get(ApiKeyRow, key_id)

        row = self._guard(work)
        if row is None or not hmac.compare_digest(row.key_hash, hash_key(presented)):
            raise Unauthorized("unknown API key")
        key = _key(row)
        status = key.status()
        if status != "active":
            raise Unauthorized(f"API key {key.key_id} ({key.name}) is {status}")
        return key


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        key_id=row.key_id,
        name=row.name,
        scopes=tuple(row.scopes),
        created_at=_aware(row.created_at),
        expires_at=_aware(row.expires_at) if row.expires_at else None,
        revoked_at=_aware(row.revoked_at) if row.revoked_at else None,
        rate=row.rate,
        burst=row.burst,
        quota=row.quota,
    )
