"""Demo partner organisations, with `partner` and `partner2` bound to one each, and the service
catalogue of DOMAIN.md provided by them."""

from datetime import date

from portal.validators import uscc_make
from services.models import Partner, ServiceItem
from services.services import partner_create, partner_staff_bind, service_item_create

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
