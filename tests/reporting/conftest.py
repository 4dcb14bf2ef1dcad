"""Fixtures of the reporting tests (tests/reporting/)."""
