"""Demo services, all written through the real write services as the people who would do it:
partner organisations (with `partner` and `partner2` bound to one each), the service catalogue
of DOMAIN.md, referrals in every stage for both demo partners, the deliveries on them, a
canteen's month of lunches imported from a CSV, family-doctor contracts (some ending within the
reminder window), bundled aid with one double-funded household, and themed activities.

Each part is written once: a second demo load adds nothing. Needs the accounts and the registry
(`ctx["users"]`, `ctx["grids"]`).
"""

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from grids.models import ResidentTag
from grids.selectors import resident_list
from portal.validators import uscc_make
from services.activities.writes import activity_record
from services.aid.writes import aid_bundle_create, aid_case_open, disbursement_record, funder_create
from services.catalogue.eligibility import resident_is_eligible
from services.catalogue.writes import (
    partner_create,
    partner_staff_bind,
    partner_update,
    service_item_create,
)
from services.contracts.writes import family_doctor_contract_renew, family_doctor_contract_sign
from services.deliveries.meal_import import meal_import_commit, meal_import_create
from services.deliveries.writes import delivery_log
from services.models import (
    Activity,
    AidBundle,
    Delivery,
    FamilyDoctorContract,
    Funder,
    MealImport,
    MealLog,
    Partner,
    Referral,
    ReferralEvent,
    ServiceItem,
)
from services.referrals.models import (
    OPEN_STATES,
    TRANSITIONS,
    CancelReason,
    DeclineReason,
    resident_age,
)
from services.referrals.writes import (
    TRANSITION_FUNCTIONS,
    referral_create,
    referral_plan_set,
    referral_record_consent,
)

DEMO_PARTNERS = [
    # (name, kind, registration-authority code + division code + organisation code body)
    ("瑞安市南滨社区卫生服务中心", Partner.Kind.CLINIC, "12330381MB0000101"),
    ("瑞安市安康家政服务有限公司", Partner.Kind.HOUSEKEEPING, "91330381MA0000202"),
    ("瑞安市心桥心理咨询服务中心", Partner.Kind.COUNSELLING, "52330381MJ0000303"),
    ("瑞安市慈善总会", Partner.Kind.FOUNDATION, "53330381MJ0000404"),
]

G, C, U = ServiceItem.Group, ServiceItem.Category, ServiceItem.Unit
DEMO_CATALOGUE = [
    # (name, group, category, unit, eligibility rule, subsidy per unit, indexes in DEMO_PARTNERS)
    ("家庭医生签约", G.ELDERLY, C.FAMILY_DOCTOR, U.VISIT, "elderly_60 or disabled", 0, [0]),
    (
        "老年助餐", G.ELDERLY, C.MEAL, U.MEAL,
        "elderly_80 or living_alone or dibao or tekun", 5, [1],
    ),
    ("居家助洁", G.ELDERLY, C.CLEANING, U.HOUR, "disabled_elderly or living_alone", 0, [1]),
    ("科普课堂", G.CHILD, C.SCIENCE_CLASS, U.HOUR, "minor", 0, [0, 3]),
    (
        "课业帮扶", G.CHILD, C.HOMEWORK_HELP, U.HOUR,
        "child_in_difficulty or left_behind_child or de_facto_orphan", 0, [2, 3],
    ),
    (
        "心理辅导", G.CHILD, C.COUNSELLING, U.HOUR,
        "minor and (child_in_difficulty or left_behind_child or de_facto_orphan)", 0, [2],
    ),
    ("专项资助", G.SPECIAL, C.AID, U.YUAN, "dibao or dibian or tekun", 0, [3]),
    ("志愿主题活动", G.SPECIAL, C.ACTIVITY, U.HOUR, "", 0, [3]),
]  # fmt: skip

# The stage each demo referral is left in, for each of the two demo partners. Every step goes
# through the referral write services, so history, audit and notifications are the real ones.
# "declined" ends back in approved (partner cleared); "escalated" is a street cadre escalating
# an assigned referral by hand; "cancelled" is consent withdrawn after assignment.
DEMO_REFERRAL_STAGES = [
    "draft", "submitted", "approved", "assigned", "accepted", "in_service", "completed",
    "followed_up", "closed", "declined", "cancelled", "escalated",
]  # fmt: skip
# A referral's way from draft to closed when all goes well: names of TRANSITIONS.
HAPPY_PATH = ["submit", "approve", "assign", "accept", "start", "complete", "follow_up", "close"]
STAFF_NAMES = ("张阿姨", "李师傅", "王医生", "陈护士")


def happy_path_to(stage: str) -> list[str]:
    """The transitions along HAPPY_PATH that leave a new referral in `stage`, which is on it.

    Also how bench/services_bench.py plans its referrals: both follow TRANSITIONS.
    """
    if stage == Referral.Status.DRAFT:
        return []
    reached = [TRANSITIONS[name].target for name in HAPPY_PATH]
    return HAPPY_PATH[: reached.index(stage) + 1]


def _path(stage: str) -> list[str]:
    """The transitions to a demo stage: a side exit leaves the happy path after assignment."""
    exits = {"declined": "decline", "cancelled": "cancel", "escalated": "escalate"}
    if stage in exits:
        return [*happy_path_to(Referral.Status.ASSIGNED), exits[stage]]
    return happy_path_to(stage)


def _demo_agreement(index: int, today: date) -> dict:
    """Agreements in force whenever the demo is loaded; the foundation's ends in 45 days, so
    that the partner pages and the daily reminder show an agreement ending soon."""
    if DEMO_PARTNERS[index][1] == Partner.Kind.FOUNDATION:
        return {
            "agreement_start": date(today.year - 1, 1, 1),
            "agreement_end": today + timedelta(days=45),
        }
    return {
        "agreement_start": date(today.year - 1, 1, 1),
        "agreement_end": date(today.year + 2, 12, 31),
    }


def load(ctx: dict) -> None:
    """Partners and the catalogue (ensured every time), then each part written once."""
    partners = []
    today = timezone.localdate()
    for index, (name, kind, body) in enumerate(DEMO_PARTNERS):
        agreement = _demo_agreement(index, today)
        partner = Partner.objects.filter(name=name).first()
        if partner is None:
            partner = partner_create(
                actor=None, name=name, kind=kind, uscc=uscc_make(body), dpa_signed=True, **agreement
            )
        elif partner.agreement_problem(today):  # a demo database kept past the agreement
            partner = partner_update(actor=None, partner=partner, **agreement)
        partners.append(partner)
    users = ctx["users"]
    partner_staff_bind(actor=None, person=users["partner"], partner=partners[0])
    partner_staff_bind(actor=None, person=users["partner2"], partner=partners[1])
    ctx["partners"] = partners
    ctx["service_items"] = _catalogue(partners)
    demo_partners = ((partners[0], users["partner"]), (partners[1], users["partner2"]))
    if not Referral.objects.exists():  # written once: a second load adds no referrals
        for partner, staff in demo_partners:
            _referrals(ctx, partner=partner, staff=staff)
        _spread_history()
    else:  # a later `make run`: what decayed since is made walkable again
        for partner, staff in demo_partners:
            referrals_refresh(ctx, partner=partner, staff=staff)
    if not MealImport.objects.exists():
        _canteen_month(ctx, today)
    if not FamilyDoctorContract.objects.exists():
        _contracts(ctx, today)
    if not AidBundle.objects.exists():
        _aid(ctx, today)
    if not Activity.objects.exists():
        _activities(ctx, today)


# --- The catalogue ------------------------------------------------------------------------------


def catalogue_ensure(*, providers: Callable[[tuple], list[Partner]]) -> list[ServiceItem]:
    """DEMO_CATALOGUE's items, created once: an item already there (by name) is left as it is.

    `providers(row)` names the partners providing the item of a DEMO_CATALOGUE row: the demo
    street's own four, or the benchmark's district of partners (bench/services_bench.py).
    """
    existing = {item.name: item for item in ServiceItem.objects.all()}
    items = []
    for row in DEMO_CATALOGUE:
        name, group, category, unit, rule, subsidy, _indexes = row
        item = existing.get(name) or service_item_create(
            actor=None,
            name=name,
            group=group,
            category=category,
            unit=unit,
            eligibility_rule=rule,
            subsidy=subsidy,
            partners=providers(row),
        )
        items.append(item)
    return items


def _catalogue(partners: list[Partner]) -> list[ServiceItem]:
    """The catalogue, each item provided by the DEMO_PARTNERS its row names."""
    return catalogue_ensure(providers=lambda row: [partners[index] for index in row[6]])


# --- Referrals ----------------------------------------------------------------------------------


def _residents(ctx):
    """The living residents of the demo worker's grid (ctx["grids"][0]), in a fixed order."""
    return (
        resident_list(actor=ctx["users"]["worker"])
        .filter(deceased_date__isnull=True)
        .order_by("pk")
    )


def _candidates(ctx, partner, count):
    """(resident, item) pairs: residents of the worker's grid eligible for an item of `partner`."""
    items = [item for item in ctx["service_items"] if partner in item.partners.all()]
    pairs = []
    for resident in _residents(ctx).iterator(chunk_size=500):
        item = next(
            (i for i in items if resident_is_eligible(resident=resident, rule=i.eligibility_rule)),
            None,
        )
        if item is not None:
            pairs.append((resident, item))
            if len(pairs) == count:
                break
    if not pairs:
        raise RuntimeError(f"no resident of the first grid is eligible for {partner.name}")
    return [pairs[index % len(pairs)] for index in range(count)]


def _referrals(ctx, *, partner, staff):
    users = ctx["users"]
    worker, cadre = users["worker"], users["cadre"]
    actors = {
        "submit": worker,
        "approve": cadre,
        "assign": cadre,
        "escalate": cadre,
        "accept": staff,
        "decline": staff,
        "start": staff,
        "complete": staff,
        "follow_up": worker,
        "close": worker,
        "cancel": worker,
    }
    arguments = {
        "assign": {"partner": partner},
        "decline": {"reason": DeclineReason.CAPACITY, "note": "本周人手已满"},
        "complete": {"note": "服务已按计划完成"},
        "follow_up": {"note": "电话回访，居民对服务满意"},
        "close": {"outcome": "需求已解决", "satisfaction": 5},
        "cancel": {"reason": CancelReason.CONSENT_WITHDRAWN},
        "escalate": {"note": "合作机构三天未回复"},
    }
    pairs = _candidates(ctx, partner, len(DEMO_REFERRAL_STAGES))
    for stage, (resident, item) in zip(DEMO_REFERRAL_STAGES, pairs, strict=True):
        referral = referral_create(
            actor=worker, resident=resident, service_item=item, description=f"{item.name}需求"
        )
        if resident_age(resident) < settings.GUARDIAN_CONSENT_UNDER_AGE:
            consent = {"consent_by": Referral.ConsentBy.GUARDIAN, "guardian_name": "监护人"}
        else:
            consent = {"consent_by": Referral.ConsentBy.RESIDENT}
        referral = referral_record_consent(actor=worker, referral=referral, **consent)
        for name in _path(stage):
            referral = TRANSITION_FUNCTIONS[name](
                actor=actors[name], referral=referral, **arguments.get(name, {})
            )
            if name == "assign" and item.unit == ServiceItem.Unit.HOUR:
                referral = _plan(referral, actor=cadre)
            if name == "start":  # the partner serves, and logs it, before completing
                _referral_deliveries(referral=referral, staff=staff)


def _plan(referral: Referral, *, actor) -> Referral:
    """A service plan, "2 hours a week for three months", from two weeks ago (so the referral
    page and the statement show a shortfall for the week with nothing delivered)."""
    start = timezone.localdate() - timedelta(days=14)
    return referral_plan_set(
        actor=actor,
        referral=referral,
        quantity=Decimal("2"),
        period=Referral.PlanPeriod.WEEK,
        start=start,
        end=start + timedelta(days=90),
    )


# A demo partner can walk the loop while it has a referral awaiting its answer whose deadline
# is at least this far away (a working day): the hourly escalation will not take it first.
WALKABLE_FOR = timedelta(hours=8)
REFRESH_NOTE = "演示数据刷新：办理时限将到，退回街道后重新派单"


def walkable_referrals(*, partner, now=None):
    """The partner's referrals awaiting its answer with at least WALKABLE_FOR left."""
    now = now or timezone.now()
    return Referral.objects.filter(
        partner=partner,
        status=Referral.Status.ASSIGNED,
        stage_deadline__gte=now + WALKABLE_FOR,
    )


def referrals_refresh(ctx, *, partner, staff) -> Referral | None:
    """On a later load, give a demo partner one referral to accept again, if it has none.

    Through the writes, in this order: a referral still assigned to it but near or past its
    deadline is escalated by the system (actor None, as the hourly task would) and assigned
    again; else one the task (or a cadre) escalated back to the street is assigned again; else,
    when the partner answered them all, one fresh referral is raised and assigned. A partner
    that still has a walkable referral is left alone: a second load the same day adds nothing.
    Returns the referral made walkable, or None.
    """
    if walkable_referrals(partner=partner).exists():
        return None
    cadre = ctx["users"]["cadre"]
    Status = Referral.Status
    waiting = partner.referrals.filter(status=Status.ASSIGNED).order_by("stage_deadline", "pk")
    referral = waiting.first()
    if referral is not None:
        referral = TRANSITION_FUNCTIONS["escalate"](
            actor=None, referral=referral, note=REFRESH_NOTE
        )
    else:
        referral = partner.referrals.filter(status=Status.ESCALATED).order_by("pk").first()
    if referral is None:
        return _referral_fresh(ctx, partner=partner, staff=staff)
    return TRANSITION_FUNCTIONS["assign"](actor=cadre, referral=referral, partner=partner)


def _referral_fresh(ctx, *, partner, staff) -> Referral:
    """A new referral for `partner`, raised by `worker` and assigned by `cadre`, for an eligible
    resident without an open referral for the same item."""
    users = ctx["users"]
    worker, cadre = users["worker"], users["cadre"]
    open_pairs = set(
        Referral.objects.filter(status__in=OPEN_STATES).values_list(
            "resident_id", "service_item_id"
        )
    )
    pairs = _candidates(ctx, partner, len(DEMO_REFERRAL_STAGES) * 4)
    resident, item = next(((r, i) for r, i in pairs if (r.pk, i.pk) not in open_pairs), pairs[-1])
    referral = referral_create(
        actor=worker, resident=resident, service_item=item, description=f"{item.name}需求"
    )
    if resident_age(resident) < settings.GUARDIAN_CONSENT_UNDER_AGE:
        consent = {"consent_by": Referral.ConsentBy.GUARDIAN, "guardian_name": "监护人"}
    else:
        consent = {"consent_by": Referral.ConsentBy.RESIDENT}
    referral = referral_record_consent(actor=worker, referral=referral, **consent)
    referral = TRANSITION_FUNCTIONS["submit"](actor=worker, referral=referral)
    referral = TRANSITION_FUNCTIONS["approve"](actor=cadre, referral=referral)
    return TRANSITION_FUNCTIONS["assign"](actor=cadre, referral=referral, partner=partner)


def _referral_deliveries(*, referral, staff) -> None:
    """The partner's two most recent visits on a referral it serves."""
    now = timezone.now()
    # A delivery is never dated before its referral existed: these were raised a week ago.
    Referral.objects.filter(pk=referral.pk).update(created_at=now - timedelta(days=7))
    for day in (3, 1):
        delivery_log(
            actor=staff,
            referral=referral,
            partner=referral.partner,
            service_item=referral.service_item,
            resident=referral.resident,
            delivered_at=_at(now - timedelta(days=day), 11),
            quantity=Decimal("1"),
            staff_name=STAFF_NAMES[referral.pk % len(STAFF_NAMES)],
            verification=Delivery.Verification.SIGNATURE,
            feedback="服务周到" if day == 1 else "",
        )


def _spread_history() -> None:
    """Give the demo's instant history a working week's pace, so the dashboard has something to
    show: each partner answer comes some hours after its assignment (everything before the
    answer moves back by those hours; nothing after it moves), and the referrals still waiting
    for a partner's answer were assigned three hours ago, their deadline as far from then as
    the stage allows (days): each demo partner has a referral to accept for more than a working
    day after `make run` (`referrals_refresh` renews it on a later load). The audit trail,
    append-only, keeps the real times of the demo load."""
    for index, referral in enumerate(Referral.objects.order_by("pk")):
        events = list(referral.events.order_by("at", "pk"))
        answer = next(
            (e for e in events if e.from_status == Referral.Status.ASSIGNED and e.partner_id),
            None,
        )
        if answer is not None:
            lag = timedelta(hours=2 + (index * 7) % 40)
        elif referral.status == Referral.Status.ASSIGNED:
            lag = timedelta(hours=3)
        else:
            continue
        earlier = [e.pk for e in events if answer is None or e.at < answer.at or e.pk < answer.pk]
        for event in ReferralEvent.objects.filter(pk__in=earlier):
            ReferralEvent.objects.filter(pk=event.pk).update(at=event.at - lag)
        changes = {"created_at": referral.created_at - lag}
        if answer is None:  # still waiting for the partner: its deadline runs from assignment
            changes["stage_deadline"] = referral.stage_deadline - lag
        Referral.objects.filter(pk=referral.pk).update(**changes)


# --- Meals, contracts, aid, activities ----------------------------------------------------------


def _at(moment, hour: int):
    local = timezone.localtime(moment)
    return timezone.make_aware(datetime.combine(local.date(), time(hour, 0)))


def _canteen_month(ctx, today) -> None:
    """The housekeeping firm's canteen uploads this month's lunches (a CSV, checked, imported)."""
    meal = next(i for i in ctx["service_items"] if i.category == ServiceItem.Category.MEAL)
    partner = ctx["partners"][1]
    # Residents whose meals the partner already logs by hand on a referral are not on the sheet
    # (the import would rightly refuse their subsidised lunch twice).
    served = set(MealLog.objects.values_list("resident_id", flat=True))
    diners = [
        resident
        for resident in _residents(ctx)[:400]
        if resident.pk not in served
        and resident_is_eligible(resident=resident, rule=meal.eligibility_rule)
    ][:8]
    first = today.replace(day=1)
    days = [first + timedelta(days=n) for n in range((today - first).days + 1)] or [today]
    lines = ["身份证号,姓名,日期,餐次,份数,是否补贴,核验方式,服务人员"]
    for day in days:
        for number, resident in enumerate(diners):
            lines.append(
                f"{resident.id_number},{resident.name},{day.isoformat()},午餐,1,是,"
                f"{'刷卡' if number % 2 else '刷脸'},张阿姨"
            )
    upload = SimpleUploadedFile(
        f"助餐记录-{today:%Y-%m}.csv",
        ("\n".join(lines) + "\n").encode("utf-8-sig"),
        content_type="text/csv",
    )
    staff = ctx["users"]["partner2"]
    checked = meal_import_create(
        actor=staff, partner=partner, service_item=meal, uploaded_file=upload
    )
    if checked.status != MealImport.Status.CHECKED:
        errors = checked.report.get("errors", [])[:3]
        raise RuntimeError(f"the demo meal log does not import: {errors}")
    meal_import_commit(actor=staff, meal_import=checked)


def _contracts(ctx, today) -> None:
    """The clinic signs the elderly of the worker's grid; a few terms end within 30 days."""
    clinic = ctx["partners"][0]
    cadre = ctx["users"]["cadre"]
    item = next(i for i in ctx["service_items"] if i.category == ServiceItem.Category.FAMILY_DOCTOR)
    signed = 0
    for resident in _residents(ctx)[:600]:
        if not resident_is_eligible(resident=resident, rule=item.eligibility_rule):
            continue
        if FamilyDoctorContract.objects.filter(resident=resident, status="active").exists():
            continue
        # Staggered starts: the first few end within the reminder window.
        start = today - timedelta(days=350 - signed * 20)
        end = start.replace(year=start.year + 1) - timedelta(days=1)
        contract = family_doctor_contract_sign(
            actor=cadre,
            resident=resident,
            partner=clinic,
            doctor_name=("王医生", "陈医生")[signed % 2],
            start_date=start,
            end_date=end,
        )
        if signed == 3:  # one renewed early, a year on
            family_doctor_contract_renew(
                actor=cadre, contract=contract, end_date=end.replace(year=end.year + 1)
            )
        signed += 1
        if signed == 15:
            break


def _aid(ctx, today) -> None:
    """Two bundles from three funders; cases for households of the worker's grid, one of them
    given both bundles for an overlapping period (the double funding the pages flag)."""
    cadre = ctx["users"]["cadre"]
    civil = Funder.objects.filter(name="瑞安市民政局").first() or funder_create(
        actor=cadre, name="瑞安市民政局", kind=Funder.Kind.GOVERNMENT
    )
    charity = Funder.objects.filter(name="瑞安市慈善总会").first() or funder_create(
        actor=cadre, name="瑞安市慈善总会", kind=Funder.Kind.FOUNDATION, partner=ctx["partners"][3]
    )
    company = Funder.objects.filter(name="南滨商会").first() or funder_create(
        actor=cadre, name="南滨商会", kind=Funder.Kind.ENTERPRISE
    )
    year_start, year_end = today.replace(month=1, day=1), today.replace(month=12, day=31)
    hardship = aid_bundle_create(
        actor=cadre,
        name=f"{today.year}年困难家庭包裹式救助",
        period_start=year_start,
        period_end=year_end,
        description="民政、慈善、企业三方共同资助",
        lines=[
            {"item": "living", "amount": Decimal("1200"), "funder": civil},
            {"item": "medical", "amount": Decimal("800"), "funder": charity},
            {"item": "education", "amount": Decimal("500"), "funder": company},
        ],
    )
    school = aid_bundle_create(
        actor=cadre,
        name=f"{today.year}年秋季助学礼包",
        period_start=today.replace(month=9, day=1) if today.month >= 9 else year_start,
        period_end=year_end,
        lines=[{"item": "education", "amount": Decimal("600"), "funder": charity}],
    )
    households = []
    for resident in _residents(ctx)[:800]:
        if (
            resident.household_id
            and resident.household not in households
            and resident_is_eligible(resident=resident, rule="dibao or dibian or tekun")
        ):
            households.append(resident.household)
        if len(households) == 5:
            break
    lines = list(hardship.lines.order_by("pk"))
    for index, household in enumerate(households):
        case = aid_case_open(actor=cadre, household=household, bundle=hardship, note="民政低保户")
        if index < 3:
            for line in lines[: index + 1]:
                disbursement_record(
                    actor=cadre,
                    case=case,
                    line=line,
                    amount=line.amount / 2,
                    paid_on=today - timedelta(days=10 * (index + 1)),
                    reference=f"FK{today:%Y%m}{case.pk:04d}{line.pk:03d}",
                )
    if households:  # the same household also given the school bundle: education twice
        aid_case_open(actor=cadre, household=households[0], bundle=school, note="学校推荐")


def _activities(ctx, today) -> None:
    """Three activities in the worker's community, one by the clinic's team."""
    cadre = ctx["users"]["cadre"]
    community = ctx["grids"][0].community
    children = list(
        _residents(ctx).filter(
            pk__in=ResidentTag.objects.filter(tag__code="minor").values("resident")
        )[:6]
    )
    elderly = list(
        _residents(ctx).filter(
            pk__in=ResidentTag.objects.filter(tag__code="elderly_80").values("resident")
        )[:5]
    )
    now = timezone.now()
    activity_record(
        actor=cadre,
        title="暑期科普课堂：认识身边的植物",
        theme=Activity.Theme.SCIENCE_CLASS,
        target_group=ServiceItem.Group.CHILD,
        community=community,
        starts_at=_at(now - timedelta(days=20), 9),
        partner=ctx["partners"][0],
        team_name=ctx["partners"][0].name,
        place="社区党群服务中心二楼",
        volunteer_count=4,
        volunteer_hours=Decimal("12"),
        extra_attendees=3,
        attendees=children,
        summary="讲解常见植物并动手制作标本",
    )
    activity_record(
        actor=cadre,
        title="周末课业辅导",
        theme=Activity.Theme.HOMEWORK_HELP,
        target_group=ServiceItem.Group.CHILD,
        community=community,
        starts_at=_at(now - timedelta(days=6), 14),
        team_name="温州大学青年志愿者服务队",
        place="社区图书室",
        volunteer_count=6,
        volunteer_hours=Decimal("18"),
        attendees=children[:4],
    )
    activity_record(
        actor=cadre,
        title="重阳敬老志愿服务",
        theme=Activity.Theme.VOLUNTEER_EVENT,
        target_group=ServiceItem.Group.ELDERLY,
        community=community,
        starts_at=_at(now - timedelta(days=40), 9),
        partner=ctx["partners"][3],
        team_name="慈善总会义工队",
        place="社区居家养老服务照料中心",
        volunteer_count=10,
        volunteer_hours=Decimal("30"),
        attendees=elderly,
        summary="理发、量血压、陪老人聊天",
    )
