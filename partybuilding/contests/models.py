"""Contests (擂台赛) that find the best community secretaries, and the 领头雁 programme they
enter: aspects × weighted indicators, judges' scores, results, enrolments and milestones.

The scoring itself (trim the highest and lowest when enough judges scored, weigh, rank with
ties) is the contest's write service; these models hold its inputs and its frozen output.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partybuilding.contests.querysets import (
    ContestantQuerySet,
    ContestAspectQuerySet,
    ContestIndicatorQuerySet,
    ContestJudgeQuerySet,
    ContestQuerySet,
    ContestResultQuerySet,
    LeadGooseEnrolmentQuerySet,
    LeadGooseMilestoneQuerySet,
    ScoreQuerySet,
)
from partybuilding.organisations.models import PartyMember, PartyOrg
from portal.models import SyncedModel

# Trimming the highest and the lowest score needs at least three judges to leave one.
TRIM_MIN_JUDGES_FLOOR = 3


class Contest(SyncedModel):
    """擂台赛 — an open contest scored by judges on weighted indicators; closing freezes it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for scoring")
        CLOSED = "closed", _("Closed")

    title = models.CharField(_("title"), max_length=100)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    trim_min_judges = models.PositiveSmallIntegerField(
        _("judges needed to drop the highest and lowest"),
        default=5,
        validators=[MinValueValidator(TRIM_MIN_JUDGES_FLOOR)],
    )
    leaders_count = models.PositiveSmallIntegerField(
        _("places in the lead goose programme"), default=3, validators=[MinValueValidator(1)]
    )
    held_on = models.DateField(_("held on"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    published_at = models.DateTimeField(_("results published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = ContestQuerySet.as_manager()

    class Meta:
        verbose_name = _("contest")
        verbose_name_plural = _("contests")
        ordering = ["-held_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(trim_min_judges__gte=TRIM_MIN_JUDGES_FLOOR),
                name="contest_trim_min_judges",
            ),
            models.CheckConstraint(condition=Q(leaders_count__gte=1), name="contest_leaders_count"),
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False)
                | Q(~Q(status="closed"), closed_at__isnull=True),
                name="contest_closed_at_when_closed",
            ),
            models.CheckConstraint(
                condition=Q(published_at__isnull=True)
                | Q(status="closed", published_at__gte=F("closed_at")),
                name="contest_published_after_closing",
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        errors = {}
        if self.status == self.Status.CLOSED and not self.closed_at:
            errors["closed_at"] = _("A closed contest records when it closed.")
        if self.status != self.Status.CLOSED and self.closed_at:
            errors["closed_at"] = _("Only a closed contest has a closing time.")
        if self.published_at and (
            self.status != self.Status.CLOSED
            or (self.closed_at and self.published_at < self.closed_at)
        ):
            errors["published_at"] = _("Results are published after the contest closes.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_frozen(self) -> bool:
        """Closed: no score, contestant, judge or indicator changes any more."""
        return self.status == self.Status.CLOSED


class ContestAspect(models.Model):
    """评分维度 — one aspect of a contest (e.g. 抓党建, 促治理), grouping its indicators."""

    contest = models.ForeignKey(
        Contest, verbose_name=_("contest"), on_delete=models.CASCADE, related_name="aspects"
    )
    name = models.CharField(_("name"), max_length=64)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = ContestAspectQuerySet.as_manager()

    class Meta:
        verbose_name = _("contest aspect")
        verbose_name_plural = _("contest aspects")
        ordering = ["contest", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contest", "name"], name="contest_aspect_name")
        ]

    def __str__(self):
        return self.name


class ContestIndicator(models.Model):
    """评分指标 — one scored indicator: its weight in the total and the highest score it allows."""

    aspect = models.ForeignKey(
        ContestAspect,
        verbose_name=_("aspect"),
        on_delete=models.CASCADE,
        related_name="indicators",
    )
    name = models.CharField(_("name"), max_length=100)
    weight = models.DecimalField(
        _("weight"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    max_score = models.DecimalField(
        _("highest score"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = ContestIndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = _("contest indicator")
        verbose_name_plural = _("contest indicators")
        ordering = ["aspect", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["aspect", "name"], name="contest_indicator_name"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="contest_indicator_weight"),
            models.CheckConstraint(
                condition=Q(max_score__gt=0), name="contest_indicator_max_score"
            ),
        ]

    def __str__(self):
        return self.name


class Contestant(models.Model):
    """参赛者 — one contestant (typically a community secretary), a member or named by hand."""

    contest = models.ForeignKey(
        Contest, verbose_name=_("contest"), on_delete=models.CASCADE, related_name="contestants"
    )
    member = models.ForeignKey(
        PartyMember,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contest_entries",
    )
    name = models.CharField(_("name"), max_length=64)
    org = models.ForeignKey(
        PartyOrg,
        verbose_name=_("Party organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contestants",
    )

    objects = ContestantQuerySet.as_manager()

    class Meta:
        verbose_name = _("contestant")
        verbose_name_plural = _("contestants")
        ordering = ["contest", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contest", "member"],
                condition=Q(member__isnull=False),
                name="contestant_member_once",
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.member_id and not self.name:
            self.name = self.member.name
        if not self.name:
            raise ValidationError({"name": _("Give the contestant's name.")})


class ContestJudge(models.Model):
    """评委 — a person who scores a contest's contestants (and sees only their own scores)."""

    contest = models.ForeignKey(
        Contest, verbose_name=_("contest"), on_delete=models.CASCADE, related_name="judges"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("judge"),
        on_delete=models.PROTECT,
        related_name="contest_judgings",
    )

    objects = ContestJudgeQuerySet.as_manager()

    class Meta:
        verbose_name = _("contest judge")
        verbose_name_plural = _("contest judges")
        ordering = ["contest", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contest", "user"], name="contest_judge_once")
        ]

    def __str__(self):
        return f"{self.contest} · {self.user}"


class Score(models.Model):
    """评分 — one judge's score of one contestant on one indicator, 0 to its highest score."""

    judge = models.ForeignKey(
        ContestJudge, verbose_name=_("judge"), on_delete=models.CASCADE, related_name="scores"
    )
    contestant = models.ForeignKey(
        Contestant, verbose_name=_("contestant"), on_delete=models.CASCADE, related_name="scores"
    )
    indicator = models.ForeignKey(
        ContestIndicator,
        verbose_name=_("indicator"),
        on_delete=models.CASCADE,
        related_name="scores",
    )
    value = models.DecimalField(
        _("score"), max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    updated_at = models.DateTimeField(_("scored at"), default=timezone.now)

    objects = ScoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["contestant", "indicator", "judge"]
        constraints = [
            models.UniqueConstraint(
                fields=["judge", "contestant", "indicator"], name="score_once_per_judge"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="score_not_negative"),
        ]

    def __str__(self):
        return f"{self.contestant} · {self.indicator} · {self.value}"

    def clean(self):
        errors = {}
        if (
            self.indicator_id
            and self.value is not None
            and not 0 <= self.value <= self.indicator.max_score
        ):
            errors["value"] = _("A score is between 0 and %(max)s.") % {
                "max": self.indicator.max_score
            }
        if self.judge_id and self.contestant_id and self.indicator_id:
            contest_id = self.judge.contest_id
            if self.contestant.contest_id != contest_id:
                errors["contestant"] = _("The contestant is in another contest.")
            if self.indicator.aspect.contest_id != contest_id:
                errors["indicator"] = _("The indicator belongs to another contest.")
        if errors:
            raise ValidationError(errors)


class ContestResult(models.Model):
    """比赛结果 — a contestant's weighted total and rank, written once when the contest closes.

    Ties share a rank and the next rank skips (1, 1, 3); `tie` marks every tied contestant.
    """

    contest = models.ForeignKey(
        Contest, verbose_name=_("contest"), on_delete=models.CASCADE, related_name="results"
    )
    contestant = models.OneToOneField(
        Contestant, verbose_name=_("contestant"), on_delete=models.CASCADE, related_name="result"
    )
    total = models.DecimalField(_("weighted total"), max_digits=10, decimal_places=3)
    rank = models.PositiveIntegerField(_("rank"))
    tie = models.BooleanField(_("tied"), default=False)

    objects = ContestResultQuerySet.as_manager()

    class Meta:
        verbose_name = _("contest result")
        verbose_name_plural = _("contest results")
        ordering = ["contest", "rank", "contestant__name"]
        constraints = [
            models.CheckConstraint(condition=Q(rank__gte=1), name="contest_result_rank"),
        ]

    def __str__(self):
        return f"{self.rank}. {self.contestant}"

    def clean(self):
        if self.contestant_id and self.contest_id and self.contestant.contest_id != self.contest_id:
            raise ValidationError({"contestant": _("The contestant is in another contest.")})


class LeadGooseEnrolment(SyncedModel):
    """领头雁 — a contestant or member in the lead-goose programme or the reserve-cadre pool,
    with a mentor, a development plan and milestones."""

    class Track(models.TextChoices):
        LEAD_GOOSE = "lead_goose", _("Lead goose programme")
        RESERVE_CADRE = "reserve_cadre", _("Reserve cadre pool")

    track = models.CharField(_("track"), max_length=16, choices=Track.choices)
    member = models.ForeignKey(
        PartyMember,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lead_goose_enrolments",
    )
    contestant = models.ForeignKey(
        Contestant,
        verbose_name=_("contestant"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enrolments",
    )
    contest = models.ForeignKey(
        Contest,
        verbose_name=_("contest"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enrolments",
    )
    mentor = models.CharField(_("mentor"), max_length=64, blank=True)
    plan = models.TextField(_("development plan"), blank=True)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    objects = LeadGooseEnrolmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("lead goose enrolment")
        verbose_name_plural = _("lead goose enrolments")
        ordering = ["-started_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(member__isnull=False) | Q(contestant__isnull=False),
                name="lead_goose_enrolment_names_someone",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="lead_goose_enrolment_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["contestant", "track"],
                condition=Q(contestant__isnull=False),
                name="lead_goose_contestant_once",
            ),
            models.UniqueConstraint(
                fields=["member", "track"],
                condition=Q(member__isnull=False, ended_on__isnull=True),
                name="lead_goose_member_once_at_a_time",
            ),
        ]

    def __str__(self):
        who = self.member if self.member_id else self.contestant
        return f"{who} · {self.get_track_display()}"

    def clean(self):
        errors = {}
        if not self.member_id and not self.contestant_id:
            errors["member"] = _("Choose the member or the contestant.")
        if self.contestant_id:
            contestant = self.contestant
            if self.contest_id and contestant.contest_id != self.contest_id:
                errors["contestant"] = _("The contestant is in another contest.")
            if not self.contest_id:
                self.contest_id = contestant.contest_id
            if self.member_id and contestant.member_id and contestant.member_id != self.member_id:
                errors["member"] = _("The contestant is another member.")
            if not self.member_id and contestant.member_id:
                self.member_id = contestant.member_id
        if self.started_on and self.ended_on and self.ended_on < self.started_on:
            errors["ended_on"] = _("An enrolment ends after it starts.")
        if errors:
            raise ValidationError(errors)


class LeadGooseMilestone(models.Model):
    """培养节点 — one milestone of an enrolment's development plan, due on a date."""

    enrolment = models.ForeignKey(
        LeadGooseEnrolment,
        verbose_name=_("enrolment"),
        on_delete=models.CASCADE,
        related_name="milestones",
    )
    title = models.CharField(_("title"), max_length=100)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)

    objects = LeadGooseMilestoneQuerySet.as_manager()

    class Meta:
        verbose_name = _("lead goose milestone")
        verbose_name_plural = _("lead goose milestones")
        ordering = ["enrolment", "due_on", "id"]

    def __str__(self):
        return self.title

    def clean(self):
        errors = {}
        if self.enrolment_id and self.due_on and self.due_on < self.enrolment.started_on:
            errors["due_on"] = _("A milestone falls after the enrolment starts.")
        if self.enrolment_id and self.done_on and self.done_on < self.enrolment.started_on:
            errors["done_on"] = _("A milestone is done after the enrolment starts.")
        if errors:
            raise ValidationError(errors)
