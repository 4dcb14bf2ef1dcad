"""Age-derived tags (60+, 80+, minor) follow birthdays, once a day, set-wise."""

from datetime import date, timedelta

import pytest

from grids.age_tags import age_tags_refresh
from grids.cadence import current_tags
from grids.models import ResidentTag, TagDef
from portal.models import AuditEvent, ScheduledRun
from tests.grids.factories import ResidentFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)


@pytest.fixture
def age_tags(db):
    tags = {
        code: TagDef.objects.create(code=code, name=name, group=group, age_derived=True)
        for code, name, group in [
            ("elderly_60", "60岁以上老人", "elderly"),
            ("elderly_80", "80岁以上高龄老人", "elderly"),
            ("minor", "未成年人", "child"),
        ]
    }
    tags["living_alone"] = TagDef.objects.create(
        code="living_alone", name="独居老人", group="elderly", visit_tier="high"
    )
    return tags


def _person(born: date, **extra):
    return ResidentFactory(birth_date=born, **extra)


def _codes(resident, *, on):
    return set(current_tags(on=on).filter(resident=resident).values_list("tag__code", flat=True))


def _row(resident, code):
    return ResidentTag.objects.get(resident=resident, tag__code=code)


def test_tags_follow_birthdays(age_tags):
    sixty_today = _person(date(1966, 6, 15))
    sixty_tomorrow = _person(date(1966, 6, 16))
    eighty_today = _person(date(1946, 6, 15))
    adult_today = _person(date(2008, 6, 15))  # 18 today
    adult_tomorrow = _person(date(2008, 6, 16))
    newborn = _person(date(2026, 6, 1))
    middle_aged = _person(date(1980, 3, 3))
    for minor in (adult_today, adult_tomorrow):  # tagged when they were children
        ResidentTag.objects.create(
            resident=minor, tag=age_tags["minor"], source="age", valid_from=minor.birth_date
        )

    result = age_tags_refresh(today=TODAY)

    assert result["added"] == {"elderly_60": 2, "elderly_80": 1, "minor": 1}
    assert result["ended"] == {"elderly_60": 0, "elderly_80": 0, "minor": 1}
    assert _codes(sixty_today, on=TODAY) == {"elderly_60"}
    assert _row(sixty_today, "elderly_60").valid_from == TODAY
    assert _row(sixty_today, "elderly_60").source == ResidentTag.Source.AGE
    assert _codes(sixty_tomorrow, on=TODAY) == set()
    assert _codes(eighty_today, on=TODAY) == {"elderly_60", "elderly_80"}
    assert _row(eighty_today, "elderly_60").valid_from == date(2006, 6, 15)
    assert _codes(adult_today, on=TODAY) == set()
    assert _row(adult_today, "minor").valid_to == TODAY - timedelta(days=1)
    assert _codes(adult_tomorrow, on=TODAY) == {"minor"}
    assert _codes(newborn, on=TODAY) == {"minor"}
    assert _row(newborn, "minor").valid_from == newborn.birth_date
    assert _codes(middle_aged, on=TODAY) == set()

    tomorrow = TODAY + timedelta(days=1)
    result = age_tags_refresh(today=tomorrow)
    assert result["added"] == {"elderly_60": 1, "elderly_80": 0, "minor": 0}
    assert result["ended"] == {"elderly_60": 0, "elderly_80": 0, "minor": 1}
    assert _codes(sixty_tomorrow, on=tomorrow) == {"elderly_60"}
    assert _row(adult_tomorrow, "minor").valid_to == TODAY
    # The history stays: on their last day as a minor the tag was in force.
    assert _codes(adult_tomorrow, on=TODAY) == {"minor"}


def test_deceased_residents_get_no_new_tags(age_tags):
    dead = _person(date(1940, 1, 1), deceased_date=date(2026, 1, 5))
    age_tags_refresh(today=TODAY)
    assert not ResidentTag.objects.filter(resident=dead).exists()


def test_the_same_day_runs_once_and_is_audited_once(age_tags):
    sixty_today = _person(date(1966, 6, 15))
    first = age_tags_refresh(today=TODAY)
    _person(date(1960, 1, 1))  # registered later that day
    second = age_tags_refresh(today=TODAY)

    assert first["skipped"] is False and second == {"skipped": True, "slot": "2026-06-15"}
    assert ResidentTag.objects.filter(resident=sixty_today).count() == 1
    assert ResidentTag.objects.count() == 1  # the late registration waits for tomorrow
    [event] = AuditEvent.objects.filter(action="resident_tag.age_refresh")
    assert event.details["added"]["elderly_60"] == 1
    assert event.details["date"] == "2026-06-15"
    assert ScheduledRun.objects.get(task="grids.age_tags_refresh").result["added"] == {
        "elderly_60": 1,
        "elderly_80": 0,
        "minor": 0,
    }


def test_a_second_day_without_birthdays_changes_nothing(age_tags):
    _person(date(1950, 2, 2))
    _person(date(2015, 9, 9))
    age_tags_refresh(today=TODAY)
    before = list(ResidentTag.objects.order_by("id").values())
    result = age_tags_refresh(today=TODAY + timedelta(days=1))
    assert result["added"] == result["ended"] == {"elderly_60": 0, "elderly_80": 0, "minor": 0}
    assert list(ResidentTag.objects.order_by("id").values()) == before


def test_a_tag_entered_by_hand_is_kept_and_not_duplicated(age_tags):
    elder = _person(date(1950, 2, 2))
    ResidentTag.objects.create(
        resident=elder, tag=age_tags["elderly_60"], source="department", valid_from=date(2010, 2, 2)
    )
    age_tags_refresh(today=TODAY)
    row = _row(elder, "elderly_60")
    assert (row.source, row.valid_from, row.valid_to) == ("department", date(2010, 2, 2), None)


def test_a_hand_entered_minor_tag_ends_at_18_too(age_tags):
    adult = _person(date(2008, 6, 15))
    ResidentTag.objects.create(resident=adult, tag=age_tags["minor"], source="grid_worker")
    age_tags_refresh(today=TODAY)
    assert _row(adult, "minor").valid_to == TODAY - timedelta(days=1)


def test_a_leap_day_child_comes_of_age_on_1_march(age_tags):
    leapling = _person(date(2008, 2, 29))
    ResidentTag.objects.create(resident=leapling, tag=age_tags["minor"], source="age")
    age_tags_refresh(today=date(2026, 2, 28))
    assert _row(leapling, "minor").valid_to is None
    age_tags_refresh(today=date(2026, 3, 1))
    assert _row(leapling, "minor").valid_to == date(2026, 2, 28)


def test_tags_not_derived_from_age_are_untouched(age_tags):
    elder = _person(date(1950, 2, 2))
    ResidentTag.objects.create(resident=elder, tag=age_tags["living_alone"], source="grid_worker")
    age_tags_refresh(today=TODAY)
    assert _codes(elder, on=TODAY) == {"living_alone", "elderly_60"}


def test_age_ranges_are_configurable(settings, age_tags):
    settings.AGE_TAG_RANGES = {"elderly_60": (65, None), "minor": (0, 18)}
    sixty_two = _person(date(1964, 1, 1))
    seventy = _person(date(1956, 1, 1))
    result = age_tags_refresh(today=TODAY)
    assert _codes(sixty_two, on=TODAY) == set()
    assert _codes(seventy, on=TODAY) == {"elderly_60"}
    assert result["without_range"] == ["elderly_80"]  # reported, left alone
