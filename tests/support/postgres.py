"""A throwaway PostgreSQL server for the tests and CI: a temp dir, a free loopback port, gone after.

    python3 tests/support/postgres.py start   # prints "URL DIR" of a running server
    python3 tests/support/postgres.py stop DIR

`fresh_schema(url)` gives each test an empty schema of its own on such a server (asyncpg,
imported only there).

Why not a shared server: the suite must run on a fresh machine that only has the PostgreSQL
binaries (Debian's /usr/lib/postgresql/N/bin). The cluster lives in a temporary directory, listens
on 127.0.0.1 only with trust auth there (and on its Unix socket, inside that directory), and runs
with fsync off: it holds test data for minutes, durability buys nothing. `initdb` refuses to run
as root, so as root every server command runs as the `postgres` user (`runuser`), in a
directory that user owns. Standard library only: `.ci/run` calls it before any venv exists.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DATABASE = "veille_test"
SUPERUSER = "postgres"
# Debian/Ubuntu keep each major version's binaries apart from PATH.
_BIN_GLOB = "/usr/lib/postgresql/*/bin"
BINDIR_ENV = "VEILLE_POSTGRES_BINDIR"  # look only there (a PostgreSQL built elsewhere, or none at all)
_START_TIMEOUT_S = 60


class PostgresUnavailable(RuntimeError):
    """This machine cannot start a PostgreSQL server (the message says why, in one line)."""


def find_bindir() -> Path:
    """Return the directory holding `initdb` and `pg_ctl`, newest version first, or raise."""
    if os.environ.get(BINDIR_ENV):
        candidates = [os.environ[BINDIR_ENV]]
    else:
        candidates = sorted(glob.glob(_BIN_GLOB), key=_version_key, reverse=True)
        on_path = shutil.which("initdb")
        if on_path:
            candidates.append(str(Path(on_path).parent))
    for directory in candidates:
        if (Path(directory) / "initdb").exists() and (Path(directory) / "pg_ctl").exists():
            return Path(directory)
    where = os.environ.get(BINDIR_ENV) or f"{_BIN_GLOB} or on PATH"
    raise PostgresUnavailable(f"no PostgreSQL binaries (initdb, pg_ctl) in {where}")


def _version_key(path: str) -> int:
    version = Path(path).parent.name
    return int(version) if version.isdigit() else 0


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 right now (the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """One running throwaway cluster: its directory, port, and the URL of its test database."""

    directory: Path
    port: int
    bindir: Path

    @property
    def url(self) -> str:
        """Return the URL of the test database (trust auth: no password)."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"

    @classmethod
    def start(cls, *, bindir: Path | None = None) -> PostgresServer:
        """Create a cluster in a new temp dir, start it, create the test database; raise if unable."""
        bindir = bindir or find_bindir()
        run_as = _server_user()
        directory = Path(tempfile.mkdtemp(prefix="veille-pg-"))
        server = cls(directory, free_port(), bindir)
        try:
            if run_as is not None:
                os.chown(directory, run_as.pw_uid, run_as.pw_gid)
            data = directory / "data"
            _run(
                run_as,
                [bindir / "initdb", "-D", data, "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8",
                 "--no-sync"],
            )
            (data / "pg_hba.conf").write_text(
                "# Throwaway test cluster: trust on its own socket and on 127.0.0.1 only.\n"
                "local all all trust\nhost all all 127.0.0.1/32 trust\n",
                encoding="utf-8",
            )
            options = (
                f"-c listen_addresses=127.0.0.1 -p {server.port} -k {directory} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
            )
            _run(
                run_as,
                [bindir / "pg_ctl", "-D", data, "-l", directory / "server.log", "-o", options, "-w", "-t",
                 str(_START_TIMEOUT_S), "start"],
            )
            _run(run_as, [bindir / "createdb", "-h", directory, "-p", str(server.port), "-U", SUPERUSER, DATABASE])
        except BaseException:
            server.stop()
            raise
        return server

    def stop(self) -> None:
        """Stop the server at once (nothing in it is worth a clean shutdown) and delete its files."""
        stop(self.directory, bindir=self.bindir)


def stop(directory: Path, *, bindir: Path | None = None) -> None:
    """Stop the cluster in `directory` if it runs, then remove the directory (idempotent)."""
    data = directory / "data"
    if (data / "postmaster.pid").exists():
        try:
            _run(_server_user(), [(bindir or find_bindir()) / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"])
        except PostgresUnavailable:
            pass  # already gone: still remove the files
    shutil.rmtree(directory, ignore_errors=True)


def _server_user() -> pwd.struct_passwd | None:
    """Return the account to run the server as when we are root (initdb refuses root), else None."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise PostgresUnavailable("running as root and there is no 'postgres' user to run initdb as") from None


def _run(user: pwd.struct_passwd | None, command: list[object]) -> None:
    """Run one server command (as `user` when given); raise `PostgresUnavailable` with its last error line."""
    args = [str(part) for part in command]
    name = Path(args[0]).name
    if user is not None:
        if shutil.which("runuser") is None:
            raise PostgresUnavailable("running as root without runuser to start PostgreSQL as 'postgres'")
        args = ["runuser", "-u", user.pw_name, "--", *args]
    done = subprocess.run(args, capture_output=True, text=True, timeout=_START_TIMEOUT_S + 30, check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise PostgresUnavailable(f"{name} failed: {detail[-1] if detail else f'exit {done.returncode}'}")


def with_search_path(url: str, schema: str) -> str:
    """Return `url` with `search_path` set to `schema`, then public (where `unaccent` lives)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "search_path"]
    query.append(("search_path", f"{schema},public"))
    return urlunsplit(parts._replace(query=urlencode(query)))


@asynccontextmanager
async def fresh_schema(server_url: str) -> AsyncIterator[str]:
    """Yield a URL of `server_url`'s database whose search_path is a new empty schema, dropped after.

    A schema is created and dropped in milliseconds, a database in a tenth of a second or more.
    """
    import asyncpg  # here: the CLI above runs before any venv exists

    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url, timeout=10)
    try:
        # In public, once: dropping a test's schema must not take the extension with it.
        await admin.execute(f"CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public; CREATE SCHEMA {schema}")
        yield with_search_path(server_url, schema)
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()


def main(argv: list[str]) -> int:
    """Start a server and print "URL DIR", or stop the one in DIR."""
    if argv[:1] == ["start"] and len(argv) == 1:
        try:
            server = PostgresServer.start()
        except PostgresUnavailable as exc:
            print(f"postgres: {exc}", file=sys.stderr)
            return 1
        print(server.url, server.directory)
        return 0
    if argv[:1] == ["stop"] and len(argv) == 2:
        stop(Path(argv[1]))
        return 0
    print("usage: postgres.py start | stop DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
