"""A throwaway PostgreSQL 15 + PostGIS 3 cluster for the tests: initdb in a temporary folder, pg_ctl
on a free port of 127.0.0.1, trust authentication, stopped and removed at the end. No Docker, no
network. initdb refuses to run as root: as root the cluster runs as the unprivileged `nobody`."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

PG_BIN = Path("/usr/lib/postgresql/15/bin")
POSTGIS_CONTROL = Path("/usr/share/postgresql/15/extension/postgis.control")
SUPERUSER = "wijkmonitor"


def postgis_missing() -> str | None:
    """Why no cluster can be made here, or None."""
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL 15 is not installed ({PG_BIN}/initdb)"
    if not POSTGIS_CONTROL.exists():
        return "PostGIS 3 is not installed (Debian postgresql-15-postgis-3)"
    return None


class Cluster:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="pg-wijkmonitor-"))
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.folder, "nobody")
            self.as_user = ["runuser", "-u", "nobody", "--"]
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        data = self.folder / "data"
        self._run("initdb", "-D", str(data), "-A", "trust", "-U", SUPERUSER, "-E", "UTF8", "--no-sync", "--no-locale")
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
        self._run("pg_ctl", "-D", str(data), "-l", str(self.folder / "log"), "-o", options, "-w", "start")

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run([*self.as_user, str(PG_BIN / program), *args], capture_output=True, text=True, cwd=self.folder)
        if done.returncode:
            log = self.folder / "log"
            raise RuntimeError(f"{program} failed: {done.stderr}{log.read_text() if log.exists() else ''}")

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, postgis: bool = True) -> str:
        """A new empty database (with the postgis extension unless asked not to); its address."""
        with psycopg.connect(self.dsn(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        if postgis:
            with psycopg.connect(self.dsn(name), autocommit=True) as connection:
                connection.execute("CREATE EXTENSION postgis")
        return self.dsn(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
