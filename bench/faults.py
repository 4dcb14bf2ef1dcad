"""Fault drills, longer than `make test` runs them: PostgreSQL killed and restarted several
times under a longer write load, then every other scenario of tests/reliability/ (Redis
stopped, a worker killed mid-import, two beats and a killed worker, pg_dump restored).

    .venv/bin/python bench/faults.py [--load-seconds 60] [--restarts 5] [-- pytest args]

Everything runs on a private PostgreSQL cluster and a private Redis that the run starts on
free ports and removes afterwards (tests/reliability/stack.py): the machine's shared
PostgreSQL and Redis are never touched, so it is safe beside other test runs. Needs
PostgreSQL's server binaries (initdb, pg_ctl) and redis-server installed; as root the
cluster runs as the `postgres` user. Prints the tally at the end (faults survived, writes
acknowledged and verified); the exit status is pytest's. docs/operations.md ("Faults")
gives the figures of a run.
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--load-seconds", type=float, default=60, help="write load (default 60)")
    parser.add_argument("--restarts", type=int, default=5, help="PostgreSQL restarts (default 5)")
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments, after --")
    args = parser.parse_args()
    env = {
        **os.environ,
        "FAULTS_LOAD_SECONDS": str(args.load_seconds),
        "FAULTS_PG_RESTARTS": str(args.restarts),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        # pytest-django loads the settings once; the scenarios themselves run on the
        # private stack with their own environment.
        "DEBUG": os.environ.get("DEBUG", "1"),
    }
    command = [
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA",
        "tests/reliability", *args.pytest_args,
    ]  # fmt: skip
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode  # noqa: S603


if __name__ == "__main__":
    sys.exit(main())
