"""Passwords: a person changes their own; a password someone else chose (a new account, a reset
by the street administrator, the Django admin, a Party member's first login) is replaced before
anything else; wrong current passwords count towards the login lockout; other sessions end."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from partybuilding.organisations.writes import party_member_login_create
from portal.models import AuditEvent, User
from portal.policy import access_account_password_reset, access_password_change, allowed
from portal.roles import Role
from portal.writes import account_password_reset, password_change, person_account_create
from tests.helpers import login
from tests.partybuilding.factories import PartyMemberFactory
from tests.portal.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

CHANGE = reverse("password-change")
HOME = reverse("home")
RESIDENTS = reverse("grids:resident-list")
NEW = "Qingshan-Road-88"


def password_login(client, username, password):
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302, response.content
    return response


def change(client, old=TEST_PASSWORD, new=NEW, again=None, **extra):
    fields = {"old_password": old, "new_password": new, "new_password_again": again or new}
    return client.post(CHANGE, {**fields, **extra})


def shown_password(response) -> str:
    html = response.content.decode()
    return re.search(r'value="([^"]+)"[^>]*data-testid="new-password"', html).group(1)


# --- Changing one's own ---------------------------------------------------------------------


def test_a_person_changes_their_password_and_stays_signed_in(client, grid_worker):
    password_login(client, grid_worker.username, TEST_PASSWORD)
    page = client.get(CHANGE)
    assert page.status_code == 200 and b'data-testid="password-rules"' in page.content

    response = change(client, next=RESIDENTS)

    assert response.status_code == 302 and response.url == RESIDENTS
    grid_worker.refresh_from_db()
    assert grid_worker.check_password(NEW) and grid_worker.password_changed_at is not None
    assert client.get(RESIDENTS).status_code == 200  # this session kept
    event = AuditEvent.objects.get(action="account.password_change")
    assert event.actor == grid_worker and event.outcome == AuditEvent.Outcome.SUCCESS
    assert NEW not in str(event.details) and TEST_PASSWORD not in str(event.details)


def test_every_other_session_of_the_account_ends(grid_worker):
    phone, desk = Client(), Client()
    password_login(phone, grid_worker.username, TEST_PASSWORD)
    password_login(desk, grid_worker.username, TEST_PASSWORD)

    change(phone)

    assert phone.get(RESIDENTS).status_code == 200
    left = desk.get(RESIDENTS)
    assert left.status_code == 302 and left.url.startswith(reverse("login"))


def test_a_wrong_current_password_changes_nothing(client, english, grid_worker):
    login(client, grid_worker)

    response = change(client, old="Not-The-Password-1")

    assert response.status_code == 400
    assert b"That is not your current password" in response.content
    grid_worker.refresh_from_db()
    assert grid_worker.check_password(TEST_PASSWORD)
    failure = AuditEvent.objects.get(action="account.password_change")
    assert failure.outcome == AuditEvent.Outcome.FAILURE


@pytest.mark.parametrize(
    ("new", "again", "message"),
    [
        ("short1A", None, b"too short"),
        ("alllowercaseletters", None, b"at least 3 of"),
        ("Password123", None, b"too common"),
        (TEST_PASSWORD, None, b"different from the current one"),
        (NEW, "Qingshan-Road-89", b"The two new passwords differ"),
        ("t_worker-2026", None, b"too similar"),
    ],
)
def test_a_new_password_must_follow_the_rules(client, english, grid_worker, new, again, message):
    login(client, grid_worker)

    response = change(client, new=new, again=again)

    assert response.status_code == 400 and message in response.content, response.content
    grid_worker.refresh_from_db()
    assert grid_worker.check_password(TEST_PASSWORD)
    assert not AuditEvent.objects.filter(action="account.password_change").exists()


def test_the_messages_are_in_chinese_by_default(client, grid_worker):
    login(client, grid_worker)

    response = change(client, old="Not-The-Password-1")

    assert "修改密码" in response.content.decode()
    assert "That is not" not in response.content.decode()


def test_wrong_current_passwords_count_towards_the_login_lockout(settings, client, grid_worker):
    settings.AXES_FAILURE_LIMIT = 3
    password_login(client, grid_worker.username, TEST_PASSWORD)

    answers = [change(client, old=f"Guess-{n}-wrong") for n in range(3)]

    assert [a.status_code for a in answers] == [400, 400, 429]
    assert SESSION_KEY not in client.session  # the session ended
    locked = client.post(
        reverse("login"), {"username": grid_worker.username, "password": TEST_PASSWORD}
    )
    assert locked.status_code == 429
    grid_worker.refresh_from_db()
    assert grid_worker.check_password(TEST_PASSWORD)


def test_a_change_clears_earlier_wrong_guesses(settings, client, grid_worker):
    settings.AXES_FAILURE_LIMIT = 3
    password_login(client, grid_worker.username, TEST_PASSWORD)
    change(client, old="Guess-1-wrong")
    change(client, old="Guess-2-wrong")
    change(client)

    response = change(client, old="Guess-3-wrong", new="Another-Road-99")

    assert response.status_code == 400  # one failure since the success, not three


def test_an_integration_has_no_password_to_change(client, integration):
    with pytest.raises(PermissionDenied):
        access_password_change(integration)
    login(client, integration)
    assert client.get(CHANGE).status_code == 403


def test_the_account_menu_offers_the_change(client, grid_worker, integration):
    login(client, grid_worker)
    assert b'data-testid="menu-password"' in client.get(HOME).content


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.get(CHANGE)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- A handed-over password is replaced first --------------------------------------------------


@pytest.fixture
def handed_over(street_admin, partner_p):
    account, password = person_account_create(
        actor=street_admin, username="ankang-li", full_name="李护理", role=Role.PARTNER_STAFF
    )
    return account, password


def test_a_new_account_must_choose_its_password_before_anything_else(client, handed_over):
    account, password = handed_over
    assert account.password_change_required
    password_login(client, account.username, password)

    page = client.get(RESIDENTS)
    assert page.status_code == 302 and page.url == f"{CHANGE}?next={RESIDENTS.replace('/', '%2F')}"
    form = client.get(page.url)
    assert b'data-testid="password-change-required"' in form.content
    api = client.get(reverse("referral-list"))
    assert api.status_code == 403 and "密码" in api.json()["detail"]

    done = change(client, old=password, next=reverse("services:referral-list"))

    assert done.status_code == 302 and done.url == reverse("services:referral-list")
    account.refresh_from_db()
    assert not account.password_change_required
    assert client.get(reverse("services:referral-list")).status_code == 200
    assert client.get(reverse("referral-list")).status_code == 200


def test_logging_out_and_the_language_stay_open_while_the_change_is_due(client, handed_over):
    account, password = handed_over
    password_login(client, account.username, password)

    assert client.post(reverse("set_language"), {"language": "en"}).status_code == 302
    assert client.get(reverse("healthz")).status_code == 200
    out = client.post(reverse("logout"))
    assert out.status_code == 302 and SESSION_KEY not in client.session


def test_an_administrator_proves_the_second_factor_before_choosing_the_password(
    settings, client, street_admin
):
    settings.TWO_FACTOR_REQUIRED = True
    User.objects.filter(pk=street_admin.pk).update(password_change_required=True)
    password_login(client, street_admin.username, TEST_PASSWORD)

    first = client.get(HOME)
    assert first.url.startswith(reverse("two-factor-setup"))
    setup = client.get(first.url)
    assert setup.status_code == 200  # not sent on to the password page: no loop
    to_change = client.get(CHANGE)
    assert to_change.url.startswith(reverse("two-factor-setup"))


def test_a_party_members_first_login_is_handed_over(party_officer, db):
    member = PartyMemberFactory()
    party_member_login_create(
        actor=party_officer, member=member, username="dy-wang", password="Dangyuan-2026"
    )
    assert User.objects.get(username="dy-wang").password_change_required


# --- Resets by the street administrator -------------------------------------------------------


def test_the_street_administrator_gives_a_partner_staff_member_a_new_password(
    street_admin, partner_p, partner_staff
):
    admin, staff = Client(), Client()
    login(admin, street_admin)
    password_login(staff, partner_staff.username, TEST_PASSWORD)

    response = admin.post(
        reverse(
            "administration:partner-staff-password-reset", args=[partner_p.pk, partner_staff.pk]
        )
    )

    assert response.status_code == 200
    password = shown_password(response)
    partner_staff.refresh_from_db()
    assert partner_staff.check_password(password) and partner_staff.password_change_required
    assert not partner_staff.check_password(TEST_PASSWORD)
    assert password not in partner_staff.password
    gone = staff.get(reverse("services:referral-list"))
    assert gone.status_code == 302 and gone.url.startswith(reverse("login"))  # session ended
    event = AuditEvent.objects.get(action="account.password_reset")
    assert event.actor == street_admin and event.object_id == str(partner_staff.pk)
    assert password not in str(event.details)
    page = admin.get(reverse("administration:partner-detail", args=[partner_p.pk]))
    assert password not in page.content.decode()


def test_a_reset_reaches_only_the_partners_own_staff(
    client, street_admin, partner_q, partner_staff, other_partner_staff
):
    login(client, street_admin)
    url = reverse(
        "administration:partner-staff-password-reset", args=[partner_q.pk, partner_staff.pk]
    )
    assert client.post(url).status_code == 404
    partner_staff.refresh_from_db()
    assert partner_staff.check_password(TEST_PASSWORD)
    assert client.get(url).status_code == 405


def test_the_street_administrator_gives_a_community_cadre_a_new_password(
    client, english, street_admin, community_cadre
):
    login(client, street_admin)
    page = client.get(reverse("administration:account-detail", args=[community_cadre.pk]))
    assert b'data-testid="password-reset"' in page.content

    response = client.post(
        reverse("administration:account-password-reset", args=[community_cadre.pk])
    )

    password = shown_password(response)
    community_cadre.refresh_from_db()
    assert community_cadre.check_password(password)
    page = client.get(reverse("administration:account-detail", args=[community_cadre.pk]))
    assert b"Still the initial password" in page.content


def test_an_integration_gets_no_password(client, street_admin, integration):
    login(client, street_admin)
    before = integration.password
    page = client.get(reverse("administration:account-detail", args=[integration.pk]))
    assert b'data-testid="password-reset"' not in page.content
    response = client.post(reverse("administration:account-password-reset", args=[integration.pk]))
    assert response.status_code == 403
    integration.refresh_from_db()
    assert integration.password == before and not integration.password_change_required


def test_only_the_street_administrator_resets_and_never_their_own_or_an_admins(
    people, partner_staff
):
    superuser = UserFactory(username="t_root", is_superuser=True, is_staff=True)
    django_staff = UserFactory(username="t_staff", role=Role.STREET_CADRE, is_staff=True)
    admin = people["street_admin"]
    for name, person in people.items():
        if person is None:
            continue
        expected = name == "street_admin"
        assert allowed(access_account_password_reset, person, partner_staff) is expected, name
    assert not allowed(access_account_password_reset, admin, admin)
    assert not allowed(access_account_password_reset, admin, superuser)
    assert not allowed(access_account_password_reset, admin, django_staff)
    assert allowed(access_account_password_reset, superuser, django_staff)
    with pytest.raises(PermissionDenied):
        account_password_reset(actor=people["street_cadre"], account=partner_staff)
    partner_staff.refresh_from_db()
    assert partner_staff.check_password(TEST_PASSWORD)


def test_the_other_roles_get_no_reset_page(client, street_cadre, partner_p, partner_staff):
    login(client, street_cadre)
    url = reverse(
        "administration:partner-staff-password-reset", args=[partner_p.pk, partner_staff.pk]
    )
    assert client.post(url).status_code == 403
    partner_staff.refresh_from_db()
    assert partner_staff.check_password(TEST_PASSWORD)


# --- The Django admin -------------------------------------------------------------------------


def test_a_password_set_in_the_django_admin_is_handed_over(client, grid_worker):
    root = UserFactory(username="t_root", is_superuser=True, is_staff=True)
    login(client, root)

    response = client.post(
        reverse("admin:auth_user_password_change", args=[grid_worker.pk]),
        {"password1": "Handed-Over-2026", "password2": "Handed-Over-2026"},
    )

    assert response.status_code == 302, response.content
    grid_worker.refresh_from_db()
    assert grid_worker.check_password("Handed-Over-2026") and grid_worker.password_change_required


# --- The write itself -------------------------------------------------------------------------


def test_the_write_names_the_field_of_each_error(grid_worker):
    with pytest.raises(ValidationError) as wrong:
        password_change(actor=grid_worker, old_password="nope", new_password=NEW)
    assert set(wrong.value.error_dict) == {"old_password"}
    with pytest.raises(ValidationError) as weak:
        password_change(actor=grid_worker, old_password=TEST_PASSWORD, new_password="abc")
    assert set(weak.value.error_dict) == {"new_password"}


def test_an_administrator_setting_their_own_password_in_the_admin_chose_it(client):
    root = UserFactory(username="t_root", is_superuser=True, is_staff=True)
    login(client, root)

    response = client.post(
        reverse("admin:auth_user_password_change", args=[root.pk]),
        {"password1": "Own-Choice-2026", "password2": "Own-Choice-2026"},
    )

    assert response.status_code == 302
    root.refresh_from_db()
    assert root.check_password("Own-Choice-2026") and not root.password_change_required
    assert client.get(HOME).status_code == 200


def test_the_login_page_says_who_gives_a_forgotten_password(client):
    page = client.get(reverse("login")).content.decode()
    assert 'data-testid="forgotten-password"' in page and "街道管理员" in page


def test_an_initial_password_is_read_out_without_look_alikes_and_passes_the_rules(grid_worker):
    from django.contrib.auth.password_validation import validate_password

    from portal.writes import _initial_password

    passwords = {_initial_password() for _ in range(300)}

    assert len(passwords) == 300
    for password in passwords:
        assert len(password) == 12 and not set(password) & set("0Oo1lI5Ss2Zz-_")
        validate_password(password, grid_worker)  # 等保 rules: would raise
