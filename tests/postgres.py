"""A real, throwaway PostgreSQL server for tests: initdb in a temporary folder, loopback only."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import IN_CI, free_port


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


class PostgresServer:
    def __init__(self) -> None:
        initdb, self.pg_ctl = _bin("initdb"), _bin("pg_ctl")
        if initdb is None or self.pg_ctl is None:
            if IN_CI:
                pytest.fail("CI=true but PostgreSQL is not installed (.ci/apt-packages)")
            pytest.skip("PostgreSQL server binaries not found")
        # pytest's tmp folders are private to root; the postgres user needs its own folder.
        root = Path(tempfile.mkdtemp(prefix="limelight-pg-"))
        self.root = root
        self.data = root / "pgdata"
        self.port = free_port()
        self._as_user: list[str] = []
        if os.geteuid() == 0:  # postgres refuses to run as root: run it as the postgres user
            shutil.chown(root, "postgres")
            self._as_user = ["runuser", "-u", "postgres", "--"]
        self._run([initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
        self._run(
            [
                self.pg_ctl,
                "-D",
                str(self.data),
                "-l",
                str(root / "pg.log"),
                "-w",
                "-t",
                "60",
                "-o",
                f"-p {self.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off",
                "start",
            ]
        )
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, cmd: list[str]) -> None:
        done = subprocess.run([*self._as_user, *cmd], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        assert self.pg_ctl is not None
        self._run([self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(self.root, ignore_errors=True)
