"""Login and account security: the login form, lockout, password rules, idle timeout, logout,
the audit of authentication events and who may open the admin."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEvent
from tests.helpers import login
from tests.portal.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Portal-Test-2026"  # the password of every UserFactory user


def post_login(client, username, password, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def session_row(client):
    """The django_session row behind the client's session cookie."""
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return Session.objects.get(session_key=key)


def is_logged_in(client):
    return SESSION_KEY in client.session


# --- The login page -----------------------------------------------------------------------


def test_login_page_shows_a_form_with_username_and_password(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<form method="post"' in html
    assert 'name="username"' in html
    assert 'type="password" name="password"' in html


def test_good_login_lands_on_the_home_page(client, grid_worker):
    response = post_login(client, grid_worker.username, PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("home")
    home = client.get(response.url)
    assert home.status_code == 200
    assert home.context["user"] == grid_worker
    assert 'data-testid="home-heading"' in home.content.decode()
    assert grid_worker.full_name in home.content.decode()


def test_bad_password_shows_the_form_again_with_an_error(client, grid_worker):
    response = post_login(client, grid_worker.username, "Wrong-Password-1")

    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert errors
    html = response.content.decode()
    assert 'class="alert alert-danger"' in html
    assert 'name="password"' in html
    assert not is_logged_in(client)
    assert client.get(reverse("home")).status_code == 302


def test_a_logged_in_user_visiting_the_login_page_goes_home(client, grid_worker):
    login(client, grid_worker)

    response = client.get(reverse("login"))

    assert response.status_code == 302
    assert response.url == reverse("home")


# --- Lockout after repeated failures ------------------------------------------------------


def test_repeated_failures_lock_the_account_even_for_the_right_password(settings, client):
    settings.AXES_FAILURE_LIMIT = 3
    victim = UserFactory(username="zhang_wei")
    for _ in range(3):
        post_login(client, victim.username, "Wrong-Password-1")

    response = post_login(client, victim.username, PASSWORD)

    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert 'data-testid="locked-out"' in response.content.decode()
    assert not is_logged_in(client)
    assert client.get(reverse("home")).status_code == 302


def test_the_lockout_of_one_account_leaves_colleagues_alone(settings, client):
    # The whole office shares one NAT address: the lockout is per account, not per IP.
    settings.AXES_FAILURE_LIMIT = 3
    victim = UserFactory(username="zhang_wei")
    colleague = UserFactory(username="li_na")
    for _ in range(3):
        post_login(client, victim.username, "Wrong-Password-1")

    response = post_login(Client(), colleague.username, PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("home")


def test_failures_below_the_limit_do_not_lock(settings, client):
    settings.AXES_FAILURE_LIMIT = 3
    user = UserFactory(username="zhang_wei")
    for _ in range(2):
        post_login(client, user.username, "Wrong-Password-1")

    response = post_login(client, user.username, PASSWORD)

    assert response.status_code == 302
    assert is_logged_in(client)


def test_lockout_lasts_fifteen_minutes_by_default():
    cooloff = django_settings.AXES_COOLOFF_TIME
    assert cooloff == timedelta(minutes=15)


# --- Passwords ----------------------------------------------------------------------------


def test_passwords_are_stored_as_argon2_hashes():
    user = UserFactory.build()
    user.set_password("Jiedao-2026x")

    assert user.password.startswith("argon2")
    assert "Jiedao-2026x" not in user.password
    assert user.check_password("Jiedao-2026x")


def test_factory_users_have_argon2_hashes(grid_worker):
    assert grid_worker.password.startswith("argon2")


def test_a_simple_common_password_is_refused():
    with pytest.raises(ValidationError) as exc:
        validate_password("abcdefgh")

    codes = {error.code for error in exc.value.error_list}
    assert {"password_too_simple", "password_too_common"} <= codes


def test_a_short_password_is_refused():
    with pytest.raises(ValidationError) as exc:
        validate_password("short1A")

    assert "password_too_short" in {error.code for error in exc.value.error_list}


def test_a_long_password_of_three_character_classes_is_accepted():
    assert validate_password("Jiedao-2026x") is None


# --- Idle timeout -------------------------------------------------------------------------


def test_sessions_expire_after_the_idle_time_and_requests_renew_them():
    assert django_settings.SESSION_COOKIE_AGE == django_settings.SESSION_IDLE_MINUTES * 60
    # Renewed by portal.sessions at most once a minute, not saved on every request.
    assert django_settings.SESSION_SAVE_EVERY_REQUEST is False
    assert "portal.sessions.SessionTouchMiddleware" in django_settings.MIDDLEWARE


def test_a_request_pushes_the_session_expiry_forward(client, grid_worker):
    login(client, grid_worker)
    idle = timedelta(minutes=django_settings.SESSION_IDLE_MINUTES)
    # As if the user had been idle for all but one minute of the allowed time.
    Session.objects.filter(pk=session_row(client).pk).update(
        expire_date=timezone.now() + timedelta(minutes=1)
    )

    before_request = timezone.now()
    assert client.get(reverse("home")).status_code == 200

    expiry = session_row(client).expire_date
    assert before_request + idle - timedelta(seconds=5) <= expiry
    assert expiry <= timezone.now() + idle + timedelta(seconds=5)


def test_an_expired_session_is_logged_out(client, grid_worker):
    login(client, grid_worker)
    assert client.get(reverse("home")).status_code == 200
    idle = timedelta(minutes=django_settings.SESSION_IDLE_MINUTES)

    # The session is cached in Redis: what ends it is the idle time passing, not its row.
    with time_machine.travel(timezone.now() + idle + timedelta(seconds=1)):
        response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# --- Logout -------------------------------------------------------------------------------


def test_logout_ends_the_session_and_returns_to_the_login_page(client, grid_worker):
    login(client, grid_worker)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response.url == reverse("login")
    assert not is_logged_in(client)
    assert client.get(reverse("home")).status_code == 302


def test_logout_by_get_is_not_allowed(client, grid_worker):
    # A link (or an <img> on another site) must not be able to log people out.
    login(client, grid_worker)

    response = client.get(reverse("logout"))

    assert response.status_code == 405
    assert client.get(reverse("home")).status_code == 200


# --- Audit of authentication --------------------------------------------------------------


def test_a_login_is_audited_with_the_clients_address(client, grid_worker):
    post_login(client, grid_worker.username, PASSWORD, REMOTE_ADDR="10.1.2.3")

    event = AuditEvent.objects.get(action="login")
    assert event.actor == grid_worker
    assert event.actor_username == grid_worker.username
    assert event.outcome == AuditEvent.Outcome.SUCCESS
    assert event.ip_address == "10.1.2.3"


def test_a_failed_login_is_audited_with_the_username_tried(client, grid_worker):
    post_login(client, grid_worker.username, "Wrong-Password-1", REMOTE_ADDR="10.1.2.3")

    event = AuditEvent.objects.get(action="login_failed")
    assert event.actor is None
    assert event.actor_username == grid_worker.username
    assert event.outcome == AuditEvent.Outcome.FAILURE
    assert event.ip_address == "10.1.2.3"
    assert not AuditEvent.objects.filter(action="login").exists()


def test_a_failed_login_for_an_unknown_username_is_audited(client):
    post_login(client, "nobody_here", "Wrong-Password-1", REMOTE_ADDR="10.1.2.3")

    event = AuditEvent.objects.get(action="login_failed")
    assert event.actor_username == "nobody_here"
    assert event.outcome == AuditEvent.Outcome.FAILURE


def test_a_logout_is_audited_with_the_clients_address(client, grid_worker):
    login(client, grid_worker)

    client.post(reverse("logout"), REMOTE_ADDR="10.1.2.3")

    event = AuditEvent.objects.get(action="logout")
    assert event.actor == grid_worker
    assert event.actor_username == grid_worker.username
    assert event.outcome == AuditEvent.Outcome.SUCCESS
    assert event.ip_address == "10.1.2.3"


# --- Admin --------------------------------------------------------------------------------


def test_a_superuser_can_open_the_admin(client):
    admin = UserFactory(is_staff=True, is_superuser=True, role="street_admin")
    login(client, admin)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200


def test_a_grid_worker_is_sent_to_the_admin_login(client, grid_worker):
    login(client, grid_worker)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
