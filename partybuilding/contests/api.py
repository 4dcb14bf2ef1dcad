"""Contests (擂台赛) under /api/v1/contests/ (partybuilding/contests/writes.py and its gates
decide every write).

- `GET contests/`, `GET contests/{id}/`: the contests in your scope with their sheet (aspects →
  indicators, contestants, judges); `POST contests/` creates one in draft (organisers).
- `POST contests/{id}/open/`, `close/`, `publish/`: the transitions; a stale one (the contest
  moved on since) answers 409 with {"detail": ...}. Closing stores the results.
- `POST contests/{id}/aspects/`, `indicators/`, `contestants/`, `judges/`: build the sheet
  (organisers; aspects and indicators in draft only, contestants and judges until it closes —
  after that 409); each answers 201 with the whole contest.
- `PATCH contests/{id}/indicators/{indicator_id}/` {"name", "weight", "max_score", "order",
  "aspect"} edits an indicator (draft only: open or closed is 409);
  `PATCH contests/{id}/contestants/{contestant_id}/` {"name", "org"} corrects a contestant and
  `DELETE contests/{id}/judges/{judge_id}/` takes a judge who has not scored off the panel
  (both until the contest closes — after that 409); each answers 200 with the whole contest
  (the delete: 204).
- `GET contests/{id}/scores/`: *your own* scores as a judge of this contest (never another
  judge's); `POST contests/{id}/scores/` {"contestant": id, "scores": [{"indicator": id,
  "value": "8.5" | null}]} sets them while the contest is open — after it closed: 409;
  not a judge: 403. `GET contests/{id}/scores/{score_id}/`: one of your scores (another
  judge's: 404).
- `GET contests/{id}/results/`: the ranking and the full scoring sheet, once published (the
  organisers see it from closing); before: 404.

领头雁 under /api/v1/lead-geese/ (the enrolments in the lead-goose programme and the
reserve-cadre pool, each with its development plan, mentor and milestones):

- `GET lead-geese/`, `GET lead-geese/{id}/`: the enrolments in your scope, milestones nested;
  `POST lead-geese/` {"track", "started_on", "contestant" | "member", "mentor", "plan"} enrols
  (the Party office; the programme takes a closed contest's top places only — else 400);
  `PATCH lead-geese/{id}/` {"mentor", "plan", "ended_on"}.
- `POST lead-geese/{id}/milestones/` {"title", "due_on"} adds a milestone;
  `PATCH lead-geese/{id}/milestones/{milestone_id}/` {"done_on": "2026-05-01" | null} marks it
  done (or not).
"""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound
from rest_framework.response import Response

from partybuilding.contests import selectors, writes
from partybuilding.contests.models import (
    Contest,
    Contestant,
    ContestAspect,
    ContestIndicator,
    ContestJudge,
    LeadGooseEnrolment,
    LeadGooseMilestone,
    Score,
)
from partybuilding.contests.policy import (
    access_contest_indicator_change,
    access_contest_judge_remove,
    access_contest_sheet_change,
    access_contestant_change,
    access_lead_goose_change,
)
from partybuilding.organisations.models import PartyMember, PartyOrg
from portal.api.fields import ScopedPrimaryKeyRelatedField
from portal.api.viewsets import ScopedViewSetMixin


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("Conflict.")


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContestIndicator
        fields = ["id", "name", "weight", "max_score", "order"]


class AspectSerializer(serializers.ModelSerializer):
    indicators = IndicatorSerializer(many=True, read_only=True)

    class Meta:
        model = ContestAspect
        fields = ["id", "name", "order", "indicators"]


class ContestantSerializer(serializers.ModelSerializer):
    org_name = serializers.CharField(source="org.name", read_only=True, default="")

    class Meta:
        model = Contestant
        fields = ["id", "name", "member", "org", "org_name"]


class JudgeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="user.get_full_name", read_only=True)

    class Meta:
        model = ContestJudge
        fields = ["id", "user", "name"]


class ContestSerializer(serializers.ModelSerializer):
    aspects = AspectSerializer(many=True, read_only=True)
    contestants = ContestantSerializer(many=True, read_only=True)
    judges = JudgeSerializer(many=True, read_only=True)
    contestant_count = serializers.IntegerField(read_only=True, default=0)
    judge_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Contest
        fields = [
            "id", "title", "status", "held_on", "trim_min_judges", "leaders_count",
            "closed_at", "published_at", "contestant_count", "judge_count", "aspects",
            "contestants", "judges",
        ]  # fmt: skip
        read_only_fields = ["id", "status", "closed_at", "published_at"]


class ScoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Score
        fields = ["id", "contestant", "indicator", "value", "updated_at"]


class ScoreValueSerializer(serializers.Serializer):
    indicator = serializers.IntegerField()
    value = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)


class ScoresInputSerializer(serializers.Serializer):
    contestant = serializers.IntegerField()
    scores = ScoreValueSerializer(many=True)


class AspectInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    order = serializers.IntegerField(min_value=0, default=0)


class IndicatorInputSerializer(serializers.Serializer):
    aspect = serializers.IntegerField()
    name = serializers.CharField(max_length=100)
    weight = serializers.DecimalField(max_digits=5, decimal_places=2)
    max_score = serializers.DecimalField(max_digits=6, decimal_places=2, default=Decimal("10"))
    order = serializers.IntegerField(min_value=0, default=0)


class ContestantInputSerializer(serializers.Serializer):
    member = ScopedPrimaryKeyRelatedField(
        queryset=PartyMember.objects.all(), required=False, allow_null=True
    )
    name = serializers.CharField(max_length=64, required=False, allow_blank=True)


class IndicatorUpdateSerializer(serializers.Serializer):
    aspect = serializers.IntegerField(required=False)
    name = serializers.CharField(max_length=100, required=False)
    weight = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    max_score = serializers.DecimalField(max_digits=6, decimal_places=2, required=False)
    order = serializers.IntegerField(min_value=0, required=False)


class ContestantUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64, required=False)
    org = ScopedPrimaryKeyRelatedField(
        queryset=PartyOrg.objects.all(), required=False, allow_null=True
    )


class JudgeInputSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = selectors.judge_candidates()


# What `results` answers (documentation of the hand-built sheet; the view writes the dict).


class ResultMarkSerializer(serializers.Serializer):
    judge = serializers.IntegerField()
    value = serializers.CharField(allow_null=True, help_text="A decimal, as a string.")
    dropped = serializers.BooleanField(help_text="Trimmed as the highest or lowest mark.")


class ResultCellSerializer(serializers.Serializer):
    indicator = serializers.IntegerField()
    average = serializers.CharField(help_text="A decimal, as a string.")
    trimmed = serializers.BooleanField()
    scores = ResultMarkSerializer(many=True)


class ResultRowSerializer(serializers.Serializer):
    contestant = serializers.IntegerField()
    name = serializers.CharField()
    total = serializers.CharField(help_text="The weighted total, a decimal as a string.")
    rank = serializers.IntegerField()
    tie = serializers.BooleanField()
    indicators = ResultCellSerializer(many=True)


class ResultIndicatorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    aspect = serializers.CharField()
    weight = serializers.CharField(help_text="A decimal, as a string.")


class ContestResultsSerializer(serializers.Serializer):
    contest = serializers.IntegerField()
    published_at = serializers.DateTimeField(allow_null=True)
    trim_min_judges = serializers.IntegerField()
    indicators = ResultIndicatorSerializer(many=True)
    judges = serializers.ListField(child=serializers.IntegerField())
    results = ResultRowSerializer(many=True)


class ContestViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Contests in your scope: the organiser's sheet and transitions, the judge's own scores,
    the published results."""

    queryset = Contest.objects.all()
    selector = staticmethod(selectors.contest_detail_list)
    serializer_class = ContestSerializer
    filterset_fields = ["status"]
    ordering_fields = ["held_on"]
    # The transitions and the score writes are decided by their gates (403), after the contest
    # is found in the *view* scope (404 otherwise): a judge does not change the contest row.
    extra_action_perms = {
        "open": "view",
        "close": "view",
        "publish": "view",
        "scores": "view",
        "score_detail": "view",
        "results": "view",
        "aspects": "view",
        "indicators": "view",
        "contestants": "view",
        "judges": "view",
        "indicator_detail": "view",
        "contestant_detail": "view",
        "judge_detail": "view",
    }

    def handle_exception(self, exc):
        if isinstance(exc, writes.ContestConflict):
            exc = Conflict(detail=str(exc))
        return super().handle_exception(exc)

    def _fresh(self, contest):
        return self.get_queryset().get(pk=contest.pk)

    def perform_create(self, serializer):
        contest = writes.contest_create(actor=self.request.user, **serializer.validated_data)
        serializer.instance = self._fresh(contest)

    def _transition(self, write):
        contest = write(actor=self.request.user, contest=self.get_object())
        return Response(self.get_serializer(self._fresh(contest)).data)

    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        """Open a draft contest for scoring."""
        return self._transition(writes.contest_open)

    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close an open contest: freeze it and store the results."""
        return self._transition(writes.contest_close)

    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish a closed contest's results and scoring sheet."""
        return self._transition(writes.contest_publish)

    def _sheet_add(self, serializer_class, write, *, extra):
        contest = self.get_object()
        # Refuse a reader before reading their input (403, not a 400 on the fields).
        access_contest_sheet_change(self.request.user, contest)
        data = serializer_class(data=self.request.data, context={"request": self.request})
        data.is_valid(raise_exception=True)
        write(actor=self.request.user, **extra(contest, data.validated_data))
        return Response(
            self.get_serializer(self._fresh(contest)).data, status=status.HTTP_201_CREATED
        )

    @action(detail=True, methods=["post"], serializer_class=ContestSerializer)
    def aspects(self, request, pk=None):
        """Add an aspect {"name", "order"} (draft only)."""
        return self._sheet_add(
            AspectInputSerializer,
            writes.contest_aspect_add,
            extra=lambda contest, data: {"contest": contest, **data},
        )

    @action(detail=True, methods=["post"], serializer_class=ContestSerializer)
    def indicators(self, request, pk=None):
        """Add an indicator {"aspect", "name", "weight", "max_score", "order"} (draft only)."""

        def extra(contest, data):
            aspect = get_object_or_404(contest.aspects.all(), pk=data.pop("aspect"))
            return {"aspect": aspect, **data}

        return self._sheet_add(IndicatorInputSerializer, writes.contest_indicator_add, extra=extra)

    @action(detail=True, methods=["post"], serializer_class=ContestSerializer)
    def contestants(self, request, pk=None):
        """Add a contestant {"member": id} or {"name": "..."} (not once closed)."""
        return self._sheet_add(
            ContestantInputSerializer,
            writes.contestant_add,
            extra=lambda contest, data: {"contest": contest, **data},
        )

    @action(detail=True, methods=["post"], serializer_class=ContestSerializer)
    def judges(self, request, pk=None):
        """Name a judge {"user": id} (not once closed)."""
        return self._sheet_add(
            JudgeInputSerializer,
            writes.contest_judge_add,
            extra=lambda contest, data: {"contest": contest, **data},
        )

    def _sheet_update(self, row, gate, serializer_class, write, **extra):
        """PATCH one row of the sheet: the gate before the input (403, not a 400), then the
        write (a frozen contest: 409)."""
        gate(self.request.user, row)
        data = serializer_class(data=self.request.data, context={"request": self.request})
        data.is_valid(raise_exception=True)
        write(**extra, **data.validated_data)
        return Response(self.get_serializer(self._fresh(self.get_object())).data)

    @extend_schema(operation_id="v1_contests_indicator_update", request=IndicatorUpdateSerializer)
    @action(
        detail=True,
        methods=["patch"],
        url_path=r"indicators/(?P<indicator_pk>[0-9]+)",
        serializer_class=ContestSerializer,
    )
    def indicator_detail(self, request, pk=None, indicator_pk=None):
        """Edit an indicator (draft only)."""
        contest = self.get_object()
        indicator = get_object_or_404(
            selectors.contest_indicators(contest=contest), pk=indicator_pk
        )

        def write(**data):
            if "aspect" in data:
                data["aspect"] = get_object_or_404(contest.aspects.all(), pk=data["aspect"])
            return writes.contest_indicator_update(actor=request.user, indicator=indicator, **data)

        return self._sheet_update(
            indicator, access_contest_indicator_change, IndicatorUpdateSerializer, write
        )

    @extend_schema(operation_id="v1_contests_contestant_update", request=ContestantUpdateSerializer)
    @action(
        detail=True,
        methods=["patch"],
        url_path=r"contestants/(?P<contestant_pk>[0-9]+)",
        serializer_class=ContestSerializer,
    )
    def contestant_detail(self, request, pk=None, contestant_pk=None):
        """Correct a contestant's name or organisation (until the contest closes)."""
        contest = self.get_object()
        contestant = get_object_or_404(contest.contestants.all(), pk=contestant_pk)
        return self._sheet_update(
            contestant,
            access_contestant_change,
            ContestantUpdateSerializer,
            writes.contestant_update,
            actor=request.user,
            contestant=contestant,
        )

    @extend_schema(operation_id="v1_contests_judge_remove", request=None, responses={204: None})
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"judges/(?P<judge_pk>[0-9]+)",
        serializer_class=ContestSerializer,
    )
    def judge_detail(self, request, pk=None, judge_pk=None):
        """Take a judge who has not scored off the panel (until the contest closes)."""
        contest = self.get_object()
        judge = get_object_or_404(contest.judges.all(), pk=judge_pk)
        access_contest_judge_remove(request.user, judge)
        writes.contest_judge_remove(actor=request.user, judge=judge)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # A list either way: the judge's own scores in this contest, after any POST.
    @extend_schema(
        request=ScoresInputSerializer,
        # A plain list (not a page): spectacular would document a list GET as paginated.
        responses={200: {"type": "array", "items": {"$ref": "#/components/schemas/Score"}}},
    )
    @action(detail=True, methods=["get", "post"], serializer_class=ScoreSerializer)
    def scores(self, request, pk=None):
        """Your own scores in this contest (GET), or set them for one contestant (POST)."""
        contest = self.get_object()
        if request.method == "POST":
            data = ScoresInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            contestant = get_object_or_404(
                contest.contestants.all(), pk=data.validated_data["contestant"]
            )
            indicators = {i.pk: i for i in selectors.contest_indicators(contest=contest)}
            values = {}
            for row in data.validated_data["scores"]:
                indicator = indicators.get(row["indicator"])
                if indicator is None:
                    raise serializers.ValidationError(
                        {"scores": [_("The indicator belongs to another contest.")]}
                    )
                values[indicator] = row["value"]
            writes.contest_scores_set(
                actor=request.user, contest=contest, contestant=contestant, values=values
            )
        own = selectors.judge_scores(actor=request.user, contest=contest)
        return Response(ScoreSerializer(own, many=True).data)

    @extend_schema(operation_id="v1_contests_score_detail")
    @action(
        detail=True,
        methods=["get"],
        url_path=r"scores/(?P<score_pk>[0-9]+)",
        serializer_class=ScoreSerializer,
    )
    def score_detail(self, request, pk=None, score_pk=None):
        """One of your own scores; another judge's is a 404, as missing."""
        contest = self.get_object()
        score = get_object_or_404(
            selectors.judge_scores(actor=request.user, contest=contest), pk=score_pk
        )
        return Response(ScoreSerializer(score).data)

    @extend_schema(responses=ContestResultsSerializer)
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        """The ranking with the full scoring sheet, once the results are published."""
        contest = self.get_object()
        if not selectors.results_visible(actor=request.user, contest=contest):
            raise NotFound(_("The results are not published yet."))
        sheet = selectors.contest_result_sheet(actor=request.user, contest=contest)
        return Response(
            {
                "contest": contest.pk,
                "published_at": contest.published_at,
                "trim_min_judges": contest.trim_min_judges,
                "indicators": [
                    {"id": i.pk, "name": i.name, "aspect": i.aspect.name, "weight": str(i.weight)}
                    for i in sheet["indicators"]
                ],
                "judges": [judge.pk for judge in sheet["judges"]],
                "results": [
                    {
                        "contestant": row.result.contestant_id,
                        "name": row.result.contestant.name,
                        "total": str(row.result.total),
                        "rank": row.result.rank,
                        "tie": row.result.tie,
                        "indicators": [
                            {
                                "indicator": cell["indicator"].pk,
                                "average": str(cell["average"]),
                                "trimmed": cell["trimmed"],
                                "scores": [
                                    {
                                        "judge": mark["judge"].pk,
                                        "value": None
                                        if mark["value"] is None
                                        else str(mark["value"]),
                                        "dropped": mark["dropped"],
                                    }
                                    for mark in cell["scores"]
                                ],
                            }
                            for cell in row.cells
                        ],
                    }
                    for row in sheet["rows"]
                ],
            }
        )


# --- The 领头雁 programme -------------------------------------------------------------------------


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = LeadGooseMilestone
        fields = ["id", "title", "due_on", "done_on"]
        read_only_fields = ["id", "done_on"]


class MilestoneDoneSerializer(serializers.Serializer):
    done_on = serializers.DateField(allow_null=True)


class EnrolmentSerializer(serializers.ModelSerializer):
    contestant = ScopedPrimaryKeyRelatedField(
        queryset=Contestant.objects.all(), required=False, allow_null=True
    )
    member = ScopedPrimaryKeyRelatedField(
        queryset=PartyMember.objects.all(), required=False, allow_null=True
    )
    name = serializers.SerializerMethodField()
    milestones = MilestoneSerializer(many=True, read_only=True)
    milestone_count = serializers.IntegerField(read_only=True, default=0)
    milestones_done = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = LeadGooseEnrolment
        fields = [
            "id", "track", "contestant", "member", "contest", "name", "mentor", "plan",
            "started_on", "ended_on", "milestone_count", "milestones_done", "milestones",
        ]  # fmt: skip
        read_only_fields = ["id", "contest", "ended_on"]
        validators = []  # the write checks the enrolment as a whole (once per track)

    def get_name(self, enrolment) -> str:
        if enrolment.member_id:
            return enrolment.member.name
        return enrolment.contestant.name if enrolment.contestant_id else ""


class EnrolmentUpdateSerializer(serializers.Serializer):
    mentor = serializers.CharField(max_length=64, required=False, allow_blank=True)
    plan = serializers.CharField(required=False, allow_blank=True)
    ended_on = serializers.DateField(required=False, allow_null=True)


class LeadGooseViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """The 领头雁 programme and the reserve-cadre pool: development plans with a mentor and
    milestones."""

    queryset = LeadGooseEnrolment.objects.all()
    selector = staticmethod(selectors.enrolment_api_list)
    serializer_class = EnrolmentSerializer
    filterset_fields = ["track", "contest"]
    ordering_fields = ["started_on"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    # The writes' gates decide who may plan and tick milestones (403), after the enrolment is
    # found in the view scope (404 otherwise).
    extra_action_perms = {"milestones": "view", "milestone_detail": "view"}

    def _respond(self, enrolment, code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=enrolment.pk)
        return Response(EnrolmentSerializer(fresh, context=self.get_serializer_context()).data,
                        status=code)  # fmt: skip

    def perform_create(self, serializer):
        enrolment = writes.lead_goose_enrol(actor=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=enrolment.pk)

    @extend_schema(request=EnrolmentUpdateSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Change the mentor, the plan or the end date."""
        enrolment = self.get_object()
        access_lead_goose_change(request.user, enrolment)
        data = EnrolmentUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        writes.lead_goose_update(actor=request.user, enrolment=enrolment, **data.validated_data)
        return self._respond(enrolment)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(request=MilestoneSerializer)
    @action(detail=True, methods=["post"], serializer_class=EnrolmentSerializer)
    def milestones(self, request, pk=None):
        """Add a milestone {"title", "due_on"} to the development plan (201, the enrolment)."""
        enrolment = self.get_object()
        access_lead_goose_change(request.user, enrolment)
        data = MilestoneSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        writes.lead_goose_milestone_add(
            actor=request.user, enrolment=enrolment, **data.validated_data
        )
        return self._respond(enrolment, status.HTTP_201_CREATED)

    @extend_schema(operation_id="v1_lead_geese_milestone_done", request=MilestoneDoneSerializer)
    @action(
        detail=True,
        methods=["patch"],
        url_path=r"milestones/(?P<milestone_pk>[0-9]+)",
        serializer_class=EnrolmentSerializer,
    )
    def milestone_detail(self, request, pk=None, milestone_pk=None):
        """Mark a milestone done on a date {"done_on"} (null: not done after all)."""
        enrolment = self.get_object()
        milestone = get_object_or_404(
            selectors.enrolment_milestones(actor=request.user, enrolment=enrolment),
            pk=milestone_pk,
        )
        access_lead_goose_change(request.user, enrolment)
        data = MilestoneDoneSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        writes.lead_goose_milestone_done(
            actor=request.user, milestone=milestone, done_on=data.validated_data["done_on"]
        )
        return self._respond(enrolment)


def register(router) -> None:
    router.register("contests", ContestViewSet, basename="contest")
    router.register("lead-geese", LeadGooseViewSet, basename="lead-goose")
