"""Two-factor login (双因素认证) for administrators, built on django-otp.

Administrators — street administrators, staff and superusers — add a six-digit time-based code
(TOTP, from any authenticator app) to their password. With TWO_FACTOR_REQUIRED on (the default
when DEBUG is off) they must enrol before they can use the portal; whether or not it is
required, an administrator who has enrolled is always asked for the code after the password.
Ten one-time backup codes (django-otp's static device) stand in for a lost phone, and a street
administrator resets a lost device in the Django admin.

Guessing is bounded twice: a wrong code counts as a failed login towards django-axes' lockout
of the account (LOGIN_FAILURE_LIMIT), and django-otp's throttle makes each device wait 1, 2,
4, 8 … seconds after each wrong code — a wait that a new password login does not reset.

Here: the policy (who is asked, and the gate the middleware applies to every request), the
services (enrol, verify, renew backup codes, reset; each audited), the two pages and the admin
registrations of the devices.
"""

from base64 import b32encode

import django_otp
import segno
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.audit import audit_record
from portal.models import AuditEvent
from portal.params import safe_next

BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "authenticator"
BACKUP_DEVICE_NAME = "backup codes"

# --- Policy --------------------------------------------------------------------------------


def two_factor_applies(user) -> bool:
    """Whether `user` is an administrator, who may (or must) log in with a second factor."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_street_admin:
        return True
    if user.is_staff:
        return True
    return user.is_superuser


def two_factor_device(user) -> TOTPDevice | None:
    """The user's confirmed authenticator, if they have enrolled (one query)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def two_factor_enrolled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def two_factor_gate(request) -> HttpResponse | None:
    """What an administrator who has not given the code yet gets instead of the page, if anything.

    Called by portal.middleware.TwoFactorMiddleware on every request. Asked: administrators
    who have enrolled, and, while TWO_FACTOR_REQUIRED is on, every administrator. Pages send
    them to verification (enrolled) or enrolment (not yet); the API answers 403. Requests with
    an API token are the integration's own and pass: DRF authenticates them, not the session.
    """
    user = request.user
    if not two_factor_applies(user):
        return None
    if two_factor_exempt(request.path):
        return None
    is_api = request.path_info.startswith("/api/")
    if is_api and _has_token_header(request):
        return None
    if user.is_verified():
        return None
    enrolled = two_factor_enrolled(user)
    if not enrolled and not settings.TWO_FACTOR_REQUIRED:
        return None
    if is_api:
        return JsonResponse(
            {
                "detail": _(
                    "Two-factor login required: enter the code from your authenticator app "
                    "in the portal before using the API with this session."
                )
            },
            status=403,
        )
    target = reverse("two-factor-verify" if enrolled else "two-factor-setup")
    if request.method in ("GET", "HEAD"):
        target = _with_next(target, request.get_full_path())
    return redirect(target)


def two_factor_exempt(path: str) -> bool:
    """The two-factor pages themselves, logging out, static files, the health check, language."""
    prefixes = (
        reverse("two-factor-setup"),
        reverse("two-factor-verify"),
        reverse("logout"),
        reverse("healthz"),
        reverse("set_language"),
        reverse("javascript-catalog"),
        "/" + settings.STATIC_URL.lstrip("/"),
    )
    return path.startswith(prefixes)


def _has_token_header(request) -> bool:
    scheme = request.META.get("HTTP_AUTHORIZATION", "").split(" ", 1)[0]
    return scheme.lower() == "token"


# --- Services ------------------------------------------------------------------------------


def two_factor_enrolment_device(*, user) -> TOTPDevice:
    """The unconfirmed authenticator the user is enrolling, made with a new secret if none.

    Not audited: an unconfirmed device lets nobody in; two_factor_enrol audits the enrolment.
    """
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("-pk")
            .first()
        )
        if device is None:
            device = TOTPDevice(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
            device.full_clean()
            device.save()
    return device


def two_factor_enrol(*, actor, device: TOTPDevice, code: str) -> list[str]:
    """Confirm `actor`'s new authenticator with a code it shows; returns fresh backup codes.

    A wrong code leaves the device unconfirmed, is audited and raises ValidationError on
    `code`. The backup codes are returned once, to be shown once: nothing shows them again.
    """
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(
            pk=device.pk, user=actor, confirmed=False
        )
        failure = _check_code(device, code)
        if failure is None:
            device.confirmed = True
            device.full_clean()
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
            codes = _backup_codes_replace(user=actor)
            audit_record(actor=actor, action="two_factor.enrol", obj=actor)
        else:
            _audit_failure(actor=actor, stage="enrol", device="totp", reason=failure)
    if failure is not None:
        raise _code_error(failure)
    return codes


def two_factor_verify(*, actor, code: str) -> TOTPDevice | StaticDevice:
    """Check a code after the password: six digits from the app, or one of the backup codes.

    Returns the device that accepted it (a backup code is used up). A wrong code is audited
    and raises ValidationError on `code` with the error code "wrong" or, while the device's
    throttle holds, "throttled".
    """
    code = code_normalize(code)
    is_totp = len(code) == 6 and code.isdigit()
    model = TOTPDevice if is_totp else StaticDevice
    with transaction.atomic():
        device = (
            model.objects.select_for_update()
            .filter(user=actor, confirmed=True)
            .order_by("pk")
            .first()
        )
        failure = "wrong" if device is None else _check_code(device, code)
        kind = "totp" if is_totp else "backup"
        if failure is None:
            audit_record(
                actor=actor, action="two_factor.verify", obj=actor, details={"device": kind}
            )
        else:
            _audit_failure(actor=actor, stage="verify", device=kind, reason=failure)
    if failure is not None:
        raise _code_error(failure)
    return device


def two_factor_backup_codes_renew(*, actor) -> list[str]:
    """Replace `actor`'s backup codes with ten new ones, returned to be shown once."""
    with transaction.atomic():
        codes = _backup_codes_replace(user=actor)
        audit_record(actor=actor, action="two_factor.backup_codes", obj=actor)
    return codes


def two_factor_reset(*, actor, user) -> int:
    """Remove every two-factor device of `user` (a lost phone); returns how many there were.

    The person logs in with the password alone and enrols again (at once, when required);
    sessions verified with the removed device are asked again.
    """
    with transaction.atomic():
        totp = TOTPDevice.objects.filter(user=user)
        static = StaticDevice.objects.filter(user=user)
        count = totp.count() + static.count()
        totp.delete()
        static.delete()  # its backup codes go with it (cascade)
        audit_record(actor=actor, action="two_factor.reset", obj=user, details={"devices": count})
    return count


def backup_codes_remaining(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def code_normalize(code: str) -> str:
    """Codes are typed with spaces or dashes now and then, and backup codes in capitals."""
    return "".join(code.split()).replace("-", "").lower()


def _check_code(device, code: str) -> str | None:
    """None when the device accepts the code; else why not: "throttled" or "wrong"."""
    allowed, _info = device.verify_is_allowed()
    if not allowed:
        return "throttled"
    if device.verify_token(code_normalize(code)):
        return None
    return "wrong"


def _code_error(failure: str) -> ValidationError:
    if failure == "throttled":
        message = _("Too many wrong codes in a row. Wait a little, then try again.")
    else:
        message = _(
            "That code is not right. Enter the code your authenticator app shows now, "
            "and check that your phone's clock is correct."
        )
    return ValidationError({"code": ValidationError(message, code=failure)})


def _audit_failure(*, actor, stage: str, device: str, reason: str) -> None:
    audit_record(
        actor=actor,
        action="two_factor.fail",
        obj=actor,
        outcome=AuditEvent.Outcome.FAILURE,
        details={"stage": stage, "device": device, "reason": reason},
    )


def _backup_codes_replace(*, user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    device.full_clean()
    device.save()
    codes = [StaticToken.random_token() for _i in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


# --- Pages ---------------------------------------------------------------------------------


class CodeForm(forms.Form):
    """One code: six digits from the authenticator app, or a backup code."""

    code = forms.CharField(label=gettext_lazy("Verification code"), max_length=32)

    def __init__(self, *args, numeric: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {
                "class": "form-control form-control-lg font-monospace",
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
                "inputmode": "numeric" if numeric else "text",
            }
        )


@sensitive_post_parameters("code")
@never_cache
@login_required
def setup_page(request):
    """Enrolment: QR code and secret, a first code to confirm, then the backup codes once.

    Once enrolled (and verified in this session), the page shows the status and makes new
    backup codes on request.
    """
    user = request.user
    if not two_factor_applies(user):
        raise PermissionDenied
    next_url = _next_url(request)
    if two_factor_enrolled(user):
        if not user.is_verified():
            return redirect(_with_next(reverse("two-factor-verify"), next_url))
        return _status_page(request)
    device = two_factor_enrolment_device(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor_enrol(actor=user, device=device, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            django_otp.login(request, device)
            return _backup_codes_page(request, codes=codes, next_url=next_url, first=True)
    context = {
        "form": form,
        "qr_svg": _qr_svg(device.config_url),
        "secret_groups": _secret_groups(device),
        "next": next_url,
    }
    return render(request, "registration/two_factor_setup.html", context)


@sensitive_post_parameters("code")
@never_cache
@login_required
def verify_page(request):
    """After the password: the code from the app, or a backup code. Wrong codes count towards
    the account's login lockout; at the limit the session ends on the lockout page."""
    user = request.user
    next_url = _next_url(request)
    if user.is_verified():
        return redirect(next_url)
    if not two_factor_enrolled(user):
        if two_factor_applies(user):
            return redirect(_with_next(reverse("two-factor-setup"), next_url))
        return redirect(next_url)
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        return _locked_out(request, credentials)
    form = CodeForm(request.POST or None, numeric=False)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor_verify(actor=user, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error(None, error)
            if error.error_dict["code"][0].code == "wrong":
                AxesProxyHandler.user_login_failed(
                    sender=verify_page, credentials=credentials, request=request
                )
                if getattr(request, "axes_locked_out", False):
                    return _locked_out(request, credentials)
        else:
            django_otp.login(request, device)
            AxesProxyHandler.reset_attempts(username=user.get_username())
            if isinstance(device, StaticDevice):
                _backup_code_used_message(request, user)
            return redirect(next_url)
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": next_url})


def _status_page(request):
    user = request.user
    if request.method == "POST":
        codes = two_factor_backup_codes_renew(actor=user)
        return _backup_codes_page(request, codes=codes, next_url=_next_url(request), first=False)
    context = {"device": two_factor_device(user), "backup_codes_left": backup_codes_remaining(user)}
    return render(request, "registration/two_factor_status.html", context)


def _backup_codes_page(request, *, codes, next_url, first):
    # Rendered in answer to the POST, never stored for a later page: shown this once only.
    # In capitals and groups of four, as base32 is usually written (it has no 0, 1, 8 or 9).
    shown = [f"{c[:4]} {c[4:]}".upper() for c in codes]
    context = {"codes": shown, "next": next_url, "first": first}
    return render(request, "registration/two_factor_backup_codes.html", context)


def _backup_code_used_message(request, user) -> None:
    left = backup_codes_remaining(user)
    messages.warning(
        request,
        ngettext(
            "You logged in with a backup code; %(count)d is left. "
            "Make new ones under “Two-factor login” in your account menu.",
            "You logged in with a backup code; %(count)d are left. "
            "Make new ones under “Two-factor login” in your account menu.",
            left,
        )
        % {"count": left},
    )


def _locked_out(request, credentials):
    logout(request)
    return get_lockout_response(request, None, credentials)


def _qr_svg(uri: str) -> str:
    """The provisioning URI as an inline SVG QR code: drawn here, no image request."""
    qr = segno.make(uri, error="m", micro=False)
    # No fixed size: the viewBox scales to the page's box, which a phone screen holds whole.
    svg = qr.svg_inline(border=2, dark="#000", light="#fff", omitsize=True, svgclass="w-100")
    return mark_safe(svg)  # noqa: S308 - segno's own markup; the URI is only encoded as modules


def _secret_groups(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _next_url(request) -> str:
    return safe_next(request, settings.LOGIN_REDIRECT_URL)


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


# --- Django admin: view and reset, audited -------------------------------------------------


class _ResetOnlyDeviceAdmin:
    """Devices are listed and reset here, never added or edited: a person enrols themselves.

    Deleting a device, or the "reset" action, removes *all* the person's devices through
    two_factor_reset, which audits it.
    """

    actions = ["reset_two_factor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        two_factor_reset(actor=request.user, user=obj.user)

    def delete_queryset(self, request, queryset):
        for user in {device.user for device in queryset.select_related("user")}:
            two_factor_reset(actor=request.user, user=user)

    @admin.action(
        description=gettext_lazy("Reset two-factor login of these people"),
        permissions=["delete"],
    )
    def reset_two_factor(self, request, queryset):
        self.delete_queryset(request, queryset)
        self.message_user(
            request,
            _("Two-factor login reset: they log in with their password and enrol again."),
            messages.SUCCESS,
        )


class TOTPDeviceResetAdmin(_ResetOnlyDeviceAdmin, TOTPDeviceAdmin):
    pass


class StaticDeviceResetAdmin(_ResetOnlyDeviceAdmin, StaticDeviceAdmin):
    pass


def two_factor_admin_install(site) -> None:
    """Put the audited admins above in place of django-otp's own (called from portal.urls)."""
    for model, model_admin in (
        (TOTPDevice, TOTPDeviceResetAdmin),
        (StaticDevice, StaticDeviceResetAdmin),
    ):
        if site.is_registered(model):
            site.unregister(model)
        site.register(model, model_admin)
