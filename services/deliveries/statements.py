"""The monthly statement of one partner (月度结算单): what it delivered, per service item.

Per item: the number of deliveries, the quantity, the subsidy and the number of residents
served; then the totals (residents counted once however many items they had). Every figure
is an aggregate over exactly the Delivery rows of that partner whose `delivered_at` falls in
the month in local time (Asia/Shanghai), so the statement reconciles with the deliveries.

A closed month (`ClosedStatement`, closed by the street) says so, with who closed it and when.
Corrections of what the street pays are `StatementAdjustment` rows recorded in an open month:
each is its own line (the delivery it corrects, its date, the reason, the amount) and the
total's subsidy includes them.

Who sees a statement: street roles and the partner's own staff, with `services.view_delivery`
(the gate `access_partner_statement`, services/deliveries/policy.py). Community and grid staff
see partners but not their statements — theirs would only hold their own residents' share.
Anyone else meets a 404.
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from portal.params import YEAR_MAX, YEAR_MIN
from portal.policy import allowed
from services.catalogue.models import Partner, ServiceItem
from services.deliveries.models import ClosedStatement, Delivery, StatementAdjustment
from services.deliveries.policy import access_partner_statement

MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
ZERO = Decimal("0.00")


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month; `str()` is YYYY-MM."""

    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @classmethod
    def parse(cls, value: str) -> "Month":
        """`YYYY-MM` → Month; ValidationError on `month` for anything else."""
        found = MONTH_RE.match((value or "").strip())
        # Years as portal.params bounds them: 9999-12 has no following month (a 500 before).
        if (
            found is None
            or not 1 <= int(found[2]) <= 12
            or not YEAR_MIN <= int(found[1]) <= YEAR_MAX
        ):
            raise ValidationError(
                {"month": gettext_lazy("Give the month as YYYY-MM, e.g. 2025-03.")},
                code="month",
            )
        return cls(int(found[1]), int(found[2]))

    @classmethod
    def current(cls) -> "Month":
        today = timezone.localdate()
        return cls(today.year, today.month)

    def next(self) -> "Month":
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> "Month":
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """[first moment, first moment of the next month) in the local time zone."""
        tz = timezone.get_current_timezone()
        following = self.next()
        return (
            datetime.datetime(self.year, self.month, 1, tzinfo=tz),
            datetime.datetime(following.year, following.month, 1, tzinfo=tz),
        )


def deliveries_in_month(queryset, month: Month):
    start, end = month.bounds()
    return queryset.filter(delivered_at__gte=start, delivered_at__lt=end)


@dataclass(frozen=True)
class StatementLine:
    service_item_id: int | None
    service_item: str
    unit: str
    deliveries: int
    quantity: Decimal
    subsidy: Decimal
    residents: int


@dataclass(frozen=True)
class AdjustmentLine:
    delivery_id: int
    delivered_on: datetime.date
    service_item: str
    reason: str
    amount: Decimal


@dataclass(frozen=True)
class PlanLine:
    """One referral with a service plan running in the month: planned and delivered over the
    plan periods ended by the month's end (or today), and the shortfall."""

    referral_id: int
    resident: str
    service_item: str
    planned: Decimal
    delivered: Decimal
    shortfall: Decimal


@dataclass(frozen=True)
class Statement:
    partner: Partner
    month: Month
    lines: list[StatementLine]
    total: StatementLine
    adjustments: list[AdjustmentLine] = field(default_factory=list)
    closure: ClosedStatement | None = None
    plans: list[PlanLine] = field(default_factory=list)

    @property
    def closed(self) -> bool:
        return self.closure is not None

    @property
    def adjusted(self) -> Decimal:
        """The adjustments' sum (already in the total's subsidy)."""
        return sum((a.amount for a in self.adjustments), ZERO)


def partner_statement(*, actor, partner: Partner, month: Month | str) -> Statement:
    """The partner's statement for `month` (four queries, plus one for a partner's staff).

    ObjectDoesNotExist when the actor may not see the partner or its deliveries — callers
    answer it as a 404, like a partner that does not exist.
    """
    if isinstance(month, str):
        month = Month.parse(month)
    if not allowed(access_partner_statement, actor, partner):
        raise ObjectDoesNotExist("not this partner's statement to see")
    deliveries = deliveries_in_month(
        Delivery.objects.visible_to(actor).filter(partner=partner), month
    ).order_by()
    rows = (
        deliveries.values("service_item", "service_item__name", "service_item__unit")
        .annotate(
            n=Count("pk"),
            quantity=Sum("quantity"),
            subsidy=Sum("subsidy"),
            residents=Count("resident", distinct=True),
        )
        .order_by("service_item__name", "service_item")
    )
    units = dict(ServiceItem.Unit.choices)
    lines = [
        StatementLine(
            service_item_id=row["service_item"],
            service_item=row["service_item__name"],
            unit=str(units.get(row["service_item__unit"], row["service_item__unit"])),
            deliveries=row["n"],
            quantity=row["quantity"] or ZERO,
            subsidy=row["subsidy"] or ZERO,
            residents=row["residents"],
        )
        for row in rows
    ]
    totals = deliveries.aggregate(
        n=Count("pk"),
        quantity=Sum("quantity"),
        subsidy=Sum("subsidy"),
        residents=Count("resident", distinct=True),
    )
    first = datetime.date(month.year, month.month, 1)
    adjustments = [
        AdjustmentLine(
            delivery_id=a.delivery_id,
            delivered_on=timezone.localdate(a.delivery.delivered_at),
            service_item=a.delivery.service_item.name,
            reason=a.reason,
            amount=a.amount,
        )
        for a in StatementAdjustment.objects.filter(partner=partner, month=first)
        .select_related("delivery__service_item")
        .order_by("created_at", "pk")
    ]
    total = StatementLine(
        service_item_id=None,
        service_item=_("Total"),
        unit="",
        deliveries=totals["n"],
        quantity=totals["quantity"] or ZERO,
        subsidy=(totals["subsidy"] or ZERO) + sum((a.amount for a in adjustments), ZERO),
        residents=totals["residents"],
    )
    closure = (
        ClosedStatement.objects.filter(partner=partner, month=first)
        .select_related("closed_by")
        .first()
    )
    return Statement(
        partner=partner,
        month=month,
        lines=lines,
        total=total,
        adjustments=adjustments,
        closure=closure,
        plans=_plan_lines(actor, partner, first),
    )


def _plan_lines(actor, partner: Partner, first: datetime.date) -> list[PlanLine]:
    """The partner's referrals whose service plan runs in the month starting `first`, measured
    on the month's last day (today while the month runs) — two queries."""
    from services.referrals.models import Referral
    from services.referrals.plans import plan_progress

    last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    on = min(last, timezone.localdate())
    referrals = list(
        Referral.objects.visible_to(actor)
        .filter(
            partner=partner,
            plan_quantity__isnull=False,
            plan_start__lte=last,
            plan_end__gte=first,
        )
        .select_related("resident", "service_item")
        .order_by("resident__name", "pk")
    )
    if not referrals:
        return []
    by_referral: dict[int, list] = {}
    for referral_id, at, quantity in Delivery.objects.filter(
        referral__in=[r.pk for r in referrals]
    ).values_list("referral_id", "delivered_at", "quantity"):
        by_referral.setdefault(referral_id, []).append((timezone.localdate(at), quantity))
    lines = []
    for referral in referrals:
        progress = plan_progress(referral, on, deliveries=by_referral.get(referral.pk, []))
        lines.append(
            PlanLine(
                referral_id=referral.pk,
                resident=referral.resident.name,
                service_item=referral.service_item.name,
                planned=progress.planned,
                delivered=progress.delivered,
                shortfall=progress.shortfall,
            )
        )
    return lines


def statement_headers() -> list[str]:
    return [
        _("Service"),
        pgettext("unit of measure", "Unit"),
        _("Deliveries"),
        _("Quantity"),
        _("Subsidy (yuan)"),
        _("Residents served"),
    ]


def statement_rows(statement: Statement) -> list[tuple]:
    """The statement as spreadsheet rows, one per item, one per adjustment, the totals row
    last.

    Numbers stay numbers (quantity and subsidy as Decimal), so Excel can sum them again.
    """
    rows = [
        (line.service_item, line.unit, line.deliveries, line.quantity, line.subsidy, line.residents)
        for line in statement.lines
    ]
    rows += [(adjustment_label(a), "", "", "", a.amount, "") for a in statement.adjustments]
    total = statement.total
    rows.append(
        (
            total.service_item,
            total.unit,
            total.deliveries,
            total.quantity,
            total.subsidy,
            total.residents,
        )
    )
    return rows


def adjustment_label(adjustment: AdjustmentLine) -> str:
    """How an adjustment reads on a statement line: what it corrects and why."""
    return _("Adjustment of delivery #%(id)d (%(item)s, %(date)s): %(reason)s") % {
        "id": adjustment.delivery_id,
        "item": adjustment.service_item,
        "date": adjustment.delivered_on.isoformat(),
        "reason": adjustment.reason,
    }
