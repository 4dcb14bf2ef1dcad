"""The gates of organisations and members, once each with the named people."""

import pytest

from partybuilding.organisations import policy
from portal.policy import allowed

pytestmark = pytest.mark.django_db

WRITE_GATES = [
    policy.access_party_org_create,
    policy.access_party_org_update,
    policy.access_party_org_secretary_set,
    policy.access_party_member_create,
    policy.access_party_member_update,
    policy.access_party_member_transfer,
    policy.access_party_member_login_create,
]


@pytest.mark.parametrize("gate", WRITE_GATES, ids=lambda g: g.__name__)
@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("street_admin", True),
        ("street_cadre", True),
        ("party_officer", True),
        ("party_cadre", False),
        ("community_cadre", False),
        ("secretary", False),
        ("member", False),
        ("grid_worker", False),
        ("partner_staff", False),
        ("outsider", False),
    ],
)
def test_only_the_party_office_writes_the_tree_and_register(request, gate, person, expected):
    assert allowed(gate, request.getfixturevalue(person)) is expected


@pytest.mark.parametrize("gate", WRITE_GATES, ids=lambda g: g.__name__)
def test_the_system_builds_the_tree(gate):
    assert allowed(gate, None)


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("party_officer", True),
        ("party_cadre", True),
        ("community_cadre", True),  # may read the list; its scope is empty
        ("secretary", True),
        ("member", True),
        ("grid_worker", False),
        ("partner_staff", False),
        ("integration", False),
    ],
)
def test_reading_lists_is_the_roles_view_permission(request, person, expected):
    user = request.getfixturevalue(person)
    assert allowed(policy.access_party_org_list, user) is expected
    assert allowed(policy.access_party_member_list, user) is expected
    assert allowed(policy.access_party_coverage_view, user) is expected


def test_an_inactive_officer_is_refused(party_officer):
    party_officer.is_active = False
    assert not allowed(policy.access_party_org_create, party_officer)
