"""Partner organisations that serve residents (the rest of services/ builds on them)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from portal.querysets import ScopedQuerySet, objects_granted
from portal.roles import STREET_ROLES, Role
from portal.validators import uscc_normalize, validate_uscc


class PartnerQuerySet(ScopedQuerySet):
    """Street roles see every partner; partner staff only their own organisation."""

    def scoped_for(self, user):
        if user.role in STREET_ROLES:
            return self.all()
        if user.role == Role.PARTNER_STAFF:
            return self.filter(pk__in=objects_granted(user, "services.act_for_partner", self.model))
        return self.none()


class Partner(models.Model):
    """合作单位 — an outside organisation that delivers services under an agreement."""

    class Kind(models.TextChoices):
        CLINIC = "clinic", _("Hospital or clinic")
        HOUSEKEEPING = "housekeeping", _("Housekeeping firm")
        SOCIAL_ORG = "social_org", _("Social organisation")
        FOUNDATION = "foundation", _("Charity foundation")
        SCHOOL = "school", _("School")
        VOLUNTEER_TEAM = "volunteer_team", _("Volunteer team")
        COUNSELLING = "counselling", _("Counselling organisation")

    name = models.CharField(_("name"), max_length=100)
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc]
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    agreement_start = models.DateField(_("agreement from"), null=True, blank=True)
    agreement_end = models.DateField(_("agreement to"), null=True, blank=True)
    dpa_signed = models.BooleanField(_("data-processing agreement signed"), default=False)

    objects = PartnerQuerySet.as_manager()

    class Meta:
        verbose_name = _("partner organisation")
        verbose_name_plural = _("partner organisations")
        ordering = ["name"]
        permissions = [("act_for_partner", _("Acts for this partner organisation"))]

    def __str__(self):
        return self.name

    def clean(self):
        if self.uscc:
            self.uscc = uscc_normalize(self.uscc)


class PartnerUserObjectPermission(UserObjectPermissionBase):
    """A partner staff member's grant on their organisation."""

    content_object = models.ForeignKey(Partner, on_delete=models.CASCADE)
