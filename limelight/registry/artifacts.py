"""Artifact storage: a local folder, written atomically and verified by sha256 before each load.

An artifact is a folder of files. It is assembled in ``<root>/.staging/<id>``, every file is
hashed and fsynced, and the folder is renamed into ``<root>/<model>/<id>`` in one step, so a
reader never sees a half-written artifact. A staging folder is named after the process writing
it (``<pid>-<id>``); folders whose process is gone (a killed training run) are removed by
``clean_staging()`` at the next start, while a live run's folder is left alone.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from limelight.errors import ArtifactIntegrityError

_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def combined_sha256(files: dict[str, str]) -> str:
    """One checksum for a whole artifact: sha256 over the sorted ``name:sha256`` lines."""
    lines = "".join(f"{name}:{files[name]}\n" for name in sorted(files))
    return hashlib.sha256(lines.encode()).hexdigest()


@dataclass(frozen=True)
class StoredArtifact:
    uri: str
    sha256: str
    files: dict[str, str]


class LocalArtifactStore:
    """Artifacts as folders under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def staging_root(self) -> Path:
        return self.root / ".staging"

    def stage(self) -> Path:
        """A new empty folder to write an artifact into."""
        path = self.staging_root / f"{os.getpid()}-{uuid.uuid4().hex}"
        path.mkdir(parents=True)
        return path

    def commit(self, staged: Path, model_name: str) -> StoredArtifact:
        """Hash, fsync and atomically move a staged folder into place."""
        files: dict[str, str] = {}
        for path in sorted(p for p in staged.rglob("*") if p.is_file()):
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
            files[path.relative_to(staged).as_posix()] = file_sha256(path)
        if not files:
            raise ValueError("an artifact needs at least one file")
        target_parent = self.root / model_name
        target_parent.mkdir(parents=True, exist_ok=True)
        target = target_parent / staged.name
        os.replace(staged, target)
        _fsync_dir(target_parent)
        uri = target.relative_to(self.root).as_posix()
        return StoredArtifact(uri=uri, sha256=combined_sha256(files), files=files)

    def path(self, uri: str) -> Path:
        return self.root / uri

    def verify(self, uri: str, files: dict[str, str], sha256: str) -> Path:
        """Return the artifact folder after checking every file against its recorded sha256."""
        folder = self.path(uri)
        if combined_sha256(files) != sha256:
            raise ArtifactIntegrityError(
                f"the manifest of artifact {uri} does not match its recorded checksum; "
                "the registry entry was altered: retrain or restore it from backup"
            )
        for name, expected in files.items():
            path = folder / name
            if not path.is_file():
                raise ArtifactIntegrityError(
                    f"artifact file {uri}/{name} is missing: restore it from backup or retrain"
                )
            actual = file_sha256(path)
            if actual != expected:
                raise ArtifactIntegrityError(
                    f"artifact file {uri}/{name} fails its checksum (expected sha256 "
                    f"{expected[:12]}…, found {actual[:12]}…): it was modified after it was "
                    "registered, so it will not be loaded; restore it or retrain"
                )
        return folder

    def delete(self, uri: str) -> None:
        shutil.rmtree(self.path(uri), ignore_errors=True)

    def discard(self, staged: Path) -> None:
        shutil.rmtree(staged, ignore_errors=True)

    def clean_staging(self) -> int:
        """Remove staging folders left behind by processes that are gone; return how many."""
        if not self.staging_root.is_dir():
            return 0
        removed = 0
        for child in self.staging_root.iterdir():
            owner, _, _rest = child.name.partition("-")
            if owner.isdigit() and _alive(int(owner)):
                continue
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
            removed += 1
        return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
