"""Contests (擂台赛) under /api/v1/contests/ (partybuilding/contests/writes.py and its gates
decide every write).

- `GET contests/`, `GET contests/{id}/`: the contests in your scope with their sheet (aspects →
  indicators, contestants, judges); `POST contests/` creates one in draft (organisers).
- `POST contests/{id}/open/`, `close/`, `publish/`: the transitions; a stale one (the contest
  moved on since) answers 409 with {"detail": ...}. Closing stores the results.
- `POST contests/{id}/aspects/`, `indicators/`, `contestants/`, `judges/`: build the sheet
  (organisers; aspects and indicators in draft only, contestants and judges until it closes —
  after that 409); each answers 201 with the whole contest.
- `GET contests/{id}/scores/`: *your own* scores as a judge of this contest (never another
  judge's); `POST contests/{id}/scores/` {"contestant": id, "scores": [{"indicator": id,
  "value": "8.5" | null}]} sets them while the contest is open — after it closed: 409;
  not a judge: 403. `GET contests/{id}/scores/{score_id}/`: one of your scores (another
  judge's: 404).
- `GET contests/{id}/results/`: the ranking and the full scoring sheet, once published (the
  organisers see it from closing); before: 404.
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
    Score,
)
from partybuilding.contests.policy import access_contest_sheet_change
from partybuilding.organisations.models import PartyMember
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


class JudgeInputSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = selectors.judge_candidates()


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


def register(router) -> None:
    router.register("contests", ContestViewSet, basename="contest")
