"""Two-factor login for administrators: who is asked and when, enrolment, verification with the
app's code or a backup code, the lockout, the API, the admin reset, the audit trail."""

import os
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from portal.models import AuditEvent
from portal.roles import Role
from portal.two_factor import (
    two_factor_applies,
    two_factor_enrol,
    two_factor_enrolment_device,
)
from portal.writes import api_token_issue
from tests.helpers import count_queries, login
from tests.portal.factories import TEST_PASSWORD, UserFactory
from tests.portal.test_settings_env import run_python

pytestmark = pytest.mark.django_db

SETUP = reverse("two-factor-setup")
VERIFY = reverse("two-factor-verify")
HOME = reverse("home")
RESIDENTS_PAGE = reverse("grids:resident-list")
RESIDENTS_API = reverse("resident-list")


# --- Helpers -------------------------------------------------------------------------------


def code_now(device: TOTPDevice) -> str:
    """The code the app shows now, as in a new 30-second step: each step's code counts once."""
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, drift=0)
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"


def wrong_code(device: TOTPDevice) -> str:
    """Six digits that none of the steps the device accepts now (−1, 0, +1) would show."""
    window = {
        f"{totp(device.bin_key, device.step, device.t0, device.digits, drift):06d}"
        for drift in (-1, 0, 1)
    }
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in window)


def wait_out_throttle(device) -> None:
    """django-otp makes a device wait 1, 2, 4 … s after each wrong code: let that time pass."""
    type(device).objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(hours=1)
    )


def password_login(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 302, response.content
    return response


def events(action, user):
    return AuditEvent.objects.filter(action=action, actor=user)


@dataclass
class Enrolled:
    user: object
    device: TOTPDevice
    backup_codes: list[str]


@pytest.fixture
def required(settings):
    settings.TWO_FACTOR_REQUIRED = True


@pytest.fixture
def enrolled(street_admin):
    """The street administrator with an authenticator and ten backup codes."""
    device = two_factor_enrolment_device(user=street_admin)
    codes = two_factor_enrol(actor=street_admin, device=device, code=code_now(device))
    return Enrolled(user=street_admin, device=device, backup_codes=codes)


# --- Who is an administrator ----------------------------------------------------------------


def test_administrators_are_street_admins_staff_and_superusers(people):
    asked = {name for name, user in people.items() if user and two_factor_applies(user)}

    assert asked == {"street_admin"}
    assert two_factor_applies(UserFactory(username="t_staff", role=Role.GRID_WORKER, is_staff=True))
    assert two_factor_applies(UserFactory(username="t_su", role="", is_superuser=True))
    assert not two_factor_applies(None)


# --- When the portal asks -------------------------------------------------------------------


def test_an_admin_without_a_device_is_sent_to_enrolment_when_required(
    required, client, street_admin
):
    login(client, street_admin)

    response = client.get(RESIDENTS_PAGE)

    assert response.status_code == 302
    assert response.url == f"{SETUP}?next=%2Fgrids%2Fresidents%2F"
    assert client.get(HOME).url.startswith(SETUP)
    assert client.get(reverse("admin:index")).url.startswith(SETUP)


def test_an_admin_without_a_device_is_not_asked_when_not_required(settings, client, street_admin):
    settings.TWO_FACTOR_REQUIRED = False
    login(client, street_admin)

    assert client.get(HOME).status_code == 200
    assert client.get(RESIDENTS_PAGE).status_code == 200


def test_required_by_default_in_production_and_off_under_debug(tmp_path):
    code = "import django; django.setup(); from django.conf import settings; print(settings.TWO_FACTOR_REQUIRED)"
    base = {k: v for k, v in os.environ.items() if k != "TWO_FACTOR_REQUIRED"}

    production = run_python(code, {**base, "DEBUG": "0"})
    development = run_python(code, {**base, "DEBUG": "1", "PORTAL_VAR_DIR": str(tmp_path)})
    typo = run_python(code, {**base, "DEBUG": "0", "TWO_FACTOR_REQUIRED": "sometimes"})

    assert production.stdout.strip() == "True", production.stderr
    assert development.stdout.strip() == "False", development.stderr
    assert typo.returncode != 0
    assert "TWO_FACTOR_REQUIRED" in typo.stderr


def test_pages_an_unverified_admin_still_reaches(required, client, street_admin):
    login(client, street_admin)

    assert client.get(SETUP).status_code == 200
    assert client.get(reverse("healthz")).status_code in (200, 503)  # not a redirect
    assert client.get(reverse("javascript-catalog")).status_code == 200
    language = client.post(reverse("set_language"), {"language": "en", "next": SETUP})
    assert language.url == SETUP
    logout = client.post(reverse("logout"))
    assert logout.url == reverse("login")
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize("person", ["grid_worker", "partner_staff", "party_officer"])
def test_other_roles_are_never_asked(required, client, people, person):
    login(client, people[person])

    assert client.get(HOME).status_code == 200
    assert client.get(SETUP).status_code == 403
    assert 'data-testid="menu-two-factor"' not in client.get(HOME).content.decode()


def test_the_account_menu_offers_two_factor_login_to_administrators(client, street_admin):
    login(client, street_admin)

    html = client.get(HOME).content.decode()

    assert f'href="{SETUP}" data-testid="menu-two-factor"' in html


# --- Enrolment ------------------------------------------------------------------------------


def test_the_setup_page_shows_a_qr_code_and_the_secret_for_typing(required, client, street_admin):
    login(client, street_admin)

    response = client.get(SETUP)

    html = response.content.decode()
    device = TOTPDevice.objects.get(user=street_admin)
    assert not device.confirmed
    assert '<svg viewBox="0 0 ' in html  # drawn inline: no image request, works offline
    assert "<img" not in html.split('data-testid="two-factor-qr"')[1].split("</div>")[0]
    groups = response.context["secret_groups"].split()
    assert len(groups) == 8 and all(len(g) == 4 for g in groups)
    assert response.context["secret_groups"] in html
    assert 'autocomplete="one-time-code"' in html
    assert 'inputmode="numeric"' in html
    # Reloading keeps the same secret, so a scan made a moment ago still works.
    client.get(SETUP)
    assert TOTPDevice.objects.filter(user=street_admin).count() == 1


def test_enrolment_with_a_wrong_code_keeps_the_device_unconfirmed(required, client, street_admin):
    login(client, street_admin)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=street_admin)

    response = client.post(SETUP, {"code": wrong_code(device)})

    assert response.status_code == 200
    assert 'data-testid="error-code"' in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert not StaticDevice.objects.filter(user=street_admin).exists()
    assert client.get(HOME).url.startswith(SETUP)
    fail = events("two_factor.fail", street_admin).get()
    assert fail.outcome == AuditEvent.Outcome.FAILURE
    assert fail.details == {"stage": "enrol", "device": "totp", "reason": "wrong"}
    assert not events("two_factor.enrol", street_admin).exists()


def test_enrolment_with_the_right_code_confirms_verifies_and_shows_backup_codes_once(
    required, client, street_admin
):
    login(client, street_admin)
    client.get(f"{SETUP}?next={RESIDENTS_PAGE}")
    device = TOTPDevice.objects.get(user=street_admin)

    response = client.post(SETUP, {"code": code_now(device), "next": RESIDENTS_PAGE})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="two-factor-on"' in html
    shown = [code.replace(" ", "").lower() for code in response.context["codes"]]
    stored = set(
        StaticToken.objects.filter(device__user=street_admin).values_list("token", flat=True)
    )
    assert len(shown) == 10 and set(shown) == stored
    assert f'href="{RESIDENTS_PAGE}"' in html
    device.refresh_from_db()
    assert device.confirmed
    # The session is verified: the portal opens at once.
    assert client.get(RESIDENTS_PAGE).status_code == 200
    assert events("two_factor.enrol", street_admin).count() == 1
    # The setup page now shows the status, never the codes again.
    status = client.get(SETUP)
    assert "registration/two_factor_status.html" in [t.name for t in status.templates]
    assert not any(code in status.content.decode() for code in response.context["codes"])
    assert 'data-testid="backup-codes-left"' in status.content.decode()


def test_an_unverified_admin_cannot_enrol_again_to_skip_the_code(client, enrolled):
    login(client, enrolled.user)

    assert client.get(SETUP).url.startswith(VERIFY)
    assert client.post(SETUP, {"code": "123456"}).url.startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=enrolled.user).count() == 1


def test_new_backup_codes_replace_the_old_ones(client, enrolled):
    login(client, enrolled.user)
    client.post(VERIFY, {"code": code_now(enrolled.device)})

    response = client.post(SETUP)

    new = {code.replace(" ", "").lower() for code in response.context["codes"]}
    stored = set(
        StaticToken.objects.filter(device__user=enrolled.user).values_list("token", flat=True)
    )
    assert stored == new
    assert not new & set(enrolled.backup_codes)
    assert events("two_factor.backup_codes", enrolled.user).count() == 1


# --- Verification after the password ----------------------------------------------------------


@pytest.mark.parametrize("is_required", [True, False])
def test_an_enrolled_admin_is_asked_for_the_code_after_the_password(
    settings, client, enrolled, is_required
):
    # Once enrolled, always asked: whether or not the office requires it.
    settings.TWO_FACTOR_REQUIRED = is_required
    password_login(client, enrolled.user)

    response = client.get(RESIDENTS_PAGE)

    assert response.status_code == 302
    assert response.url == f"{VERIFY}?next=%2Fgrids%2Fresidents%2F"
    page = client.get(response.url)
    assert page.status_code == 200
    assert 'name="code"' in page.content.decode()


def test_a_wrong_code_is_refused_with_a_message_and_a_right_one_lets_through(client, enrolled):
    password_login(client, enrolled.user)

    refused = client.post(VERIFY, {"code": wrong_code(enrolled.device), "next": RESIDENTS_PAGE})

    assert refused.status_code == 200
    assert "验证码不正确" in str(refused.context["form"].errors["code"])
    assert 'data-testid="error-code"' in refused.content.decode()
    assert client.get(HOME).url.startswith(VERIFY)
    wait_out_throttle(enrolled.device)

    accepted = client.post(VERIFY, {"code": code_now(enrolled.device), "next": RESIDENTS_PAGE})

    assert accepted.status_code == 302
    assert accepted.url == RESIDENTS_PAGE
    assert client.get(RESIDENTS_PAGE).status_code == 200
    assert client.get(VERIFY).url == HOME  # already verified
    assert events("two_factor.fail", enrolled.user).get().details == {
        "stage": "verify",
        "device": "totp",
        "reason": "wrong",
    }
    assert events("two_factor.verify", enrolled.user).get().details == {"device": "totp"}


def test_a_code_is_not_accepted_twice(client, enrolled):
    code = code_now(enrolled.device)
    first = Client()
    password_login(first, enrolled.user)
    assert first.post(VERIFY, {"code": code}).status_code == 302
    password_login(client, enrolled.user)

    replay = client.post(VERIFY, {"code": code})

    assert replay.status_code == 200
    assert client.get(HOME).url.startswith(VERIFY)


def test_right_after_a_wrong_code_the_device_waits(client, enrolled):
    password_login(client, enrolled.user)
    client.post(VERIFY, {"code": wrong_code(enrolled.device)})

    response = client.post(VERIFY, {"code": code_now(enrolled.device)})

    assert "连续输错验证码次数过多" in str(response.context["form"].errors["code"])
    assert client.get(HOME).url.startswith(VERIFY)
    reasons = [e.details["reason"] for e in events("two_factor.fail", enrolled.user).order_by("pk")]
    assert reasons == ["wrong", "throttled"]


def test_a_backup_code_works_once(client, enrolled):
    code = enrolled.backup_codes[0]
    password_login(client, enrolled.user)

    # Typed as shown on the page (two groups of four), in capitals.
    response = client.post(VERIFY, {"code": f"{code[:4]} {code[4:]}".upper()}, follow=True)

    assert response.redirect_chain[-1][0] == HOME
    assert "还剩 9 个" in response.content.decode()
    assert StaticToken.objects.filter(device__user=enrolled.user).count() == 9
    assert events("two_factor.verify", enrolled.user).get().details == {"device": "backup"}
    client.post(reverse("logout"))
    password_login(client, enrolled.user)

    again = client.post(VERIFY, {"code": code})

    assert again.status_code == 200
    assert "验证码不正确" in str(again.context["form"].errors["code"])
    assert client.get(HOME).url.startswith(VERIFY)


def test_the_next_address_is_kept_but_never_leads_off_site(client, enrolled):
    password_login(client, enrolled.user)

    response = client.post(
        VERIFY, {"code": code_now(enrolled.device), "next": "https://evil.example/"}
    )

    assert response.url == HOME


def test_wrong_codes_count_towards_the_login_lockout(settings, client, enrolled):
    settings.AXES_FAILURE_LIMIT = 3
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the lockout alone, not django-otp's wait
    password_login(client, enrolled.user)

    answers = [client.post(VERIFY, {"code": wrong_code(enrolled.device)}) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert "registration/locked_out.html" in [t.name for t in answers[-1].templates]
    assert SESSION_KEY not in client.session  # the session ended
    # Locked like after three wrong passwords: the right password is refused too.
    again = client.post(
        reverse("login"), {"username": enrolled.user.username, "password": TEST_PASSWORD}
    )
    assert again.status_code == 429
    assert events("two_factor.fail", enrolled.user).count() == 3


def test_a_right_code_clears_earlier_wrong_ones(settings, client, enrolled):
    settings.AXES_FAILURE_LIMIT = 3
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    password_login(client, enrolled.user)
    for _ in range(2):
        client.post(VERIFY, {"code": wrong_code(enrolled.device)})
    client.post(VERIFY, {"code": code_now(enrolled.device)})
    client.post(reverse("logout"))
    password_login(client, enrolled.user)

    response = client.post(VERIFY, {"code": wrong_code(enrolled.device)})

    assert response.status_code == 200  # one failure since the success, not three


def test_a_locked_account_cannot_keep_guessing_from_another_session(settings, enrolled):
    settings.AXES_FAILURE_LIMIT = 2
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    first, second = Client(), Client()
    password_login(first, enrolled.user)
    password_login(second, enrolled.user)
    for _ in range(2):
        first.post(VERIFY, {"code": wrong_code(enrolled.device)})

    response = second.post(VERIFY, {"code": code_now(enrolled.device)})

    assert response.status_code == 429
    assert SESSION_KEY not in second.session


# --- The API --------------------------------------------------------------------------------


def test_an_unverified_admin_session_gets_403_from_the_api_while_required(
    required, client, street_admin
):
    login(client, street_admin)

    response = client.get(RESIDENTS_API)

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert "需要双因素登录" in response.json()["detail"]


def test_a_verified_admin_session_uses_the_api(required, client, enrolled):
    login(client, enrolled.user)
    client.post(VERIFY, {"code": code_now(enrolled.device)})

    assert client.get(RESIDENTS_API).status_code == 200


def test_an_admin_session_without_a_device_uses_the_api_when_not_required(client, street_admin):
    login(client, street_admin)

    assert client.get(RESIDENTS_API).status_code == 200


def test_an_integration_token_is_not_affected(required, integration, street_admin, resident_a):
    _token, raw = api_token_issue(actor=street_admin, client=integration, name="区数据平台")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")

    response = api.get(RESIDENTS_API)

    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["王秀英"]


# --- Reset by a street administrator in the Django admin ---------------------------------------


def test_the_admin_resets_a_lost_device_and_it_is_audited(settings, superuser, enrolled):
    victim_session = login(Client(), enrolled.user)
    victim_session.post(VERIFY, {"code": code_now(enrolled.device)})
    assert victim_session.get(HOME).status_code == 200
    admin_client = login(Client(), superuser)

    response = admin_client.post(
        reverse("admin:otp_totp_totpdevice_changelist"),
        {"action": "reset_two_factor", "_selected_action": [enrolled.device.pk]},
    )

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=enrolled.user).exists()
    assert not StaticDevice.objects.filter(user=enrolled.user).exists()
    reset = AuditEvent.objects.get(action="two_factor.reset")
    assert reset.actor == superuser
    assert reset.object_id == str(enrolled.user.pk)
    assert reset.details == {"devices": 2}
    # The person's verified session is asked to enrol again.
    settings.TWO_FACTOR_REQUIRED = True
    assert victim_session.get(HOME).url.startswith(SETUP)


def test_deleting_a_device_in_the_admin_is_a_reset_too(superuser, enrolled):
    admin_client = login(Client(), superuser)
    static = StaticDevice.objects.get(user=enrolled.user)

    response = admin_client.post(
        reverse("admin:otp_static_staticdevice_delete", args=[static.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=enrolled.user).exists()
    assert AuditEvent.objects.filter(action="two_factor.reset", actor=superuser).count() == 1


def test_the_admin_shows_neither_secrets_nor_backup_codes_and_adds_no_devices(superuser, enrolled):
    admin_client = login(Client(), superuser)
    static = StaticDevice.objects.get(user=enrolled.user)

    totp_page = admin_client.get(
        reverse("admin:otp_totp_totpdevice_change", args=[enrolled.device.pk])
    ).content.decode()
    static_page = admin_client.get(
        reverse("admin:otp_static_staticdevice_change", args=[static.pk])
    ).content.decode()

    assert enrolled.device.key not in totp_page
    assert not any(code in static_page for code in enrolled.backup_codes)
    assert admin_client.get(reverse("admin:otp_totp_totpdevice_add")).status_code == 403
    qr = reverse("admin:otp_totp_totpdevice_qrcode", args=[enrolled.device.pk])
    assert admin_client.get(qr).status_code == 403


# --- Cost ---------------------------------------------------------------------------------------


def home_queries(user) -> int:
    client = login(Client(), user)
    client.get(HOME)  # warm-up: content types, session
    return count_queries(lambda: client.get(HOME))[0]


def remove_gate(settings):
    settings.MIDDLEWARE = [
        m
        for m in django_settings.MIDDLEWARE
        if m not in ("django_otp.middleware.OTPMiddleware", "portal.middleware.TwoFactorMiddleware")
    ]


def test_the_gate_costs_other_roles_no_query(settings, grid_worker):
    with_gate = home_queries(grid_worker)
    remove_gate(settings)

    assert home_queries(grid_worker) == with_gate


def test_the_gate_costs_an_administrator_one_query(settings, street_admin):
    # Not enrolled, not required: "has a confirmed device?" (a verified session instead loads
    # its device, also one query).
    with_gate = home_queries(street_admin)
    remove_gate(settings)

    assert home_queries(street_admin) == with_gate - 1
