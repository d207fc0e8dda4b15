"""The relayer's tests: its queue on SQLite and on a throwaway PostgreSQL cluster (Debian's binaries, started here
on a free loopback port and stopped at the end; as the `postgres` user when the tests run as root, since initdb
refuses root), and proofs to relay."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from zkproof.bench.local_relay import free_port
from zkproof.relay.queue import Queue, open_queue

POSTGRES_BIN = Path(os.environ.get("ZKMNIST_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))


class Cluster:
    """A PostgreSQL cluster in a temporary folder, trusting loopback connections, one database per test."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="zkmnist-pg-"))
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else None
        self.names = itertools.count()
        if self.user:
            shutil.chown(self.folder, self.user)
        self._run("initdb", "-D", str(self.folder / "data"), "-A", "trust", "-U", "relay", "-E", "UTF8", "--no-sync")
        self._run(
            "pg_ctl",
            "-D",
            str(self.folder / "data"),
            "-l",
            str(self.folder / "log"),
            "-w",
            "-o",
            f"-h 127.0.0.1 -p {self.port} -k {self.folder} -F",
            "start",
        )

    def _run(self, tool: str, *arguments: str) -> None:
        subprocess.run(
            [str(POSTGRES_BIN / tool), *arguments], check=True, capture_output=True, user=self.user, cwd=self.folder
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://relay@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """A new empty database; its URL."""
        import psycopg

        name = f"relay_{next(self.names)}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    if not (POSTGRES_BIN / "initdb").is_file():
        pytest.skip(f"PostgreSQL's binaries are not in {POSTGRES_BIN} (`make setup` installs Debian's postgresql-15)")
    cluster = Cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def queue_target(request, tmp_path) -> str:
    """Where a fresh queue lives: a SQLite file, or a new database of the throwaway cluster."""
    if request.param == "sqlite":
        return str(tmp_path / "relay.sqlite")
    return request.getfixturevalue("postgres").database()


@pytest.fixture
def queue(queue_target) -> Iterator[Queue]:
    opened = open_queue(queue_target, capacity=5)
    yield opened
    opened.close()
