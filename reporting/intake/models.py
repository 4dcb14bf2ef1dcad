"""Intake: a department's form (ReportTemplate) and its fields, as they arrived (API, an uploaded
spreadsheet or the page), and the review of each field (FieldReview): the engine's proposal
(reporting/review/) and the cadre's decision. Duplicates of earlier forms are kept as
TemplateDuplicate rows, found when the form arrives.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import SyncedModel
from reporting.catalogue.models import DataElement, Department, DutyItem, Relation
from reporting.intake.querysets import (
    FieldReviewQuerySet,
    ReportTemplateQuerySet,
    TemplateDuplicateQuerySet,
    TemplateFieldQuerySet,
)


class ReportTemplate(SyncedModel):
    """报表 — a department's form: its fields, how often it comes, how many days the street
    has, and the duty item it cites (none: a case-by-case filing 备案 is needed)."""

    class Period(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")
        SEMIANNUAL = "semiannual", _("Half-yearly")
        ANNUAL = "annual", _("Annual")
        ADHOC = "adhoc", _("Ad hoc")

    class Source(models.TextChoices):
        API = "api", _("API")
        UPLOAD = "upload", _("Uploaded spreadsheet")
        PAGE = "page", _("Entered on the page")

    class Layout(models.TextChoices):
        ROWS = "rows", _("Labels in the first column")
        COLUMNS = "columns", _("Labels in the header row")

    external_id = models.CharField(_("form id"), max_length=64, unique=True)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="templates"
    )
    title = models.CharField(_("title"), max_length=200)
    period = models.CharField(_("period"), max_length=16, choices=Period.choices)
    due_days = models.PositiveSmallIntegerField(_("days to answer"), default=5)
    duty_item = models.ForeignKey(
        DutyItem,
        verbose_name=_("duty item"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="templates",
    )
    source = models.CharField(_("arrived through"), max_length=8, choices=Source.choices)
    layout = models.CharField(
        _("layout"), max_length=8, choices=Layout.choices, default=Layout.ROWS
    )
    # What the review found for the form as a whole (the fields' proposals are FieldReview).
    rejected = models.BooleanField(_("rejected"), default=False)
    filing_needed = models.BooleanField(_("filing needed"), default=False)
    filing_note = models.TextField(_("filing note"), blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("received at"), default=timezone.now, editable=False)

    objects = ReportTemplateQuerySet.as_manager()

    class Meta:
        verbose_name = _("report template")
        verbose_name_plural = _("report templates")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title

    @property
    def filed(self) -> bool:
        return self.filed_at is not None

    def as_form(self, fields=None) -> dict:
        """The form in the shared README's shape, as the review engine reads it."""
        fields = self.fields.all() if fields is None else fields
        by_pk = {f.pk: f for f in fields}
        rows = []
        for field in fields:
            row = {"id": field.external_id, "label": field.label}
            if field.parent_id and field.parent_id in by_pk:
                row["parent"] = by_pk[field.parent_id].external_id
            rows.append(row)
        return {
            "id": self.external_id,
            "department": self.department.name,
            "title": self.title,
            "period": self.period,
            "due_days": self.due_days,
            "duty_item": self.duty_item.code if self.duty_item_id else None,
            "fields": rows,
        }


class TemplateField(models.Model):
    """表内指标 — one field of a form, its label exactly as the department wrote it; a `其中：`
    line points at its parent."""

    template = models.ForeignKey(
        ReportTemplate, verbose_name=_("form"), on_delete=models.CASCADE, related_name="fields"
    )
    external_id = models.CharField(_("field id"), max_length=64)
    label = models.CharField(_("label"), max_length=300)
    position = models.PositiveSmallIntegerField(_("position"))
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent field"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
    )

    objects = TemplateFieldQuerySet.as_manager()

    class Meta:
        verbose_name = _("form field")
        verbose_name_plural = _("form fields")
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "external_id"], name="reporting_field_id_once"
            ),
        ]

    def __str__(self):
        return self.label


class FieldReview(models.Model):
    """字段审核 — the engine's proposal for one field (element, relation, the look-alike it
    resembles, how it is derived, which dimensions agree and differ, why, how sure) and the
    cadre's decision (confirmed, corrected to another element or relation, or held)."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Waiting for a cadre")
        CONFIRMED = "confirmed", _("Confirmed")
        CORRECTED = "corrected", _("Corrected")
        HELD = "held", _("Held back")

    field = models.OneToOneField(
        TemplateField, verbose_name=_("field"), on_delete=models.CASCADE, related_name="review"
    )
    # The engine's proposal.
    proposed_element = models.ForeignKey(
        DataElement,
        verbose_name=_("proposed element"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    proposed_relation = models.CharField(
        _("proposed relation"), max_length=16, choices=Relation.choices
    )
    looks_like = models.ForeignKey(
        DataElement,
        verbose_name=_("looks like"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    derivation = models.JSONField(_("derivation"), null=True, blank=True)
    agrees = models.JSONField(_("dimensions that agree"), default=list, blank=True)
    differs = models.JSONField(_("dimensions that differ"), default=list, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    confidence = models.FloatField(_("confidence"), default=0)
    answerable = models.BooleanField(_("answerable from data"), default=False)
    # The cadre's decision.
    decision = models.CharField(
        _("decision"), max_length=16, choices=Decision.choices, default=Decision.PENDING
    )
    element = models.ForeignKey(
        DataElement,
        verbose_name=_("element"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The mapping in force: the proposal, or the cadre's correction."),
    )
    relation = models.CharField(_("relation"), max_length=16, choices=Relation.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = FieldReviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("field review")
        verbose_name_plural = _("field reviews")
        ordering = ["field__template", "field__position"]

    def __str__(self):
        return f"{self.field} → {self.element.code if self.element_id else '—'}"

    @property
    def is_look_alike(self) -> bool:
        return self.proposed_relation == Relation.DIFFERENT_BASIS

    @property
    def mapped(self) -> bool:
        """Whether the mapping in force names an element (same or derivable, not held)."""
        return self.element_id is not None and self.relation in (
            Relation.SAME,
            Relation.DERIVABLE,
        )


class TemplateDuplicate(models.Model):
    """重复报表 — this form asks what an earlier one already asked: all its elements (full) or
    enough of them (partial), with the shared elements."""

    class Kind(models.TextChoices):
        FULL = "full", _("Full duplicate")
        PARTIAL = "partial", _("Partial duplicate")

    template = models.ForeignKey(
        ReportTemplate, verbose_name=_("form"), on_delete=models.CASCADE, related_name="duplicates"
    )
    repeats = models.ForeignKey(
        ReportTemplate,
        verbose_name=_("repeats"),
        on_delete=models.CASCADE,
        related_name="repeated_by",
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    shared = models.JSONField(_("shared elements"), default=list)

    objects = TemplateDuplicateQuerySet.as_manager()

    class Meta:
        verbose_name = _("duplicate form")
        verbose_name_plural = _("duplicate forms")
        ordering = ["template", "kind", "repeats"]
        constraints = [
            models.UniqueConstraint(fields=["template", "repeats"], name="reporting_duplicate_once")
        ]

    def __str__(self):
        return f"{self.template} ≈ {self.repeats}"
