"""Changing one's own password, and the rule that a handed-over password is changed first.

A password someone else chose — a new account's initial password, a reset by the street
administrator, one set in the Django admin, a Party member's first login — is known to two
people. Its account carries `password_change_required` until its owner chooses their own: until
then every page sends them to the change page (`password_change_gate`, called by
portal.middleware.PasswordChangeMiddleware, after the two-factor gate: first prove who you are,
then choose a password), and the API answers 403. The write is `portal.writes.password_change`.

A wrong current password counts towards the account's login lockout (django-axes), as a wrong
password at the login and a wrong two-factor code do: at the limit the session ends on the
lockout page, so an unattended session cannot be used to guess it.
"""

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from portal import writes
from portal.params import safe_next
from portal.policy import access_password_change
from portal.two_factor import two_factor_exempt
from portal.ui import StyledFormMixin, form_errors, styled

# --- The gate every request passes ------------------------------------------------------------


def password_change_gate(request) -> HttpResponse | None:
    """What a person who must choose their password gets instead of the page, if anything."""
    user = request.user
    if not user.is_authenticated or not user.password_change_required:
        return None
    if _exempt(request.path):
        return None
    if request.path_info.startswith("/api/"):
        return JsonResponse(
            {
                "detail": _(
                    "Your password was set by someone else: choose your own in the portal "
                    "before using the API with this session."
                )
            },
            status=403,
        )
    target = reverse("password-change")
    if request.method in ("GET", "HEAD"):
        target = f"{target}?{urlencode({'next': request.get_full_path()})}"
    return redirect(target)


def _exempt(path: str) -> bool:
    """The change page itself, and what the two-factor gate lets through: the two-factor pages
    (they come first), logging out, static files, the health check, the language."""
    return path.startswith(reverse("password-change")) or two_factor_exempt(path)


# --- The page ---------------------------------------------------------------------------------


class PasswordChangeForm(StyledFormMixin, forms.Form):
    """The current password, and the new one twice (a typing mistake is caught here; the rules
    are the write's)."""

    old_password = forms.CharField(
        label=gettext_lazy("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password = forms.CharField(
        label=gettext_lazy("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label=gettext_lazy("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        new, again = cleaned.get("new_password"), cleaned.get("new_password_again")
        if new and again and new != again:
            self.add_error(
                "new_password_again", _("The two new passwords differ. Type the new one again.")
            )
        return cleaned


@sensitive_post_parameters("old_password", "new_password", "new_password_again")
@never_cache
@login_required
def password_change_page(request):
    """Change one's own password; the session stays, every other session of the account ends."""
    user = request.user
    access_password_change(user)
    next_url = safe_next(request, settings.LOGIN_REDIRECT_URL)
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        return _locked_out(request, credentials)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            writes.password_change(
                actor=user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ValidationError as error:
            form_errors(form, error)
            styled(form)  # the write's errors marked on their fields too
            if "old_password" in error.error_dict:
                AxesProxyHandler.user_login_failed(
                    sender=password_change_page, credentials=credentials, request=request
                )
                if getattr(request, "axes_locked_out", False):
                    return _locked_out(request, credentials)
        else:
            update_session_auth_hash(request, user)
            AxesProxyHandler.reset_attempts(username=user.get_username())
            messages.success(request, _("Your password is changed."))
            return redirect(next_url)
    context = {
        "form": form,
        "next": next_url,
        "required": user.password_change_required,
        "rules": password_validators_help_texts(),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "registration/password_change.html", context, status=status)


def _locked_out(request, credentials):
    logout(request)
    return get_lockout_response(request, None, credentials)
