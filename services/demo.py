"""Demo partner organisations, with `partner` and `partner2` bound to one each, and the service
catalogue of DOMAIN.md provided by them."""

from datetime import date

from django.conf import settings

from portal.validators import uscc_make
from services.catalogue.eligibility import resident_is_eligible
from services.catalogue.writes import partner_create, partner_staff_bind, service_item_create
from services.models import Partner, Referral, ServiceItem
from services.referrals import writes as flow

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
        "minor and (child_in_difficulty or left_behind_child)", 0, [2],
    ),
    ("专项资助", G.SPECIAL, C.AID, U.YUAN, "dibao or dibian or tekun", 0, [3]),
    ("志愿主题活动", G.SPECIAL, C.ACTIVITY, U.HOUR, "", 0, [3]),
]  # fmt: skip


def _catalogue(partners: list[Partner]) -> list[ServiceItem]:
    """The catalogue, created once: an item already there (by name) is left as it is."""
    existing = {item.name: item for item in ServiceItem.objects.all()}
    items = []
    for name, group, category, unit, rule, subsidy, providers in DEMO_CATALOGUE:
        item = existing.get(name) or service_item_create(
            actor=None,
            name=name,
            group=group,
            category=category,
            unit=unit,
            eligibility_rule=rule,
            subsidy=subsidy,
            partners=[partners[index] for index in providers],
        )
        items.append(item)
    return items


def load(ctx: dict) -> None:
    partners = []
    for name, kind, body in DEMO_PARTNERS:
        partner = Partner.objects.filter(name=name).first() or partner_create(
            actor=None,
            name=name,
            kind=kind,
            uscc=uscc_make(body),
            agreement_start=date(2025, 1, 1),
            agreement_end=date(2027, 12, 31),
            dpa_signed=True,
        )
        partners.append(partner)
    users = ctx["users"]
    partner_staff_bind(actor=None, person=users["partner"], partner=partners[0])
    partner_staff_bind(actor=None, person=users["partner2"], partner=partners[1])
    ctx["partners"] = partners
    ctx["service_items"] = _catalogue(partners)
    if not Referral.objects.exists():  # written once: a second load adds no referrals
        for partner, staff in ((partners[0], users["partner"]), (partners[1], users["partner2"])):
            _referrals(ctx, partner=partner, staff=staff)
        _spread_history()
    from services import demo_more

    demo_more.load(ctx)


# The stage each demo referral is left in, for each of the two demo partners. Every step goes
# through services/referrals.py, so history, audit and notifications are the real ones.
# "declined" ends back in approved (partner cleared); "escalated" is a street cadre escalating
# an assigned referral by hand; "cancelled" is consent withdrawn after assignment.
DEMO_REFERRAL_STAGES = [
    "draft", "submitted", "approved", "assigned", "accepted", "in_service", "completed",
    "followed_up", "closed", "declined", "cancelled", "escalated",
]  # fmt: skip
_PATHS = {
    "draft": [],
    "submitted": ["submit"],
    "approved": ["submit", "approve"],
    "assigned": ["submit", "approve", "assign"],
    "accepted": ["submit", "approve", "assign", "accept"],
    "in_service": ["submit", "approve", "assign", "accept", "start"],
    "completed": ["submit", "approve", "assign", "accept", "start", "complete"],
    "followed_up": ["submit", "approve", "assign", "accept", "start", "complete", "follow_up"],
    "closed": [
        "submit", "approve", "assign", "accept", "start", "complete", "follow_up", "close",
    ],
    "declined": ["submit", "approve", "assign", "decline"],
    "cancelled": ["submit", "approve", "assign", "cancel"],
    "escalated": ["submit", "approve", "assign", "escalate"],
}  # fmt: skip


def _candidates(ctx, partner, count):
    """(resident, item) pairs: residents of the worker's grid eligible for an item of `partner`."""
    from grids.models import Resident

    items = [item for item in ctx["service_items"] if partner in item.partners.all()]
    pairs = []
    # The worker's grid (ctx["grids"][0]); the living only.
    residents = (
        Resident.objects.visible_to(ctx["users"]["worker"])
        .filter(deceased_date__isnull=True)
        .order_by("pk")
    )
    for resident in residents.iterator(chunk_size=500):
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
        "decline": {"reason": flow.DeclineReason.CAPACITY, "note": "本周人手已满"},
        "complete": {"note": "服务已按计划完成"},
        "follow_up": {"note": "电话回访，居民对服务满意"},
        "close": {"outcome": "需求已解决", "satisfaction": 5},
        "cancel": {"reason": flow.CancelReason.CONSENT_WITHDRAWN},
        "escalate": {"note": "合作机构三天未回复"},
    }
    pairs = _candidates(ctx, partner, len(DEMO_REFERRAL_STAGES))
    for stage, (resident, item) in zip(DEMO_REFERRAL_STAGES, pairs, strict=True):
        referral = flow.referral_create(
            actor=worker, resident=resident, service_item=item, description=f"{item.name}需求"
        )
        if flow.resident_age(resident) < settings.GUARDIAN_CONSENT_UNDER_AGE:
            consent = {"consent_by": Referral.ConsentBy.GUARDIAN, "guardian_name": "监护人"}
        else:
            consent = {"consent_by": Referral.ConsentBy.RESIDENT}
        referral = flow.referral_record_consent(actor=worker, referral=referral, **consent)
        for name in _PATHS[stage]:
            referral = flow.TRANSITION_FUNCTIONS[name](
                actor=actors[name], referral=referral, **arguments.get(name, {})
            )
            if name == "start":  # the partner serves, and logs it, before completing
                from services.demo_more import referral_delivery_log

                referral_delivery_log(referral=referral, staff=staff)


def _spread_history() -> None:
    """Give the demo's instant history a working week's pace, so the dashboard has something to
    show: each partner answer comes some hours after its assignment (everything before the
    answer moves back by those hours; nothing after it moves), and the referrals still waiting
    for a partner's answer were assigned four days ago — past their deadline, so the hourly
    escalation picks them up under `make run`. The audit trail, append-only, keeps the real
    times of the demo load."""
    from datetime import timedelta

    from django.utils import timezone

    from services.models import ReferralEvent

    for index, referral in enumerate(Referral.objects.order_by("pk")):
        events = list(referral.events.order_by("at", "pk"))
        answer = next(
            (e for e in events if e.from_status == Referral.Status.ASSIGNED and e.partner_id),
            None,
        )
        if answer is not None:
            lag = timedelta(hours=2 + (index * 7) % 40)
        elif referral.status == Referral.Status.ASSIGNED:
            lag = timedelta(days=4)
        else:
            continue
        earlier = [e.pk for e in events if answer is None or e.at < answer.at or e.pk < answer.pk]
        for event in ReferralEvent.objects.filter(pk__in=earlier):
            ReferralEvent.objects.filter(pk=event.pk).update(at=event.at - lag)
        changes = {"created_at": referral.created_at - lag}
        if answer is None:  # still waiting for the partner: its deadline has passed
            changes["stage_deadline"] = timezone.now() - timedelta(hours=2)
        Referral.objects.filter(pk=referral.pk).update(**changes)
