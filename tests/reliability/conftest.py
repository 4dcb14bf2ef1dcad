"""Fault tests: one private PostgreSQL cluster and Redis per session (tests/reliability/stack.py).

They never use pytest-django's test database nor the machine's shared PostgreSQL and Redis:
they restart, stop and kill their own. A stack that cannot start fails the tests (a
HarnessError), it never skips them. At the end the run prints how many faults were survived.
"""

import pytest

from tests.reliability.stack import Stack

FAULTS = {"survived": 0, "writes_acknowledged": 0, "writes_verified": 0, "notes": []}


@pytest.fixture(scope="session")
def stack():
    stack = Stack()
    try:
        stack.start()
        yield stack
    finally:
        stack.close()


@pytest.fixture
def faults():
    """The run's tally: a test adds to it once its fault was survived."""
    return FAULTS


def pytest_terminal_summary(terminalreporter):
    if not FAULTS["survived"] and not FAULTS["notes"]:
        return
    terminalreporter.section("faults (tests/reliability)")
    terminalreporter.write_line(
        f"faults survived: {FAULTS['survived']}; writes acknowledged: "
        f"{FAULTS['writes_acknowledged']}, verified in the database: {FAULTS['writes_verified']}"
    )
    for note in FAULTS["notes"]:
        terminalreporter.write_line(f"  {note}")
