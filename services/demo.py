"""Demo partner organisations, with `partner` and `partner2` bound to one each."""

from datetime import date

from portal.validators import uscc_make
from services.models import Partner
from services.services import partner_create, partner_staff_bind

DEMO_PARTNERS = [
    # (name, kind, registration-authority code + division code + organisation code body)
    ("瑞安市南滨社区卫生服务中心", Partner.Kind.CLINIC, "12330381MB0000101"),
    ("瑞安市安康家政服务有限公司", Partner.Kind.HOUSEKEEPING, "91330381MA0000202"),
    ("瑞安市心桥心理咨询服务中心", Partner.Kind.COUNSELLING, "52330381MJ0000303"),
    ("瑞安市慈善总会", Partner.Kind.FOUNDATION, "53330381MJ0000404"),
]


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
