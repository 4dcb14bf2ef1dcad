"""The rule by which the burden dashboard counts hours saved (one row, editable by the street).

Hours saved are an estimate, so the rule is shown on the page beside the figure: minutes a
community would have spent on each field it found prefilled, on a form the street answered
from the data (no community saw it), and on a form turned away on a withdrawn duty.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SINGLETON = 1


class BurdenRule(models.Model):
    """减负工时规则 — minutes saved per prefilled field per community, per form answered from
    the data, per form turned away. One row (pk 1); absent, the defaults apply."""

    minutes_per_prefilled_field = models.PositiveSmallIntegerField(
        _("minutes per prefilled field, per community"),
        default=5,
        help_text=_("What finding one figure in the ledgers and typing it takes a community."),
    )
    minutes_per_answered_form = models.PositiveSmallIntegerField(
        _("minutes per form answered from data"),
        default=120,
        help_text=_("A form no community saw: collecting, adding up and checking it."),
    )
    minutes_per_rejected_form = models.PositiveSmallIntegerField(
        _("minutes per form turned away"),
        default=60,
        help_text=_("A form on a withdrawn duty that would otherwise have been filled."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        app_label = "reporting"
        verbose_name = _("hours-saved rule")
        verbose_name_plural = _("hours-saved rules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pk=SINGLETON), name="reporting_burdenrule_singleton"
            ),
        ]

    def __str__(self):
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> "BurdenRule":
        """The rule in force: the stored row, or the defaults (unsaved) when none was set."""
        return cls.objects.filter(pk=SINGLETON).first() or cls(pk=SINGLETON)

    def hours(self, *, prefilled: int, answered: int, rejected: int):
        """Hours saved by `prefilled` fields (field × community), `answered` forms answered
        from data and `rejected` forms turned away, to one decimal."""
        from decimal import Decimal

        minutes = (
            prefilled * self.minutes_per_prefilled_field
            + answered * self.minutes_per_answered_form
            + rejected * self.minutes_per_rejected_form
        )
        return (Decimal(minutes) / 60).quantize(Decimal("0.1"))
