"""A project-local PostgreSQL cluster, started with the system's PostgreSQL binaries.

Used by the Makefile (``make db`` / ``make db-stop``) and by the test suite, so there is one way
to start a database. Data lives in an ignored folder, the server listens on loopback only, on its
own port. ``initdb`` refuses to run as root, so as root the server runs as the ``postgres`` user.

    python -m pipelines.db.localpg start [--dir var/pg] [--port 55432]   # prints the URL
    python -m pipelines.db.localpg stop  [--dir var/pg]
    python -m pipelines.db.localpg url   [--dir var/pg] [--port 55432]
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DIR = Path("var/pg")
DEFAULT_PORT = 55432


def _bin(name: str) -> str:
    """Path of a PostgreSQL server binary: PATH first, then Debian's versioned folders."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if not candidates:
        raise SystemExit(
            f"PostgreSQL binary {name!r} not found: install PostgreSQL "
            "(as root: apt-get install -y postgresql) or set DATABASE_URL."
        )
    return candidates[0]


def _as_owner(cmd: list[str]) -> list[str]:
    """Run server commands as `postgres` when we are root (initdb and postgres refuse root)."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@dataclass
class LocalCluster:
    directory: Path = DEFAULT_DIR
    port: int = DEFAULT_PORT

    def __post_init__(self) -> None:
        self.directory = Path(self.directory).resolve()

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def url(self) -> str:
        # The socket folder is given as host too, but TCP on loopback is what clients use.
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def is_running(self) -> bool:
        if not (self.data / "postmaster.pid").exists():
            return False
        result = subprocess.run(
            _as_owner([_bin("pg_ctl"), "-D", str(self.data), "status"]),
            capture_output=True,
            text=True,
        )
        return result.returncode == 0

    def start(self) -> str:
        """Create the cluster if needed, start it if stopped; return its URL."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            # The server user must reach its data folder through every parent folder.
            shutil.chown(self.directory, "postgres", "postgres")
            for parent in self.directory.parents:
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    os.chmod(parent, mode | 0o001)
        if not (self.data / "PG_VERSION").exists():
            subprocess.run(
                _as_owner(
                    [
                        _bin("initdb"), "-D", str(self.data), "-U", "postgres",
                        "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8",
                    ]
                ),
                check=True,
                capture_output=True,
            )
        if not self.is_running():
            options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
            result = subprocess.run(
                _as_owner(
                    [
                        _bin("pg_ctl"), "-D", str(self.data), "-l", str(self.directory / "log"),
                        "-w", "-t", "60", "-o", options, "start",
                    ]
                ),
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                log = (self.directory / "log").read_text(errors="replace")[-2000:]
                raise SystemExit(f"PostgreSQL did not start on port {self.port}:\n{log}")
        return self.url

    def stop(self) -> None:
        if self.is_running():
            subprocess.run(
                _as_owner([_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]),
                check=True,
                capture_output=True,
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Start or stop the project-local PostgreSQL.")
    parser.add_argument("action", choices=["start", "stop", "url", "status"])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="cluster folder (var/pg)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="TCP port on 127.0.0.1")
    args = parser.parse_args(argv)
    cluster = LocalCluster(args.dir, args.port)
    if args.action == "start":
        print(cluster.start())
    elif args.action == "stop":
        cluster.stop()
    elif args.action == "url":
        print(cluster.url)
    else:
        running = cluster.is_running()
        print("running" if running else "stopped")
        return 0 if running else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
