"""A real PostgreSQL server for the tests: a cluster of its own in a temporary
folder, on 127.0.0.1 and a free port, run as an unprivileged user (the
``postgres`` system user, or ``nobody``, when the tests run as root), with
trust authentication for one role on loopback only. The Pulumi CLI's DIY
backend (``pulumi login postgres://…``) keeps its state there.

The server programs come from ``VENICE_TEST_PG_BIN`` (set by scripts/test,
which installs PostgreSQL from Debian's packages when it is missing), else
from ``/usr/lib/postgresql/*/bin``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from .cli import free_port

ROLE = "pulumi"
DATABASE = "pulumi"


def server_programs() -> Path | None:
    """The folder of initdb and postgres, if this machine has them."""
    candidates = [os.environ.get("VENICE_TEST_PG_BIN", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if candidate and all((Path(candidate) / p).is_file() for p in ("initdb", "postgres")):
            return Path(candidate)
    return None


class PostgresServer:
    """One PostgreSQL cluster, started and stopped by the tests."""

    def __init__(self, programs: Path) -> None:
        self.programs = programs
        self.folder = Path(tempfile.mkdtemp(prefix="venice-pg-"))
        self.port = free_port()
        self.user: str | None = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            self.user = "postgres" if _user_exists("postgres") else "nobody"
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The backend URL for `pulumi login`."""
        return self.database_url(DATABASE)

    def database_url(self, database: str) -> str:
        return f"postgres://{ROLE}@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def new_database(self, name: str) -> str:
        """A database of its own (for one test); its backend URL."""
        self.sql("postgres", f"CREATE DATABASE {name}")
        return self.database_url(name)

    def _as_user(self) -> dict[str, Any]:
        """Popen's arguments that run a program as the unprivileged user, if any."""
        if self.user is None:
            return {}
        entry = pwd.getpwnam(self.user)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def start(self) -> PostgresServer:
        data = self.folder / "data"
        subprocess.run(
            [
                *(str(self.programs / "initdb"), "-D", str(data), "-U", ROLE),
                *("--auth=trust", "-E", "UTF8", "--no-sync"),
            ],
            check=True,
            capture_output=True,
            cwd=self.folder,
            **self._as_user(),
        )
        self.process = subprocess.Popen(
            [
                *(str(self.programs / "postgres"), "-D", str(data)),
                *("-h", "127.0.0.1", "-p", str(self.port), "-k", str(self.folder)),
                *("-c", "fsync=off", "-c", "max_connections=200"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=(self.folder / "server.log").open("wb"),
            cwd=self.folder,
            **self._as_user(),
        )
        self._wait_until_ready()
        self.sql("postgres", f"CREATE DATABASE {DATABASE}")
        return self

    def _wait_until_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                log = (self.folder / "server.log").read_text(errors="replace")
                raise RuntimeError(f"PostgreSQL did not start:\n{log[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("PostgreSQL did not listen within 30 s")

    def sql(self, database: str, statement: str) -> str:
        """Run one statement with psql; its rows, tab-separated."""
        psql = self.programs / "psql"
        program = str(psql) if psql.exists() else "psql"
        done = subprocess.run(
            [
                *(program, "-h", "127.0.0.1", "-p", str(self.port), "-U", ROLE, "-d", database),
                *("-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", statement),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # a "smart" shutdown: sessions end, then the server
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
