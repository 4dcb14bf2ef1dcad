"""The home card of reporting: the reporting tasks waiting for the user (one query).

- street staff: tasks the street holds (to review, to decide, communities' answers to accept);
- a community cadre: their communities' assignments still to fill or submit (returned ones
  included);
- a grid worker or leader: the figures handed to them that are still empty.
"""

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from portal.hooks import HomeCard
from reporting.flow.models import (
    STREET_HOLDS,
    AssignmentValue,
    FieldDelegation,
    ReportAssignment,
    ReportTask,
)

A = ReportAssignment.State
OPEN_ASSIGNMENT = (A.PREFILLED, A.COMMUNITY_REVIEW, A.RETURNED)


def _url(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:  # a URLconf without the room's pages
        return ""


def waiting_counts(*, actor) -> dict | None:
    """{"waiting": n, "detail": m} — what waits for `actor` (street: tasks it holds, of which
    `detail` are communities' answers to accept; community: open assignments, of which `detail`
    were returned; grid staff: empty fields handed to them) — or None when reporting holds
    nothing for them. One query."""
    if actor.is_street_staff:
        counts = ReportTask.objects.visible_to(actor).aggregate(
            waiting=Count("pk", filter=Q(state__in=STREET_HOLDS)),
            detail=Count("pk", filter=Q(state=ReportTask.State.SUBMITTED)),
        )
    elif actor.is_community_cadre:
        counts = ReportAssignment.objects.visible_to(actor).aggregate(
            waiting=Count("pk", filter=Q(state__in=OPEN_ASSIGNMENT)),
            detail=Count("pk", filter=Q(state=A.RETURNED)),
        )
    elif actor.is_grid_staff:
        empty = AssignmentValue.objects.filter(
            Q(value__isnull=True) | Q(value=""),
            assignment=OuterRef("assignment"),
            field=OuterRef("field"),
            assignment__state__in=OPEN_ASSIGNMENT,
        )
        counts = (
            FieldDelegation.objects.visible_to(actor)
            .annotate(empty=Exists(empty))
            .aggregate(waiting=Count("pk", filter=Q(empty=True)))
        )
        counts["detail"] = 0
    else:
        return None
    return {key: value or 0 for key, value in counts.items()}


def cards(user) -> list[HomeCard]:
    if not user.is_authenticated:
        return []
    counts = waiting_counts(actor=user)
    if counts is None:
        return []
    if user.is_street_staff:
        return [
            HomeCard(
                _("Reporting tasks waiting for the street"),
                str(counts["waiting"]),
                url=_url("reporting:task-list"),
                icon="bi-clipboard-data",
                note=_("%(n)d communities' answers to accept") % {"n": counts["detail"]}
                if counts["detail"]
                else "",
            )
        ]
    if user.is_community_cadre:
        return [
            HomeCard(
                _("Forms for our community to fill"),
                str(counts["waiting"]),
                url=_url("reporting:assignment-list"),
                icon="bi-clipboard-data",
                note=_("%(n)d returned for correction") % {"n": counts["detail"]}
                if counts["detail"]
                else _("Only the new fields are asked"),
            )
        ]
    if not counts["waiting"]:
        return []
    return [
        HomeCard(
            _("Figures asked of me"),
            str(counts["waiting"]),
            url=_url("reporting:delegation-list"),
            icon="bi-pencil-square",
            note=_("Handed to you by your community"),
        )
    ]


def register() -> None:
    """Called from ReportingConfig.ready(): the home card, and the dashboard's model (the
    hours-saved rule lives in reporting/dashboards/models.py, app label `reporting`)."""
    from portal.hooks import home_cards_register
    from reporting.dashboards import models  # noqa: F401 - registers BurdenRule

    home_cards_register(cards)
