"""Service plans (服务计划) on referrals: periods, what was planned and delivered, the shortfall.

A plan is a quantity per period (a week or a month) from `plan_start` to `plan_end`, both
days included. Periods are counted from the plan's start: a weekly plan starting on a
Wednesday runs Wednesday to Tuesday; a monthly plan starting on the 15th runs to the 14th of
the next month. The last period stops at the plan's end (it is planned in full all the same).

- **The check** (`plan_check`, called by `delivery_log` on the locked referral): a delivery on
  a referral with a plan must fall within the plan's days, and the period's deliveries with
  this one must not exceed the planned quantity — refused as a field error, not flagged: the
  street pays quantity × the catalogue rate, so a delivery beyond the plan would be paid
  beyond what was agreed. A plan that proves too small is changed by the street.
- **The shortfall** (`plan_progress`): planned = the quantity × the periods that have ended by
  the day (today, or the end of a statement's month); delivered = what was delivered in those
  periods; shortfall = planned − delivered, never below nothing. The period still running is
  shown on its own ("this week: 1 of 2"), not counted as owed.
"""

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0")


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def _period_start(referral, index: int) -> datetime.date:
    if referral.plan_period == "week":
        return referral.plan_start + datetime.timedelta(days=7 * index)
    return _add_months(referral.plan_start, index)


def plan_period_of(referral, day: datetime.date) -> tuple[datetime.date, datetime.date] | None:
    """[first day, last day] of the plan period `day` falls in, or None outside the plan."""
    if not referral.has_plan or not referral.plan_start <= day <= referral.plan_end:
        return None
    if referral.plan_period == "week":
        index = (day - referral.plan_start).days // 7
    else:
        index = (day.year - referral.plan_start.year) * 12 + day.month - referral.plan_start.month
        if _period_start(referral, index) > day:
            index -= 1
    first = _period_start(referral, index)
    last = min(_period_start(referral, index + 1) - datetime.timedelta(days=1), referral.plan_end)
    return first, last


def _local_start(day: datetime.date) -> datetime.datetime:
    tz = timezone.get_current_timezone()
    return datetime.datetime(day.year, day.month, day.day, tzinfo=tz)


def _delivered_between(referral, first: datetime.date, last: datetime.date) -> Decimal:
    from services.deliveries.models import Delivery

    total = Delivery.objects.filter(
        referral_id=referral.pk,
        delivered_at__gte=_local_start(first),
        delivered_at__lt=_local_start(last + datetime.timedelta(days=1)),
    ).aggregate(total=Sum("quantity"))["total"]
    return total or ZERO


def plan_check(referral, *, delivered_at: datetime.datetime, quantity: Decimal) -> dict:
    """Field errors for a delivery of `quantity` at `delivered_at` on `referral` (none without
    a plan). Called on the locked referral row, so two deliveries at once are counted in turn."""
    if not referral.has_plan or delivered_at is None or quantity is None:
        return {}
    day = timezone.localdate(delivered_at)
    period = plan_period_of(referral, day)
    if period is None:
        return {
            "delivered_at": [
                _("Outside the service plan (%(start)s to %(end)s).")
                % {"start": referral.plan_start, "end": referral.plan_end}
            ]
        }
    already = _delivered_between(referral, *period)
    if already + quantity > referral.plan_quantity:
        return {
            "quantity": [
                _(
                    "Beyond the service plan: %(planned)s planned for %(first)s to %(last)s, "
                    "%(already)s already delivered."
                )
                % {
                    "planned": referral.plan_quantity.normalize(),
                    "first": period[0],
                    "last": period[1],
                    "already": already.normalize(),
                }
            ]
        }
    return {}


@dataclass(frozen=True)
class PlanProgress:
    """A plan measured on a day: what the ended periods planned and got, and the running one."""

    periods_ended: int
    planned: Decimal
    delivered: Decimal
    current: tuple[datetime.date, datetime.date] | None
    current_delivered: Decimal

    @property
    def shortfall(self) -> Decimal:
        return max(self.planned - self.delivered, ZERO)


def plan_progress(
    referral, on: datetime.date | None = None, deliveries=None
) -> PlanProgress | None:
    """The plan of `referral` measured on `on` (today by default); None without a plan.

    `deliveries`: (local date, quantity) pairs of the referral's deliveries, when the caller
    has read them already (the statement reads all its referrals' in one query)."""
    if not referral.has_plan:
        return None
    on = on or timezone.localdate()
    if deliveries is None:
        from services.deliveries.models import Delivery

        rows = Delivery.objects.filter(referral_id=referral.pk).values_list(
            "delivered_at", "quantity"
        )
        deliveries = [(timezone.localdate(at), qty) for at, qty in rows]
    ended, index = 0, 0
    ended_until = None  # the last day of the last period that has ended by `on`
    while True:
        first = _period_start(referral, index)
        if first > referral.plan_end or first > on:
            break
        last = min(
            _period_start(referral, index + 1) - datetime.timedelta(days=1), referral.plan_end
        )
        if last < on:
            ended += 1
            ended_until = last
        index += 1
    current = plan_period_of(referral, on)
    delivered = sum(
        (
            qty
            for day, qty in deliveries
            if ended_until and referral.plan_start <= day <= ended_until
        ),
        ZERO,
    )
    current_delivered = sum(
        (qty for day, qty in deliveries if current and current[0] <= day <= current[1]), ZERO
    )
    return PlanProgress(
        periods_ended=ended,
        planned=referral.plan_quantity * ended,
        delivered=delivered,
        current=current,
        current_delivered=current_delivered,
    )
