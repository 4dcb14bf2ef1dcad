"""The pages' kit: query parameters that are ids."""

import pytest

from portal.params import MAX_ID, id_param


@pytest.mark.parametrize(
    ("value", "expected"),
    [("7", 7), (" 12 ", 12), (str(MAX_ID), MAX_ID)]
    + [(bad, None) for bad in (None, "", "abc", "²", "٣", "-1", "0", "1.5", str(MAX_ID + 1))],
)
def test_id_param_takes_only_an_id_a_column_can_hold(value, expected):
    assert id_param(value) == expected
