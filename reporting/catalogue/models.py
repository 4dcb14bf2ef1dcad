"""The street's catalogue for burden reduction: departments, the duty list (职责清单), the data
elements (数据元) the portal computes, and the aliases learned from reviews.

The initial catalogue is the street's own data (reporting/catalogue_data/*.json), loaded by a
data migration; afterwards the street edits it through reporting/catalogue/writes.py, each
change in the audit trail (shown on the element's and the duty's page as its history).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import SyncedModel
from reporting.catalogue.querysets import CatalogueQuerySet


class Department(models.Model):
    """上级部门 — an upper-level department that sends the street forms to fill."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self):
        return self.name


class DutyItem(SyncedModel):
    """职责清单事项 — one duty of the street: core (基本), cooperative (配合) or withdrawn (收回),
    with its legal or policy basis. A form on a withdrawn duty is turned away with that basis."""

    class Type(models.TextChoices):
        CORE = "core", _("Core duty")
        COOPERATIVE = "cooperative", _("Cooperative duty")
        WITHDRAWN = "withdrawn", _("Withdrawn duty")

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    basis = models.TextField(_("legal basis"))

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        verbose_name = _("duty item")
        verbose_name_plural = _("duty items")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def is_withdrawn(self) -> bool:
        return self.type == self.Type.WITHDRAWN


class DataElement(SyncedModel):
    """数据元 — a canonical figure or list: name, definition, unit, population basis, age rule,
    kind (count/sum/list/rate), stock or flow, and whether the portal computes it (the
    computation is registered by its code in portal/figures.py by the module that owns the data).
    """

    class Kind(models.TextChoices):
        COUNT = "count", _("Count")
        SUM = "sum", _("Sum")
        LIST = "list", _("List")
        RATE = "rate", _("Rate")

    class Period(models.TextChoices):
        STOCK = "stock", _("Stock (at the period's end)")
        FLOW = "flow", _("Flow (over the period)")

    class Basis(models.TextChoices):
        REGISTERED = "户籍", _("Registered (户籍)")
        RESIDENT = "常住", _("Resident (常住)")
        ACTUAL = "实有", _("Actually living here (实有)")

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=100)
    definition = models.TextField(_("definition"))
    unit = models.CharField(_("unit"), max_length=8)
    basis = models.CharField(
        _("population basis"), max_length=4, choices=Basis.choices, blank=True, default=""
    )
    age_rule = models.CharField(_("age rule"), max_length=8, blank=True, default="")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    period = models.CharField(_("stock or flow"), max_length=8, choices=Period.choices)
    computable = models.BooleanField(_("computed by the portal"), default=True)
    source = models.TextField(_("how it is computed"), blank=True)

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        verbose_name = _("data element")
        verbose_name_plural = _("data elements")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Relation(models.TextChoices):
    """How a requested field relates to the catalogue (shared/reporting/README.md)."""

    SAME = "same", _("Same figure")
    DERIVABLE = "derivable", _("Derivable")
    DIFFERENT_BASIS = "different_basis", _("Look-alike (different basis)")
    NEW = "new", _("New")
    HEADER = "header", _("Form header or footer")


class IndicatorAlias(models.Model):
    """指标别名 — a label a department used, mapped to a data element (or to nothing: new),
    confirmed by a cadre; the review of the next form reads it."""

    label = models.CharField(_("label"), max_length=200)
    normalised_label = models.CharField(_("normalised label"), max_length=200, unique=True)
    element = models.ForeignKey(
        DataElement,
        verbose_name=_("data element"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="aliases",
    )
    relation = models.CharField(_("relation"), max_length=16, choices=Relation.choices)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    source_field = models.ForeignKey(
        "reporting.TemplateField",
        verbose_name=_("learned from field"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        verbose_name = _("indicator alias")
        verbose_name_plural = _("indicator aliases")
        ordering = ["normalised_label"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(relation__in=["same", "derivable"], element__isnull=False)
                | models.Q(relation__in=["different_basis", "new", "header"], element__isnull=True),
                name="reporting_alias_element_iff_mapped",
            )
        ]

    def __str__(self):
        return self.label
