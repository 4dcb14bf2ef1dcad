"""Reads of intake: the forms received (with their department, duty item, field counts and
how many fields are waiting for a cadre), one form's fields with their reviews, and its
duplicates. Every read starts from `visible_to(actor)` and owns its joins."""

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce

from reporting.intake.models import FieldReview, ReportTemplate, TemplateDuplicate, TemplateField


def _count(queryset, fk: str):
    counted = (
        queryset.filter(**{fk: OuterRef("pk")})
        .order_by()
        .values(fk)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def template_list(*, actor):
    """Forms the actor sees, newest first, with field, pending-review and duplicate counts."""
    return (
        ReportTemplate.objects.visible_to(actor)
        .select_related("department", "duty_item", "filed_by")
        .annotate(
            field_count=_count(TemplateField.objects.all(), "template"),
            pending_count=_count(
                FieldReview.objects.filter(decision=FieldReview.Decision.PENDING),
                "field__template",
            ),
            duplicate_count=_count(TemplateDuplicate.objects.all(), "template"),
        )
        .order_by("-created_at", "-pk")
    )


def template_detail_list(*, actor):
    """template_list with every field, its review and the duplicates prefetched (the API's
    detail and the review page: a fixed number of queries however many fields)."""
    return template_list(actor=actor).prefetch_related(
        Prefetch(
            "fields",
            queryset=TemplateField.objects.select_related(
                "parent",
                "review__element",
                "review__proposed_element",
                "review__looks_like",
                "review__decided_by",
            ).order_by("position"),
        ),
        Prefetch(
            "duplicates",
            queryset=TemplateDuplicate.objects.select_related("repeats__department"),
        ),
    )


def template_reviews(*, actor, template):
    return (
        FieldReview.objects.visible_to(actor)
        .filter(field__template=template)
        .select_related("field__parent", "element", "proposed_element", "looks_like", "decided_by")
        .order_by("field__position")
    )


def template_duplicates(*, actor, template):
    """Earlier forms this one repeats, and later forms that repeat it."""
    return (
        TemplateDuplicate.objects.visible_to(actor)
        .filter(template=template)
        .select_related("repeats__department")
    )


def template_repeated_by(*, actor, template):
    return (
        TemplateDuplicate.objects.visible_to(actor)
        .filter(repeats=template)
        .select_related("template__department")
    )
