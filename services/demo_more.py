"""Demo records beyond referrals, all written through the real services: deliveries on the
demo referrals, a canteen's month of lunches imported from a CSV, family-doctor contracts
(some ending within the reminder window), bundled aid with one double-funded household, and
themed activities. Each part is written once: a second demo load adds nothing.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from services.activities.writes import activity_record
from services.aid.writes import aid_bundle_create, aid_case_open, disbursement_record, funder_create
from services.catalogue.eligibility import resident_is_eligible
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
    ServiceItem,
)

STAFF_NAMES = ("张阿姨", "李师傅", "王医生", "陈护士")


def load(ctx: dict) -> None:
    today = timezone.localdate()
    if not MealImport.objects.exists():
        _canteen_month(ctx, today)
    if not FamilyDoctorContract.objects.exists():
        _contracts(ctx, today)
    if not AidBundle.objects.exists():
        _aid(ctx, today)
    if not Activity.objects.exists():
        _activities(ctx, today)


def _residents(ctx):
    """The living residents of the demo worker's grid, in a fixed order."""
    from grids.models import Resident

    return (
        Resident.objects.visible_to(ctx["users"]["worker"])
        .filter(deceased_date__isnull=True)
        .select_related("household")
        .order_by("pk")
    )


def referral_delivery_log(*, referral, staff) -> None:
    """The partner's two most recent visits on a referral it serves (called by services.demo)."""
    now = timezone.now()
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
    from grids.models import ResidentTag

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
