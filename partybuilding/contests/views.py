"""Pages of the contests (擂台赛) and the 领头雁 programme. Every write goes through
partybuilding/contests/writes.py, whose gates (policy.py) decide who may act; these views find
the rows through the selectors (out of scope: 404, as missing) and translate what the writes
raise: PermissionDenied → 403, ValidationError → the form again, ContestConflict → a message
(a closed contest) and, on the judge's page, status 409.

- organiser: list, create, the sheet (aspects, indicators, contestants, judges), open / close /
  publish, results with the scoring sheet, enrol the top K;
- judge (on a phone): the contests they judge, one page per contestant with one number field
  per indicator, only their own scores, only while the contest is open;
- 领头雁: the enrolments, one page per enrolment with its milestones.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partybuilding.contests import selectors, writes
from partybuilding.contests.filters import ContestFilter, EnrolmentFilter
from partybuilding.contests.forms import (
    AspectForm,
    ContestantEditForm,
    ContestantForm,
    ContestForm,
    EnrolmentForm,
    IndicatorForm,
    JudgeForm,
    MilestoneForm,
    ScoreSheetForm,
)
from partybuilding.contests.models import LeadGooseEnrolment
from partybuilding.contests.policy import (
    access_contest_close,
    access_contest_create,
    access_contest_indicator_change,
    access_contest_judge_remove,
    access_contest_list,
    access_contest_open,
    access_contest_publish,
    access_contest_sheet_change,
    access_contestant_change,
    access_lead_goose_change,
    access_lead_goose_enrol,
    access_lead_goose_list,
)
from portal.policy import allowed
from portal.ui import filtered_page, form_errors, form_page


def _contest(request, pk):
    return get_object_or_404(selectors.contest_detail_list(actor=request.user), pk=pk)


# --- The organiser -----------------------------------------------------------------------------


@login_required
def contest_list(request):
    access_contest_list(request.user)
    filterset = ContestFilter(request.GET, queryset=selectors.contest_list(actor=request.user))
    context = {
        "page": filtered_page(request, filterset),
        "filter": filterset,
        "judged": selectors.contest_judged_list(actor=request.user).filter(status="open"),
        "can_add": allowed(access_contest_create, request.user),
    }
    return render(request, "partybuilding/contests/list.html", context)


@login_required
def contest_create(request):
    access_contest_create(request.user)
    form = ContestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contest = writes.contest_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Contest “%(title)s” created.") % {"title": contest})
            return redirect("partybuilding:contest-detail", contest.pk)
    return form_page(
        request,
        form,
        title=_("New contest"),
        cancel_url=reverse("partybuilding:contest-list"),
    )


@login_required
def contest_detail(request, pk):
    contest = _contest(request, pk)
    user = request.user
    context = {
        "contest": contest,
        "indicators": list(selectors.contest_indicators(contest=contest)),
        "can_change": allowed(access_contest_sheet_change, user, contest) and not contest.is_frozen,
        "can_open": allowed(access_contest_open, user, contest) and contest.status == "draft",
        "can_close": allowed(access_contest_close, user, contest) and contest.status == "open",
        "can_publish": allowed(access_contest_publish, user, contest)
        and contest.is_frozen
        and contest.published_at is None,
        "is_judge": selectors.judge_of(actor=user, contest=contest) is not None,
        "results_visible": selectors.results_visible(actor=user, contest=contest),
    }
    return render(request, "partybuilding/contests/detail.html", context)


def _sheet_form_page(request, contest, form, *, title, write):
    """A form that adds one part of the sheet; `write(data)` is the write call."""
    access_contest_sheet_change(request.user, contest)
    if request.method == "POST" and form.is_valid():
        try:
            write(dict(form.cleaned_data))
        except ValidationError as exc:
            form_errors(form, exc)
        except writes.ContestConflict as exc:
            messages.error(request, str(exc))
            return redirect("partybuilding:contest-detail", contest.pk)
        else:
            messages.success(request, _("Saved."))
            return redirect("partybuilding:contest-detail", contest.pk)
    return form_page(
        request,
        form,
        title=title,
        cancel_url=reverse("partybuilding:contest-detail", args=[contest.pk]),
    )


@login_required
def contest_aspect_add(request, pk):
    contest = _contest(request, pk)
    return _sheet_form_page(
        request,
        contest,
        AspectForm(request.POST or None),
        title=_("Add an aspect"),
        write=lambda data: writes.contest_aspect_add(actor=request.user, contest=contest, **data),
    )


@login_required
def contest_indicator_add(request, pk):
    contest = _contest(request, pk)
    return _sheet_form_page(
        request,
        contest,
        IndicatorForm(request.POST or None, contest=contest),
        title=_("Add an indicator"),
        write=lambda data: writes.contest_indicator_add(actor=request.user, **data),
    )


@login_required
def contestant_add(request, pk):
    contest = _contest(request, pk)
    return _sheet_form_page(
        request,
        contest,
        ContestantForm(request.POST or None, user=request.user),
        title=_("Add a contestant"),
        write=lambda data: writes.contestant_add(actor=request.user, contest=contest, **data),
    )


@login_required
def contest_judge_add(request, pk):
    contest = _contest(request, pk)
    return _sheet_form_page(
        request,
        contest,
        JudgeForm(request.POST or None),
        title=_("Add a judge"),
        write=lambda data: writes.contest_judge_add(actor=request.user, contest=contest, **data),
    )


def _edit_page(request, contest, form, *, gate, obj, title, write):
    """A form that edits one row of the sheet: the gate first (403), then the write (which
    refuses a frozen contest: a message, back to the contest)."""
    gate(request.user, obj)
    if request.method == "POST" and form.is_valid():
        try:
            write(dict(form.cleaned_data))
        except ValidationError as exc:
            form_errors(form, exc)
        except writes.ContestConflict as exc:
            messages.error(request, str(exc))
            return redirect("partybuilding:contest-detail", contest.pk)
        else:
            messages.success(request, _("Saved."))
            return redirect("partybuilding:contest-detail", contest.pk)
    return form_page(
        request,
        form,
        title=title,
        cancel_url=reverse("partybuilding:contest-detail", args=[contest.pk]),
    )


@login_required
def contest_indicator_edit(request, pk, indicator_pk):
    contest = _contest(request, pk)
    indicator = get_object_or_404(selectors.contest_indicators(contest=contest), pk=indicator_pk)
    return _edit_page(
        request,
        contest,
        IndicatorForm(request.POST or None, instance=indicator, contest=contest),
        gate=access_contest_indicator_change,
        obj=indicator,
        title=_("Edit the indicator %(name)s") % {"name": indicator.name},
        write=lambda data: writes.contest_indicator_update(
            actor=request.user, indicator=indicator, **data
        ),
    )


@login_required
def contestant_edit(request, pk, contestant_pk):
    contest = _contest(request, pk)
    contestant = get_object_or_404(contest.contestants.all(), pk=contestant_pk)
    return _edit_page(
        request,
        contest,
        ContestantEditForm(request.POST or None, instance=contestant, user=request.user),
        gate=access_contestant_change,
        obj=contestant,
        title=_("Edit the contestant %(name)s") % {"name": contestant.name},
        write=lambda data: writes.contestant_update(
            actor=request.user, contestant=contestant, **data
        ),
    )


@login_required
@require_POST
def contest_judge_remove(request, pk, judge_pk):
    contest = _contest(request, pk)
    judge = get_object_or_404(contest.judges.all(), pk=judge_pk)
    access_contest_judge_remove(request.user, judge)
    try:
        writes.contest_judge_remove(actor=request.user, judge=judge)
    except writes.ContestConflict as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Judge removed."))
    return redirect("partybuilding:contest-detail", contest.pk)


TRANSITION_WRITES = {
    "open": (writes.contest_open, _("Contest opened for scoring.")),
    "close": (writes.contest_close, _("Contest closed: the results are stored.")),
    "publish": (writes.contest_publish, _("Results published.")),
}


@login_required
@require_POST
def contest_transition(request, pk, name):
    contest = _contest(request, pk)
    if name not in TRANSITION_WRITES:
        raise Http404
    write, done = TRANSITION_WRITES[name]
    try:
        write(actor=request.user, contest=contest)
    except writes.ContestConflict as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("partybuilding:contest-detail", contest.pk)


@login_required
def contest_results(request, pk):
    contest = _contest(request, pk)
    if not selectors.results_visible(actor=request.user, contest=contest):
        raise Http404
    context = {
        "contest": contest,
        "sheet": selectors.contest_result_sheet(actor=request.user, contest=contest),
        "leaders": {r.contestant_id for r in selectors.leaders_of(contest=contest)},
        "enrolled": selectors.enrolled_contestants(contest=contest),
        "can_enrol": allowed(access_lead_goose_enrol, request.user),
    }
    return render(request, "partybuilding/contests/results.html", context)


# --- The judge ------------------------------------------------------------------------------------


@login_required
def judge_home(request, pk):
    """The judge's list of contestants, with how far they got with each."""
    contest = _contest(request, pk)
    if selectors.judge_of(actor=request.user, contest=contest) is None:
        raise Http404
    context = {
        "contest": contest,
        "contestants": selectors.judge_contestants(actor=request.user, contest=contest),
        "indicator_count": contest.indicator_count,
    }
    return render(request, "partybuilding/contests/judge_home.html", context)


@login_required
def judge_score(request, pk, contestant_pk):
    """One contestant, one number field per indicator: the judge's own scores."""
    contest = _contest(request, pk)
    if selectors.judge_of(actor=request.user, contest=contest) is None:
        raise Http404
    contestant = get_object_or_404(
        selectors.judge_contestants(actor=request.user, contest=contest), pk=contestant_pk
    )
    indicators = list(selectors.contest_indicators(contest=contest))
    own = {
        s.indicator_id: s.value
        for s in selectors.judge_scores(actor=request.user, contest=contest).filter(
            contestant=contestant
        )
    }
    form = ScoreSheetForm(request.POST or None, indicators=indicators, own=own)
    contestants = [c.pk for c in contest.contestants.all()]  # prefetched, by name
    position = contestants.index(contestant.pk)
    next_pk = contestants[position + 1] if position + 1 < len(contestants) else None
    status = None
    if request.method == "POST" and form.is_valid():
        try:
            writes.contest_scores_set(
                actor=request.user,
                contest=contest,
                contestant=contestant,
                values=form.values(),
            )
        except ValidationError as exc:
            form_errors(form, exc)
        except writes.ContestConflict as exc:
            messages.error(request, str(exc))
            status = 409
        else:
            messages.success(request, _("Scores for %(name)s saved.") % {"name": contestant})
            if next_pk is not None:  # on to the next contestant, as at the judges' table
                return redirect("partybuilding:contest-judge-score", contest.pk, next_pk)
            return redirect("partybuilding:contest-judge", contest.pk)
    context = {
        "contest": contest,
        "contestant": contestant,
        "is_open": contest.status == "open",
        "position": position + 1,
        "count": len(contestants),
    }
    return form_page(
        request,
        form,
        title=str(contestant),
        cancel_url=reverse("partybuilding:contest-judge", args=[contest.pk]),
        template="partybuilding/contests/score.html",
        status=status,
        **context,
    )


# --- The 领头雁 programme --------------------------------------------------------------------------


@login_required
def enrolment_list(request):
    access_lead_goose_list(request.user)
    filterset = EnrolmentFilter(request.GET, queryset=selectors.enrolment_list(actor=request.user))
    context = {"page": filtered_page(request, filterset), "filter": filterset}
    return render(request, "partybuilding/contests/enrolment_list.html", context)


@login_required
def enrolment_create(request, pk, contestant_pk):
    """Enrol a contestant of a closed contest (top K: the programme; anyone: the reserve)."""
    access_lead_goose_enrol(request.user)
    contest = _contest(request, pk)
    contestant = get_object_or_404(contest.contestants.all(), pk=contestant_pk)
    form = EnrolmentForm(
        request.POST or None,
        initial={"started_on": timezone.localdate(), "track": LeadGooseEnrolment.Track.LEAD_GOOSE},
    )
    if request.method == "POST" and form.is_valid():
        try:
            enrolment = writes.lead_goose_enrol(
                actor=request.user, contestant=contestant, **form.cleaned_data
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("%(name)s enrolled.") % {"name": contestant})
            return redirect("partybuilding:lead-goose-detail", enrolment.pk)
    return form_page(
        request,
        form,
        title=_("Enrol %(name)s") % {"name": contestant},
        cancel_url=reverse("partybuilding:contest-results", args=[contest.pk]),
    )


@login_required
def enrolment_detail(request, pk):
    enrolment = get_object_or_404(selectors.enrolment_list(actor=request.user), pk=pk)
    can_change = allowed(access_lead_goose_change, request.user, enrolment)
    form = MilestoneForm(request.POST or None)
    if request.method == "POST":
        access_lead_goose_change(request.user, enrolment)
        if form.is_valid():
            try:
                writes.lead_goose_milestone_add(
                    actor=request.user, enrolment=enrolment, **form.cleaned_data
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Milestone added."))
                return redirect("partybuilding:lead-goose-detail", enrolment.pk)
    context = {
        "enrolment": enrolment,
        "milestones": selectors.enrolment_milestones(actor=request.user, enrolment=enrolment),
        "form": form,
        "can_change": can_change,
        "today": timezone.localdate(),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "partybuilding/contests/enrolment_detail.html", context, status=status)


@login_required
@require_POST
def milestone_done(request, pk, milestone_pk):
    enrolment = get_object_or_404(selectors.enrolment_list(actor=request.user), pk=pk)
    milestone = get_object_or_404(
        selectors.enrolment_milestones(actor=request.user, enrolment=enrolment), pk=milestone_pk
    )
    done_on = None if request.POST.get("undo") else timezone.localdate()
    try:
        writes.lead_goose_milestone_done(actor=request.user, milestone=milestone, done_on=done_on)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("partybuilding:lead-goose-detail", enrolment.pk)


urlpatterns = [
    path("contests/", contest_list, name="contest-list"),
    path("contests/new/", contest_create, name="contest-create"),
    path("contests/<id:pk>/", contest_detail, name="contest-detail"),
    path("contests/<id:pk>/aspects/new/", contest_aspect_add, name="contest-aspect-add"),
    path("contests/<id:pk>/indicators/new/", contest_indicator_add, name="contest-indicator-add"),
    path("contests/<id:pk>/contestants/new/", contestant_add, name="contest-contestant-add"),
    path("contests/<id:pk>/judges/new/", contest_judge_add, name="contest-judge-add"),
    path(
        "contests/<id:pk>/indicators/<id:indicator_pk>/edit/",
        contest_indicator_edit,
        name="contest-indicator-edit",
    ),
    path(
        "contests/<id:pk>/contestants/<id:contestant_pk>/edit/",
        contestant_edit,
        name="contest-contestant-edit",
    ),
    path(
        "contests/<id:pk>/judges/<id:judge_pk>/remove/",
        contest_judge_remove,
        name="contest-judge-remove",
    ),
    path("contests/<id:pk>/<str:name>/do/", contest_transition, name="contest-transition"),
    path("contests/<id:pk>/results/", contest_results, name="contest-results"),
    path("contests/<id:pk>/judge/", judge_home, name="contest-judge"),
    path("contests/<id:pk>/judge/<id:contestant_pk>/", judge_score, name="contest-judge-score"),
    path(
        "contests/<id:pk>/enrol/<id:contestant_pk>/",
        enrolment_create,
        name="contest-enrol",
    ),
    path("lead-geese/", enrolment_list, name="lead-goose-list"),
    path("lead-geese/<id:pk>/", enrolment_detail, name="lead-goose-detail"),
    path(
        "lead-geese/<id:pk>/milestones/<id:milestone_pk>/done/",
        milestone_done,
        name="lead-goose-milestone-done",
    ),
]
