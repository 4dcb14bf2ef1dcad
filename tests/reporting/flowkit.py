"""Helpers of the intake and flow tests: the catalogue as the migration loads it, a form sent
through the real intake, and figures that answer known numbers (the real computations are
tested in test_figures*.py; here only what the flow does with a figure matters)."""

import importlib
from decimal import Decimal

from django.apps import apps

from portal import figures
from reporting.intake import writes as intake_writes
from reporting.models import DataElement

COMMUNITY_FIGURES = {
    # element: (street, community A, community B)
    "DE001": (100, 60, 40),  # 户籍人口数
    "DE005": (40, 25, 15),  # 户籍户数
    "DE013": (7, 4, 3),  # 80+ living alone
}


def catalogue_ensure() -> None:
    """The catalogue of migration 0002 (a transactional test elsewhere may have flushed it)."""
    if not DataElement.objects.exists():
        migration = importlib.import_module("reporting.migrations.0002_catalogue")
        migration.catalogue_install(apps, None)


def fake_figures(monkeypatch, community_a=None, community_b=None, table=COMMUNITY_FIGURES):
    """Register computations answering the table's numbers (a stock is the same on any day)."""

    def make(code):
        def compute(*, span, area, reader):
            street, in_a, in_b = table[code]
            if area is None:
                return street
            if community_a is not None and area.pk == community_a.pk:
                return in_a
            if community_b is not None and area.pk == community_b.pk:
                return in_b
            return 0

        return compute

    for code in table:
        monkeypatch.setitem(figures._computations, code, make(code))


def send_form(actor, *, form_id, labels, duty="D06", period="quarterly", department="瑞安市民政局"):
    return intake_writes.template_create(
        actor=actor,
        external_id=form_id,
        department=department,
        title=f"{form_id} 表",
        period=period,
        due_days=5,
        duty_item=duty,
        fields=[{"id": f"{form_id}-{n:02d}", "label": label} for n, label in enumerate(labels, 1)],
    )


def form_json(form_id, labels, duty="D06"):
    return {
        "id": form_id,
        "department": "瑞安市民政局",
        "title": f"{form_id} 表",
        "period": "quarterly",
        "due_days": 5,
        "duty_item": duty,
        "fields": [
            {"id": f"{form_id}-{n:02d}", "label": label} for n, label in enumerate(labels, 1)
        ],
    }


ZERO = Decimal(0)
