"""The monthly statement of one partner (月度结算单): what it delivered, per service item.

Per item: the number of deliveries, the quantity, the subsidy and the number of residents
served; then the totals (residents counted once however many items they had). Every figure
is an aggregate over exactly the Delivery rows of that partner whose `delivered_at` falls in
the month in local time (Asia/Shanghai), so the statement reconciles with the deliveries.

Who sees a statement: street roles and the partner's own staff, with `services.view_delivery`
(the gate `access_partner_statement`, services/deliveries/policy.py). Community and grid staff
see partners but not their statements — theirs would only hold their own residents' share.
Anyone else meets a 404.
"""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from portal.policy import allowed
from services.catalogue.models import Partner, ServiceItem
from services.deliveries.models import Delivery
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
        if found is None or not 1 <= int(found[2]) <= 12 or int(found[1]) < 2000:
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
class Statement:
    partner: Partner
    month: Month
    lines: list[StatementLine]
    total: StatementLine


def partner_statement(*, actor, partner: Partner, month: Month | str) -> Statement:
    """The partner's statement for `month` (two queries, plus one for a partner's staff).

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
    total = StatementLine(
        service_item_id=None,
        service_item=_("Total"),
        unit="",
        deliveries=totals["n"],
        quantity=totals["quantity"] or ZERO,
        subsidy=totals["subsidy"] or ZERO,
        residents=totals["residents"],
    )
    return Statement(partner=partner, month=month, lines=lines, total=total)


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
    """The statement as spreadsheet rows, one per item and the totals row last.

    Numbers stay numbers (quantity and subsidy as Decimal), so Excel can sum them again.
    """
    return [
        (line.service_item, line.unit, line.deliveries, line.quantity, line.subsidy, line.residents)
        for line in [*statement.lines, statement.total]
    ]
