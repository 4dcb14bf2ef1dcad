"""Reads of bundled aid (包裹式专项资助): lists, double funding, and the money per funder and bundle.

Double funding is one aid item paid twice for one household over the same days. It happens in
two ways, and both are found set-wise, in SQL, never case by case:

(a) the case's own bundle has two lines (or more) for one item — from two funders, or twice
    from the same one;
(b) two cases of one household, open or closed, overlap in time, and both bundles have a line
    for the same item (two cases of the same bundle included).

Open and closed cases count: a closed case pays no more, but it funded its period; only a
cancelled one never paid. The list
annotation `double_funded` (two EXISTS subqueries) flags a page of cases in the page's own
query; `aid_double_funding` names the conflicts themselves in three queries however many there
are. Opening a case that double-funds is not refused (a cadre may know better), it is flagged.

Every reader starts from `visible_to(actor)`. A household's cases are all in or all out of an
actor's scope, so the other case of a conflict is always one the actor may see.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from portal.hooks import FileSection
from services.aid.models import AidBundle, AidBundleLine, AidCase, AidItem, Disbursement, Funder

Status = AidCase.Status
# Cases that commit money: a cancelled case commits nothing (and has no disbursements).
COMMITTING = (Status.OPEN, Status.CLOSED)
ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)


# --- The double-funding flag, as SQL ----------------------------------------------------------


def bundle_repeats_an_item():
    """EXISTS: the outer case's bundle has two lines for one item (way (a))."""
    repeated = AidBundleLine.objects.filter(
        bundle=OuterRef("bundle"), item=OuterRef("item")
    ).exclude(pk=OuterRef("pk"))
    return Exists(AidBundleLine.objects.filter(bundle=OuterRef("bundle")).filter(Exists(repeated)))


def overlapping_case_shares_an_item():
    """EXISTS: another open or closed case of the outer case's household overlaps it in time,
    and its bundle has a line for an item the outer case's bundle also has (way (b)). A closed
    case still funded its period; only a cancelled one funded nothing."""
    items_of_outer_bundle = AidBundleLine.objects.filter(
        bundle=OuterRef(OuterRef("bundle"))
    ).values("item")
    return Exists(
        AidCase.objects.filter(
            household=OuterRef("household"),
            status__in=COMMITTING,
            period_start__lte=OuterRef("period_end"),
            period_end__gte=OuterRef("period_start"),
            bundle__lines__item__in=items_of_outer_bundle,
        ).exclude(pk=OuterRef("pk"))
    )


def double_funded_expression():
    """A boolean column for AidCase querysets: this (open or closed) case funds an item twice."""
    return ExpressionWrapper(
        Q(status__in=COMMITTING) & (bundle_repeats_an_item() | overlapping_case_shares_an_item()),
        output_field=BooleanField(),
    )


def _total(rows, *, per: str, field: str = "amount", output=MONEY):
    """A correlated subquery: the sum of `field` over `rows` (already tied to the outer row
    with OuterRef), grouped by `per`; zero when there are none. `Count` when field is None."""
    aggregate = Count("pk") if field is None else Sum(field)
    total = rows.order_by().values(per).annotate(total=aggregate).values("total")
    zero = Value(0) if field is None else Value(ZERO)
    return Coalesce(Subquery(total, output_field=output), zero, output_field=output)


def _bundle_amount():
    """The sum of the lines of the outer case's bundle: what one case of it commits."""
    return _total(AidBundleLine.objects.filter(bundle=OuterRef("bundle")), per="bundle")


def _case_disbursed():
    return _total(Disbursement.objects.filter(case=OuterRef("pk")), per="case")


# --- Lists ------------------------------------------------------------------------------------


def funder_list(*, actor):
    """Funders the actor may see, with their partner organisation."""
    return Funder.objects.visible_to(actor).select_related("partner")


def funder_choices(*, actor):
    """Funders a bundle line may name."""
    return Funder.objects.visible_to(actor)


def aid_bundle_choices(*, actor):
    """Bundles a case may be opened on (or a list filtered by), newest period first."""
    return AidBundle.objects.visible_to(actor).order_by("-period_start", "name")


def aid_bundle_line_choices(*, actor, bundle):
    """The lines of `bundle` a payment may be recorded on, with their funders."""
    return AidBundleLine.objects.visible_to(actor).filter(bundle=bundle).select_related("funder")


def aid_bundle_list(*, actor):
    """Bundles with their lines (and funders) prefetched and how many of the actor's cases use
    each (a community counts its own, not the street's): 2 queries."""
    cases = (
        AidCase.objects.visible_to(actor)
        .filter(bundle=OuterRef("pk"))
        .exclude(status=Status.CANCELLED)
    )
    return (
        AidBundle.objects.visible_to(actor)
        .annotate(case_count=_total(cases, per="bundle", field=None, output=IntegerField()))
        .prefetch_related(
            Prefetch(
                "lines", queryset=AidBundleLine.objects.select_related("funder").order_by("pk")
            )
        )
    )


def aid_case_list(*, actor):
    """Cases in the actor's scope with `double_funded`, `amount` (what the bundle commits)
    and `disbursed`, all in the list's one query."""
    return (
        AidCase.objects.visible_to(actor)
        .select_related("household__grid", "bundle", "beneficiary")
        .annotate(
            double_funded=double_funded_expression(),
            amount=_bundle_amount(),
            disbursed=_case_disbursed(),
        )
    )


# The bundle's lines (with funders) and the case's payments, for `case_line_rows`: 2 queries.
CASE_LINE_PREFETCH = (
    Prefetch(
        "bundle__lines",
        queryset=AidBundleLine.objects.select_related("funder").order_by("pk"),
    ),
    Prefetch(
        "disbursements",
        queryset=Disbursement.objects.select_related("line__funder", "recorded_by"),
    ),
)


def aid_case_api_list(*, actor):
    """Cases in the actor's scope as the API shows them: the list's columns, and each case's
    bundle lines and payments prefetched (two queries for the whole page)."""
    return aid_case_list(actor=actor).prefetch_related(*CASE_LINE_PREFETCH)


def aid_case_detail(*, actor, pk: int) -> AidCase:
    """One case with its bundle's lines, the funders and the disbursements (3 queries)."""
    return (
        aid_case_list(actor=actor)
        .select_related("created_by", "referral")
        .prefetch_related(*CASE_LINE_PREFETCH)
        .get(pk=pk)
    )


def bundle_repeated_items(bundle: AidBundle) -> list[str]:
    """Items that appear on more than one line of a bundle (its lines prefetched)."""
    seen = defaultdict(int)
    for line in bundle.lines.all():
        seen[line.item] += 1
    return sorted(item for item, n in seen.items() if n > 1)


def case_line_rows(case: AidCase) -> list[dict]:
    """Each line of the case's bundle with what has been paid on it for this case
    (bundle lines and disbursements prefetched: no query)."""
    paid = defaultdict(lambda: ZERO)
    for disbursement in case.disbursements.all():
        paid[disbursement.line_id] += disbursement.amount
    return [
        {
            "line": line,
            "paid": paid[line.pk],
            "remaining": line.amount - paid[line.pk],
        }
        for line in case.bundle.lines.all()
    ]


def case_funder_rows(case: AidCase) -> list[dict]:
    """Committed, paid and outstanding per funder for one case (prefetched: no query)."""
    rows: dict[int, dict] = {}
    for row in case_line_rows(case):
        funder = row["line"].funder
        entry = rows.setdefault(
            funder.pk, {"funder": funder, "committed": ZERO, "paid": ZERO, "outstanding": ZERO}
        )
        entry["committed"] += row["line"].amount
        entry["paid"] += row["paid"]
        entry["outstanding"] += row["remaining"]
    return sorted(rows.values(), key=lambda r: r["funder"].name)


# --- The conflicts themselves -----------------------------------------------------------------


@dataclass(frozen=True)
class DoubleFunding:
    """One item funded twice for one household in overlapping periods.

    `lines` are the case's own lines for the item; `other_case` and `other_lines` name the
    other open or closed case of the household for way (b), and are empty for way (a) (two
    lines of the case's own bundle). `period_start`/`period_end` are the days funded twice.
    """

    case: AidCase
    item: str
    lines: tuple[AidBundleLine, ...]
    period_start: date
    period_end: date
    other_case: AidCase | None = None
    other_lines: tuple[AidBundleLine, ...] = ()

    @property
    def kind(self) -> str:
        return "same_bundle" if self.other_case is None else "overlapping_case"

    @property
    def item_label(self) -> str:
        return str(AidItem(self.item).label)

    @property
    def funders(self) -> list[Funder]:
        """Every funder paying for the item, once each, by name."""
        unique = {line.funder_id: line.funder for line in (*self.lines, *self.other_lines)}
        return sorted(unique.values(), key=lambda funder: funder.name)

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "case": self.case.pk,
            "item": self.item,
            "item_label": self.item_label,
            "lines": [line.pk for line in self.lines],
            "other_case": self.other_case.pk if self.other_case else None,
            "other_lines": [line.pk for line in self.other_lines],
            "funders": [{"id": f.pk, "name": f.name} for f in self.funders],
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
        }


def aid_double_funding(
    *, actor, household=None, cases: Iterable | None = None
) -> list[DoubleFunding]:
    """Every double funding among the cases the actor may see, of one household or of the
    given cases (objects or ids) if asked. Three queries, whatever the number of conflicts.

    A conflict between two cases is reported from both sides (once for each case), so each
    case's own list is complete.
    """
    return double_funding_among(AidCase.objects.visible_to(actor), household=household, cases=cases)


def double_funding_among(
    visible, *, household=None, cases: Iterable | None = None
) -> list[DoubleFunding]:
    """`aid_double_funding` on an already scoped queryset of cases (the writes use it unscoped,
    to flag a case just opened against every case of the household)."""
    flagged = visible.annotate(double_funded=double_funded_expression()).filter(double_funded=True)
    if household is not None:
        flagged = flagged.filter(household=household)
    if cases is not None:
        flagged = flagged.filter(pk__in=[getattr(case, "pk", case) for case in cases])
    flagged_ids = set(flagged.values_list("pk", flat=True))
    if not flagged_ids:
        return []
    # Every committing case of the flagged households: the flagged ones and whoever they clash
    # with.
    candidates = list(
        visible.filter(
            status__in=COMMITTING,
            household__in=visible.filter(pk__in=flagged_ids).values("household"),
        )
        .select_related("household", "bundle")
        .prefetch_related(
            Prefetch(
                "bundle__lines",
                queryset=AidBundleLine.objects.select_related("funder").order_by("pk"),
            )
        )
        .order_by("pk")
    )
    by_household: dict[int, list[AidCase]] = defaultdict(list)
    lines_by_item: dict[int, dict[str, list[AidBundleLine]]] = {}
    for case in candidates:
        by_household[case.household_id].append(case)
        items: dict[str, list[AidBundleLine]] = defaultdict(list)
        for line in case.bundle.lines.all():
            items[line.item].append(line)
        lines_by_item[case.pk] = items

    found: list[DoubleFunding] = []
    for case in candidates:
        if case.pk not in flagged_ids:
            continue
        own = lines_by_item[case.pk]
        for item in sorted(own):
            if len(own[item]) > 1:
                found.append(
                    DoubleFunding(
                        case=case,
                        item=item,
                        lines=tuple(own[item]),
                        period_start=case.period_start,
                        period_end=case.period_end,
                    )
                )
        for other in by_household[case.household_id]:
            if other.pk == case.pk:
                continue
            start = max(case.period_start, other.period_start)
            end = min(case.period_end, other.period_end)
            if start > end:
                continue
            theirs = lines_by_item[other.pk]
            for item in sorted(set(own) & set(theirs)):
                found.append(
                    DoubleFunding(
                        case=case,
                        item=item,
                        lines=tuple(own[item]),
                        period_start=start,
                        period_end=end,
                        other_case=other,
                        other_lines=tuple(theirs[item]),
                    )
                )
    return found


# --- Money per funder and per bundle ----------------------------------------------------------


@dataclass(frozen=True)
class FunderTotal:
    funder: Funder
    committed: Decimal
    disbursed: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.committed - self.disbursed


@dataclass(frozen=True)
class BundleTotal:
    bundle: AidBundle
    cases: int
    committed: Decimal
    disbursed: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.committed - self.disbursed


@dataclass(frozen=True)
class AidTotals:
    """Money per funder and per bundle; both add up to the same grand totals."""

    funders: list[FunderTotal]
    bundles: list[BundleTotal]
    period_start: date | None = None
    period_end: date | None = None

    @property
    def committed(self) -> Decimal:
        return sum((row.committed for row in self.funders), ZERO)

    @property
    def disbursed(self) -> Decimal:
        return sum((row.disbursed for row in self.funders), ZERO)

    @property
    def outstanding(self) -> Decimal:
        return self.committed - self.disbursed

    @property
    def cases(self) -> int:
        return sum(row.cases for row in self.bundles)


def aid_totals(*, actor, period: tuple[date | None, date | None] | None = None) -> AidTotals:
    """What each funder has committed, paid and still owes, and the same per bundle (2 queries).

    Counted: the open and closed cases the actor may see (a cancelled case commits nothing);
    with `period=(start, end)`, only cases whose period overlaps it (either end may be None).
    Each counted case commits every line of its bundle; the money paid is what was paid on
    those cases, whenever it was paid, so that outstanding = committed − disbursed.
    """
    start, end = period or (None, None)
    counted = AidCase.objects.visible_to(actor).filter(status__in=COMMITTING)
    if start is not None:
        counted = counted.filter(period_end__gte=start)
    if end is not None:
        counted = counted.filter(period_start__lte=end)
    counted_ids = counted.values("pk")

    # One row per (line, counted case of its bundle): the join itself multiplies the amounts.
    funders = (
        Funder.objects.visible_to(actor)
        .annotate(
            committed=_total(
                AidBundleLine.objects.filter(funder=OuterRef("pk"), bundle__cases__in=counted_ids),
                per="funder",
            ),
            disbursed=_total(
                Disbursement.objects.filter(line__funder=OuterRef("pk"), case__in=counted_ids),
                per="line__funder",
            ),
        )
        .filter(Q(committed__gt=0) | Q(disbursed__gt=0))
        .order_by("name")
    )
    bundles = (
        AidBundle.objects.visible_to(actor)
        .annotate(
            counted_cases=_total(
                AidCase.objects.filter(bundle=OuterRef("pk"), pk__in=counted_ids),
                per="bundle",
                field=None,
                output=IntegerField(),
            ),
            line_total=_total(AidBundleLine.objects.filter(bundle=OuterRef("pk")), per="bundle"),
            disbursed=_total(
                Disbursement.objects.filter(case__bundle=OuterRef("pk"), case__in=counted_ids),
                per="case__bundle",
            ),
        )
        .annotate(
            committed=ExpressionWrapper(F("line_total") * F("counted_cases"), output_field=MONEY)
        )
        .filter(counted_cases__gt=0)
        .order_by("-period_start", "name")
    )
    return AidTotals(
        funders=[
            FunderTotal(funder=f, committed=f.committed, disbursed=f.disbursed) for f in funders
        ],
        bundles=[
            BundleTotal(
                bundle=b, cases=b.counted_cases, committed=b.committed, disbursed=b.disbursed
            )
            for b in bundles
        ],
        period_start=start,
        period_end=end,
    )


# --- The resident's and the household's file (portal.hooks.file_sections_register) ----------


def _aid_file_section(*, actor, cases, limit: int):
    rows = list(cases.order_by("-period_start", "-id")[: limit + 1])
    return FileSection(
        key="aid",
        title=_("Aid"),
        template="grids/_file_aid.html",
        rows=rows[:limit],
        more=len(rows) > limit,
        order=60,
    )


def aid_resident_file_section(*, actor, obj, limit: int):
    """Aid cases of the resident (as beneficiary, or of their household for no one member),
    with what each commits and what was paid; absent for a reader who sees no aid. One query."""
    if not actor.has_perm("services.view_aidcase"):
        return None
    person = Q(beneficiary=obj)
    if obj.household_id:
        person |= Q(beneficiary__isnull=True, household_id=obj.household_id)
    return _aid_file_section(
        actor=actor, cases=aid_case_list(actor=actor).filter(person), limit=limit
    )


def aid_household_file_section(*, actor, obj, limit: int):
    """The household's aid cases, with what each commits and what was paid. One query."""
    if not actor.has_perm("services.view_aidcase"):
        return None
    return _aid_file_section(
        actor=actor, cases=aid_case_list(actor=actor).filter(household=obj), limit=limit
    )
