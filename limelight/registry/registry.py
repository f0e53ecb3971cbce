"""The model registry: named models, numbered versions with manifests, aliases, artifacts."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from limelight.errors import Conflict, ModelNotFound, RegistryBusy, VersionNotFound
from limelight.registry.artifacts import LocalArtifactStore, StoredArtifact
from limelight.registry.db import (
    AliasEventRow,
    AliasRow,
    Base,
    ModelRow,
    VersionRow,
    guard_busy,
    make_engines,
    retry_busy,
    utcnow,
)
from limelight.registry.refs import (
    DEFAULT_ALIAS,
    ModelRef,
    parse_ref,
    validate_alias,
    validate_name,
)
from limelight.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class ModelVersion:
    name: str
    version: int
    task: str
    algorithm: str
    manifest: dict[str, Any]
    artifact_uri: str
    artifact_sha256: str
    created_at: datetime
    aliases: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.name}/versions/{self.version}"


@dataclass(frozen=True)
class ModelSummary:
    name: str
    task: str
    created_at: datetime
    latest_version: int
    aliases: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AliasEvent:
    alias: str
    from_version: int | None
    to_version: int | None
    actor: str | None
    at: datetime


class Registry:
    """Metadata in a SQL database, artifacts in an artifact store; every write is one
    transaction."""

    def __init__(
        self, database_url: str, artifacts: LocalArtifactStore, *, busy_timeout: float = 30.0
    ) -> None:
        self.database_url = database_url
        self.artifacts = artifacts
        self.busy_timeout = busy_timeout
        self._read, self._write = make_engines(database_url, busy_timeout)
        if database_url.startswith("sqlite:///"):
            Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.artifacts.root.mkdir(parents=True, exist_ok=True)
        self._guard(lambda: Base.metadata.create_all(self._write))

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Registry:
        settings = settings or Settings()
        return cls(
            settings.resolved_database_url,
            LocalArtifactStore(settings.resolved_artifacts_dir),
            busy_timeout=settings.registry_busy_timeout_seconds,
        )

    def close(self) -> None:
        self._read.dispose()
        if self._write is not self._read:
            self._write.dispose()

    # ----------------------------------------------------------------------------- writing
    @contextlib.contextmanager
    def staging(self) -> Iterator[Path]:
        """A folder to write a new artifact into; removed if the block raises."""
        staged = self.artifacts.stage()
        try:
            yield staged
        except BaseException:
            self.artifacts.discard(staged)
            raise

    def register(
        self, name: str, task: str, algorithm: str, manifest: dict[str, Any], staged: Path
    ) -> ModelVersion:
        """Move the staged artifact into place and record it as the next version of ``name``.

        If recording fails the artifact is deleted again, so a failed run leaves nothing behind.
        """
        validate_name(name)
        stored = self.artifacts.commit(staged, name)
        try:
            return self._retry_busy(
                lambda: self._insert_version(name, task, algorithm, manifest, stored)
            )
        except BaseException:
            self.artifacts.delete(stored.uri)
            raise

    def _insert_version(
        self, name: str, task: str, algorithm: str, manifest: dict[str, Any], stored: StoredArtifact
    ) -> ModelVersion:
        for _attempt in range(20):
            try:
                with Session(self._write) as session, session.begin():
                    model = session.scalar(select(ModelRow).where(ModelRow.name == name))
                    if model is None:
                        model = ModelRow(name=name, task=task, created_at=utcnow())
                        session.add(model)
                        session.flush()
                    elif model.task != task:
                        raise Conflict(
                            f"model {name!r} is a {model.task} model; a {task} model needs "
                            "another name",
                            field="name",
                        )
                    current = session.scalar(
                        select(func.max(VersionRow.version)).where(VersionRow.model_id == model.id)
                    )
                    number = (current or 0) + 1
                    full = dict(manifest)
                    full.update(
                        name=name,
                        version=number,
                        task=task,
                        algorithm=algorithm,
                        artifact={
                            "uri": stored.uri,
                            "sha256": stored.sha256,
                            "files": stored.files,
                        },
                    )
                    row = VersionRow(
                        model_id=model.id,
                        version=number,
                        algorithm=algorithm,
                        artifact_uri=stored.uri,
                        artifact_sha256=stored.sha256,
                        manifest=full,
                        created_at=utcnow(),
                    )
                    session.add(row)
                    session.flush()
                    return _version(row, model, ())
            except IntegrityError:
                time.sleep(0.01)  # another writer took this number: take the next one
        raise RegistryBusy(f"could not allocate a version number for {name!r}; try again")

    def set_alias(
        self, name: str, alias: str, version: int, actor: str | None = None
    ) -> int | None:
        """Point ``alias`` at ``version``; return the version it pointed at before (or None)."""
        validate_alias(alias)

        def work() -> int | None:
            with Session(self._write) as session, session.begin():
                model = self._model_row(session, name)
                exists = session.scalar(
                    select(VersionRow.id).where(
                        VersionRow.model_id == model.id, VersionRow.version == version
                    )
                )
                if exists is None:
                    raise VersionNotFound(
                        f"model {name!r} has no version {version}; "
                        f"see `limelight models show {name}`"
                    )
                row = session.get(AliasRow, (model.id, alias))
                previous = row.version if row else None
                if row is None:
                    session.add(AliasRow(model_id=model.id, alias=alias, version=version))
                else:
                    row.version = version
                    row.updated_at = utcnow()
                session.add(
                    AliasEventRow(
                        model_id=model.id,
                        alias=alias,
                        from_version=previous,
                        to_version=version,
                        actor=actor,
                        at=utcnow(),
                    )
                )
                return previous

        return self._retry_busy(work)

    def remove_alias(self, name: str, alias: str, actor: str | None = None) -> int:
        def work() -> int:
            with Session(self._write) as session, session.begin():
                model = self._model_row(session, name)
                row = session.get(AliasRow, (model.id, alias))
                if row is None:
                    raise VersionNotFound(f"model {name!r} has no alias {alias!r}")
                previous = row.version
                session.delete(row)
                session.add(
                    AliasEventRow(
                        model_id=model.id,
                        alias=alias,
                        from_version=previous,
                        to_version=None,
                        actor=actor,
                        at=utcnow(),
                    )
                )
                return previous

        return self._retry_busy(work)

    def delete_version(self, name: str, version: int) -> None:
        """Delete one version; refused while an alias points at it."""

        def work() -> str:
            with Session(self._write) as session, session.begin():
                model = self._model_row(session, name)
                row = session.scalar(
                    select(VersionRow).where(
                        VersionRow.model_id == model.id, VersionRow.version == version
                    )
                )
                if row is None:
                    raise VersionNotFound(f"model {name!r} has no version {version}")
                pinned = session.scalars(
                    select(AliasRow.alias).where(
                        AliasRow.model_id == model.id, AliasRow.version == version
                    )
                ).all()
                if pinned:
                    raise Conflict(
                        f"{name} version {version} is aliased as {', '.join(pinned)}: "
                        "move those aliases first"
                    )
                uri = row.artifact_uri
                session.delete(row)
                return uri

        uri = self._retry_busy(work)
        self.artifacts.delete(uri)

    def delete_model(self, name: str) -> None:
        def work() -> list[str]:
            with Session(self._write) as session, session.begin():
                model = self._model_row(session, name)
                uris = list(
                    session.scalars(
                        select(VersionRow.artifact_uri).where(VersionRow.model_id == model.id)
                    )
                )
                for table in (AliasEventRow, AliasRow, VersionRow):
                    session.execute(delete(table).where(table.model_id == model.id))
                session.delete(model)
                return uris

        for uri in self._retry_busy(work):
            self.artifacts.delete(uri)

    # ----------------------------------------------------------------------------- reading
    def list_models(self) -> list[ModelSummary]:
        def work() -> list[ModelSummary]:
            with Session(self._read) as session:
                latest: dict[int, int] = {
                    model_id: number
                    for model_id, number in session.execute(
                        select(VersionRow.model_id, func.max(VersionRow.version)).group_by(
                            VersionRow.model_id
                        )
                    )
                }
                aliases: dict[int, dict[str, int]] = {}
                for row in session.scalars(select(AliasRow)):
                    aliases.setdefault(row.model_id, {})[row.alias] = row.version
                return [
                    ModelSummary(
                        m.name, m.task, m.created_at, latest.get(m.id, 0), aliases.get(m.id, {})
                    )
                    for m in session.scalars(select(ModelRow).order_by(ModelRow.name))
                ]

        return self._guard(work)

    def list_versions(self, name: str) -> list[ModelVersion]:
        def work() -> list[ModelVersion]:
            with Session(self._read) as session:
                model = self._model_row(session, name)
                by_version = self._aliases_by_version(session, model.id)
                rows = session.scalars(
                    select(VersionRow)
                    .where(VersionRow.model_id == model.id)
                    .order_by(VersionRow.version)
                )
                return [_version(r, model, by_version.get(r.version, ())) for r in rows]

        return self._guard(work)

    def alias_history(self, name: str) -> list[AliasEvent]:
        def work() -> list[AliasEvent]:
            with Session(self._read) as session:
                model = self._model_row(session, name)
                rows = session.scalars(
                    select(AliasEventRow)
                    .where(AliasEventRow.model_id == model.id)
                    .order_by(AliasEventRow.id)
                )
                return [
                    AliasEvent(r.alias, r.from_version, r.to_version, r.actor, r.at) for r in rows
                ]

        return self._guard(work)

    def resolve(self, ref: str | ModelRef) -> ModelVersion:
        """Resolve a reference to one version. A bare name means ``@production`` if that alias
        exists, else the newest version."""
        parsed = parse_ref(ref) if isinstance(ref, str) else ref

        def work() -> ModelVersion:
            with Session(self._read) as session:
                model = self._model_row(session, parsed.name)
                number = parsed.version
                if parsed.alias == "latest":
                    number = session.scalar(
                        select(func.max(VersionRow.version)).where(VersionRow.model_id == model.id)
                    )
                elif number is None and parsed.alias is not None:
                    alias = session.get(AliasRow, (model.id, parsed.alias))
                    if alias is None:
                        raise VersionNotFound(
                            f"model {parsed.name!r} has no alias {parsed.alias!r}; set it with "
                            f"`limelight models promote {parsed.name} VERSION "
                            f"--alias {parsed.alias}`"
                        )
                    number = alias.version
                elif number is None:
                    default = session.get(AliasRow, (model.id, DEFAULT_ALIAS))
                    number = (
                        default.version
                        if default
                        else session.scalar(
                            select(func.max(VersionRow.version)).where(
                                VersionRow.model_id == model.id
                            )
                        )
                    )
                if number is None:
                    raise VersionNotFound(f"model {parsed.name!r} has no versions yet")
                row = session.scalar(
                    select(VersionRow).where(
                        VersionRow.model_id == model.id, VersionRow.version == number
                    )
                )
                if row is None:
                    raise VersionNotFound(f"model {parsed.name!r} has no version {number}")
                aliases = self._aliases_by_version(session, model.id).get(number, ())
                return _version(row, model, aliases)

        return self._guard(work)

    def artifact_dir(self, version: ModelVersion) -> Path:
        """The verified artifact folder of a version (raises ArtifactIntegrityError on mismatch)."""
        files = version.manifest.get("artifact", {}).get("files", {})
        return self.artifacts.verify(version.artifact_uri, files, version.artifact_sha256)

    # ----------------------------------------------------------------------------- helpers
    @staticmethod
    def _model_row(session: Session, name: str) -> ModelRow:
        model = session.scalar(select(ModelRow).where(ModelRow.name == name))
        if model is None:
            raise ModelNotFound(f"no model named {name!r}; see `limelight models list`")
        return model

    @staticmethod
    def _aliases_by_version(session: Session, model_id: int) -> dict[int, tuple[str, ...]]:
        out: dict[int, list[str]] = {}
        for row in session.scalars(
            select(AliasRow).where(AliasRow.model_id == model_id).order_by(AliasRow.alias)
        ):
            out.setdefault(row.version, []).append(row.alias)
        return {k: tuple(v) for k, v in out.items()}

    _guard = staticmethod(guard_busy)

    def _retry_busy(self, work: Callable[[], T], attempts: int = 3) -> T:
        return retry_busy(work, attempts)


def _version(row: VersionRow, model: ModelRow, aliases: tuple[str, ...]) -> ModelVersion:
    return ModelVersion(
        name=model.name,
        version=row.version,
        task=model.task,
        algorithm=row.algorithm,
        manifest=row.manifest,
        artifact_uri=row.artifact_uri,
        artifact_sha256=row.artifact_sha256,
        created_at=row.created_at,
        aliases=aliases,
    )


__all__ = ["AliasEvent", "ModelSummary", "ModelVersion", "Registry"]
