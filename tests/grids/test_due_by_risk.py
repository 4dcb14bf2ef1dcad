"""Visits due by risk (issue 12): major events first, then tier, then days overdue; each row
says who and why; tiers configured per tag, the broad age bands carrying none; a visit needs
findings or a "not met" outcome, which is recorded but clears nothing; text limits."""

import importlib
from datetime import date, timedelta

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from grids.cadence import residents_due
from grids.models import Dwelling, Resident, ResidentTag, TagDef, Visit
from grids.models.visits import FINDINGS_MAX_CHARS, NEED_DESCRIPTION_MAX_CHARS
from grids.writes import visit_record
from portal.demo.registry import TAG_DEFS
from tests.grids.factories import ResidentFactory, TagDefFactory
from tests.helpers import assert_constant_queries, login

pytestmark = pytest.mark.django_db


def _tag(code, name, tier, age_derived=False):
    return TagDefFactory(
        code=code, name=name, group=TagDef.Group.ELDERLY, visit_tier=tier, age_derived=age_derived
    )


def _resident(grid, tags, *, registered_days_ago, birth_date=date(1945, 3, 1), household=None):
    extra = {"household": household} if household else {"household__grid": grid}
    resident = ResidentFactory(birth_date=birth_date, **extra)
    for tag in tags:
        ResidentTag.objects.create(resident=resident, tag=tag)
    Resident.objects.filter(pk=resident.pk).update(
        created_at=timezone.now() - timedelta(days=registered_days_ago)
    )
    return resident


@pytest.fixture
def due_people(grid_a, building_a, grid_worker):
    """A toddler on a general tag, overdue for a long time; an 80-year-old living alone (high),
    barely overdue; a key-tier resident whose last visit recorded a hospital stay."""
    general = _tag("dibian", "低边", TagDef.Tier.GENERAL)
    high = _tag("living_alone", "独居老人", TagDef.Tier.HIGH)
    key = _tag("empty_nest", "空巢老人", TagDef.Tier.KEY)
    toddler = _resident(grid_a, [general], registered_days_ago=200, birth_date=date(2024, 6, 1))
    elder = _resident(grid_a, [high, key], registered_days_ago=2, birth_date=date(1944, 1, 10))
    dwelling = Dwelling.objects.create(building=building_a, unit="2", room="301")
    elder.household.dwelling = dwelling
    elder.household.save()
    hospital = _resident(grid_a, [key], registered_days_ago=90)
    visit_record(
        actor=grid_worker,
        resident=hospital,
        findings="刚出院，行动不便",
        major_event=Visit.MajorEvent.HOSPITAL,
        visited_at=timezone.now() - timedelta(days=2),
    )
    return {"toddler": toddler, "elder": elder, "hospital": hospital, "high": high, "key": key}


def _due_ids(client, **params):
    html = client.get(reverse("grids:visits-due"), params).content.decode()
    return [int(part.split('"')[0]) for part in html.split('data-resident="')[1:]]


def test_major_event_then_tier_then_days_overdue(client, grid_worker, due_people):
    login(client, grid_worker)
    assert _due_ids(client) == [
        due_people["hospital"].pk,
        due_people["elder"].pk,
        due_people["toddler"].pk,
    ]


def test_the_api_lists_in_the_same_order_with_the_row_content(
    api_client_for, grid_worker, due_people
):
    rows = api_client_for(grid_worker).get(reverse("visit-due")).json()["results"]
    assert [row["id"] for row in rows] == [
        due_people["hospital"].pk,
        due_people["elder"].pk,
        due_people["toddler"].pk,
    ]
    elder = rows[1]
    assert elder["visit_tier"] == "high"
    assert elder["cadence_tags"] == ["living_alone"]  # the key tag does not set the cadence
    assert elder["age"] >= 80
    assert "301" in elder["address"]
    assert rows[0]["major_event"] == "hospital"


def test_each_row_says_age_tags_reason_and_address(client, english, grid_worker, due_people):
    login(client, grid_worker)
    html = client.get(reverse("grids:visits-due")).content.decode()
    elder_row = html.split(f'data-resident="{due_people["elder"].pk}"')[1].split(
        'data-testid="due-row"'
    )[0]
    today, born = timezone.localdate(), due_people["elder"].birth_date
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    assert f"{age} years old" in elder_row
    assert "独居老人" in elder_row and "空巢老人" not in elder_row
    assert "High risk: a visit every 7 days; never visited" in elder_row
    assert "江滨路1号" in elder_row and "301" in elder_row
    hospital_row = html.split(f'data-resident="{due_people["hospital"].pk}"')[1]
    assert "Major event at the last visit (Hospital stay)" in hospital_row


def test_filters_by_tier_and_tag(client, grid_worker, due_people):
    login(client, grid_worker)
    assert _due_ids(client, tier="high") == [due_people["elder"].pk]
    assert _due_ids(client, tier="general") == [due_people["toddler"].pk]
    assert _due_ids(client, tag=due_people["key"].pk) == [
        due_people["hospital"].pk,
        due_people["elder"].pk,
    ]
    assert _due_ids(client, tier="none") == []


def test_age_bands_carry_no_tier_by_default(grid_a):
    tiers = {code: tier for code, _name, _group, tier, _age in TAG_DEFS}
    assert tiers["elderly_60"] == tiers["minor"] == "none"
    for priority in [
        "elderly_80",
        "living_alone",
        "child_in_difficulty",
        "de_facto_orphan",
        "dibao",
    ]:
        assert tiers[priority] in {"high", "key"}

    # The migration moves existing rows; a tag of tier none sets no cadence.
    minor = _tag("minor", "未成年人", TagDef.Tier.GENERAL, age_derived=True)
    elderly_60 = _tag("elderly_60", "60岁以上老人", TagDef.Tier.GENERAL, age_derived=True)
    alone = _tag("living_alone", "独居老人", TagDef.Tier.HIGH)
    migration = importlib.import_module("grids.migrations.0008_visit_tier_none_and_visit_outcome")
    migration.broad_age_tags_carry_no_tier(django_apps, None)
    assert TagDef.objects.get(pk=minor.pk).visit_tier == TagDef.Tier.NONE
    assert TagDef.objects.get(pk=elderly_60.pk).visit_tier == TagDef.Tier.NONE
    assert TagDef.objects.get(pk=alone.pk).visit_tier == TagDef.Tier.HIGH

    child = _resident(grid_a, [minor], registered_days_ago=100, birth_date=date(2022, 1, 1))
    elder = _resident(grid_a, [elderly_60, alone], registered_days_ago=100)
    due = list(residents_due(Resident.objects.all()).values_list("pk", flat=True))
    assert child.pk not in due and elder.pk in due


def test_a_not_met_visit_is_recorded_but_does_not_clear(client, grid_worker, due_people):
    elder = due_people["elder"]
    visit = visit_record(
        actor=grid_worker, resident=elder, outcome=Visit.Outcome.NOT_MET, findings=""
    )
    assert visit.outcome == Visit.Outcome.NOT_MET
    login(client, grid_worker)
    assert elder.pk in _due_ids(client)
    visit_record(actor=grid_worker, resident=elder, findings="见到本人，身体尚好")
    assert elder.pk not in _due_ids(client)


def _form(resident, **extra):
    return {
        "resident": resident.pk,
        "mode": "home",
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "findings": "",
        "major_event": "",
        "needs-TOTAL_FORMS": "1",
        "needs-INITIAL_FORMS": "0",
        "needs-MIN_NUM_FORMS": "0",
        "needs-MAX_NUM_FORMS": "5",
        "needs-0-category": "",
        "needs-0-description": "",
        **extra,
    }


def test_empty_findings_are_refused_on_the_page(client, english, grid_worker, due_people):
    login(client, grid_worker)
    url = f"{reverse('grids:visit-create')}?resident={due_people['elder'].pk}"
    for findings in ["", "   ", "好"]:
        response = client.post(url, _form(due_people["elder"], findings=findings))
        assert response.status_code == 400
        assert "Write what you found (at least 4 characters)" in response.content.decode()
    assert not Visit.objects.filter(resident=due_people["elder"]).exists()

    response = client.post(url, _form(due_people["elder"], outcome="not_met"))
    assert response.status_code == 302
    assert Visit.objects.get(resident=due_people["elder"]).outcome == "not_met"
    assert due_people["elder"].pk in _due_ids(client)


def test_empty_findings_are_refused_by_the_api(api_client_for, grid_worker, due_people):
    api = api_client_for(grid_worker)
    body = {"resident": due_people["elder"].pk, "mode": "phone"}
    response = api.post(reverse("visit-list"), body, format="json")
    assert response.status_code == 400
    assert "findings" in response.json()
    response = api.post(reverse("visit-list"), {**body, "outcome": "not_met"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["outcome"] == "not_met"


def test_text_limits_are_checked_on_the_model_page_and_api(
    client, english, api_client_for, grid_worker, due_people
):
    elder = due_people["elder"]
    with pytest.raises(ValidationError) as caught:
        visit_record(actor=grid_worker, resident=elder, findings="很" * (FINDINGS_MAX_CHARS + 1))
    assert "findings" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        visit_record(
            actor=grid_worker,
            resident=elder,
            findings="身体尚好",
            needs=[{"category": "meal", "description": "饭" * (NEED_DESCRIPTION_MAX_CHARS + 1)}],
        )
    assert "description" in caught.value.message_dict

    login(client, grid_worker)
    response = client.post(
        f"{reverse('grids:visit-create')}?resident={elder.pk}",
        _form(elder, findings="很" * (FINDINGS_MAX_CHARS + 1)),
    )
    assert response.status_code == 400
    assert "The findings are too long (at most 2000 characters)." in response.content.decode()

    response = api_client_for(grid_worker).post(
        reverse("visit-list"),
        {"resident": elder.pk, "findings": "很" * (FINDINGS_MAX_CHARS + 1)},
        format="json",
    )
    assert response.status_code == 400
    assert "findings" in response.json()
    assert not Visit.objects.filter(resident=elder).exists()
    # Exactly at the limit is fine.
    visit_record(actor=grid_worker, resident=elder, findings="很" * FINDINGS_MAX_CHARS)


def test_the_due_page_uses_constant_queries(client, grid_worker, grid_a, due_people):
    login(client, grid_worker)

    def add(n):
        for _ in range(n):
            _resident(grid_a, [due_people["high"], due_people["key"]], registered_days_ago=30)

    # 7: the user; the scope's resolution (one query per request); the count; the page (cadence,
    # tier, major event as columns, household, dwelling, building and grid joined); the tags
    # setting the page's cadences; the bell; the tag filter's choices. The session: from Redis,
    # saved at most once a minute (portal/sessions.py).
    assert_constant_queries(
        add_rows=add, fetch=lambda: client.get(reverse("grids:visits-due")), expected=7
    )
