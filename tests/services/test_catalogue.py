"""The service catalogue: eligibility rules, writes of catalogue items, and the read-only
`partners` and `service-items` API."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from grids.models import ResidentTag, TagDef
from portal.models import AuditEvent
from services.catalogue.eligibility import (
    resident_is_eligible,
    rule_evaluate,
    rule_tags,
    rule_validate,
)
from services.catalogue.writes import service_item_create, service_item_update
from services.models import ServiceItem
from tests.helpers import Call, assert_access_matrix, assert_constant_queries
from tests.services.factories import MealItemFactory, PartnerFactory, ServiceItemFactory


@pytest.fixture(autouse=True)
def _english_messages():
    """The rule checker's messages are asserted in their English source form."""
    from django.utils import translation

    with translation.override("en"):
        yield


CODES = ["living_alone", "dibao", "elderly_80", "minor", "child_in_difficulty"]


@pytest.fixture
def tags(db):
    return {
        code: TagDef.objects.get_or_create(
            code=code, defaults={"name": code, "group": TagDef.Group.OTHER}
        )[0]
        for code in CODES
    }


# --- Parsing and evaluating rules (no database) -----------------------------------------------


@pytest.mark.parametrize(
    ("rule", "held", "expected"),
    [
        ("", set(), True),
        ("   ", set(), True),
        ("dibao", {"dibao"}, True),
        ("dibao", set(), False),
        ("not dibao", set(), True),
        ("not not dibao", {"dibao"}, True),
        ("elderly_80 or living_alone", {"living_alone"}, True),
        ("elderly_80 and living_alone", {"living_alone"}, False),
        # `and` binds tighter than `or`, as in Python.
        ("dibao or living_alone and elderly_80", {"dibao"}, True),
        ("(dibao or living_alone) and elderly_80", {"dibao"}, False),
        (
            "minor and (child_in_difficulty or left_behind_child)",
            {"minor", "left_behind_child"},
            True,
        ),
        ("minor and (child_in_difficulty or left_behind_child)", {"left_behind_child"}, False),
        ("not (dibao or tekun)", {"tekun"}, False),
        ("  dibao\tor\n(tekun)  ", {"tekun"}, True),
    ],
)
def test_rules_evaluate_like_boolean_expressions(rule, held, expected):
    assert rule_evaluate(rule, held) is expected


def test_rule_tags_lists_every_code_once():
    assert rule_tags("minor and (child_in_difficulty or not minor)") == {
        "minor",
        "child_in_difficulty",
    }
    assert rule_tags("") == set()


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("dibao and", "ends too early"),
        ("and dibao", "position 1"),
        ("(dibao or tekun", "not closed"),
        ("dibao)", "Unexpected “)”"),
        ("dibao tekun", "Unexpected “tekun” at position 7"),
        ("not", "ends too early"),
        ("()", "found “)”"),
        ("Dibao", "Unexpected character “D”"),
        ("dibao && tekun", "Unexpected character “&”"),
        ("dibao-2", "Unexpected character “-”"),
        ("__import__('os')", "Unexpected character"),
        ("1 or dibao.__class__", "Unexpected character “.”"),
    ],
)
def test_bad_syntax_is_a_clear_validation_error(rule, message):
    with pytest.raises(ValidationError) as exc:
        rule_tags(rule)
    assert message in exc.value.messages[0]
    with pytest.raises(ValidationError):
        rule_evaluate(rule, {"dibao"})


# A random formula over three codes, as a rule and as the same Python expression over booleans.
_atoms = st.sampled_from(["a", "b", "c"])
_formulas = st.recursive(
    _atoms,
    lambda inner: st.one_of(
        st.builds(lambda x: f"not {x}", inner),
        st.builds(lambda x, y: f"{x} and {y}", inner, inner),
        st.builds(lambda x, y: f"{x} or {y}", inner, inner),
        st.builds(lambda x: f"({x})", inner),
    ),
    max_leaves=12,
)


@given(formula=_formulas, held=st.sets(_atoms))
def test_rules_agree_with_pythons_own_boolean_logic(formula, held):
    truth = {code: code in held for code in "abc"}
    # The oracle: Python itself, on formulas built above from three names and the keywords.
    expected = eval(formula, {"__builtins__": {}}, truth)  # noqa: S307

    assert rule_evaluate(formula, held) is bool(expected)
    assert rule_tags(formula) <= {"a", "b", "c"}


# --- Validation against the tag catalogue ------------------------------------------------------


def test_rule_validate_accepts_known_codes_and_the_empty_rule(tags):
    rule_validate("")
    rule_validate("living_alone or (dibao and not minor)")


def test_rule_validate_names_the_unknown_codes(tags):
    with pytest.raises(ValidationError) as exc:
        rule_validate("dibao or tekun or zzz_missing")

    assert exc.value.messages == ["Unknown tag code(s): tekun, zzz_missing."]


# --- A resident's current tags -----------------------------------------------------------------


def test_eligibility_uses_the_tags_in_force(tags, resident_a):
    today = date.today()
    ResidentTag.objects.create(resident=resident_a, tag=tags["living_alone"])
    ResidentTag.objects.create(
        resident=resident_a, tag=tags["dibao"], valid_to=today - timedelta(days=1)
    )
    ResidentTag.objects.create(
        resident=resident_a, tag=tags["elderly_80"], valid_from=today + timedelta(days=10)
    )

    assert resident_is_eligible(resident=resident_a, rule="living_alone")
    assert not resident_is_eligible(resident=resident_a, rule="dibao")  # certificate expired
    assert not resident_is_eligible(resident=resident_a, rule="elderly_80")  # not yet
    assert resident_is_eligible(
        resident=resident_a, rule="elderly_80", on=today + timedelta(days=10)
    )
    assert resident_is_eligible(
        resident=resident_a, rule="dibao and living_alone", on=today - timedelta(days=1)
    )
    assert resident_is_eligible(resident=resident_a, rule="")


def test_someone_without_tags_is_eligible_only_for_open_services(tags, resident_b):
    assert resident_is_eligible(resident=resident_b, rule="")
    assert resident_is_eligible(resident=resident_b, rule="not dibao")
    assert not resident_is_eligible(resident=resident_b, rule="dibao or living_alone")


# --- Writes ------------------------------------------------------------------------------------


def test_service_item_create_saves_partners_and_audits(tags, street_admin, partner_p):
    item = service_item_create(
        actor=street_admin,
        name="老年助餐",
        group=ServiceItem.Group.ELDERLY,
        category=ServiceItem.Category.MEAL,
        unit=ServiceItem.Unit.MEAL,
        eligibility_rule=" elderly_80 or living_alone ",
        subsidy=5,
        partners=[partner_p],
    )

    item.refresh_from_db()
    assert item.eligibility_rule == "elderly_80 or living_alone"
    assert list(item.partners.all()) == [partner_p]
    event = AuditEvent.objects.get(action="service_item.create")
    assert event.object_id == str(item.pk)
    assert event.details == {"partners": [partner_p.pk]}


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("dibao or", "ends too early"),
        ("dibao or no_such_tag", "Unknown tag code(s): no_such_tag."),
    ],
)
def test_service_item_create_refuses_a_bad_rule_on_its_field(tags, street_admin, rule, message):
    with pytest.raises(ValidationError) as exc:
        service_item_create(
            actor=street_admin,
            name="居家助洁",
            group=ServiceItem.Group.ELDERLY,
            category=ServiceItem.Category.CLEANING,
            unit=ServiceItem.Unit.HOUR,
            eligibility_rule=rule,
        )

    assert message in exc.value.message_dict["eligibility_rule"][0]
    assert not ServiceItem.objects.exists()
    assert not AuditEvent.objects.filter(action="service_item.create").exists()


def test_service_item_create_reports_all_field_errors_at_once(tags, street_admin):
    with pytest.raises(ValidationError) as exc:
        service_item_create(
            actor=street_admin, name="", group="nobody", category="aid", unit="yuan",
            eligibility_rule="(dibao",
        )  # fmt: skip

    assert {"name", "group", "eligibility_rule"} <= set(exc.value.message_dict)


def test_service_item_update_checks_the_rule_and_writes_nothing_when_bad(
    tags, street_admin, partner_p, partner_q
):
    item = MealItemFactory(eligibility_rule="dibao", partners=[partner_p], subsidy=0)

    with pytest.raises(ValidationError) as exc:
        service_item_update(
            actor=street_admin, service_item=item, eligibility_rule="dibao or tekun", subsidy=9
        )
    assert "tekun" in exc.value.message_dict["eligibility_rule"][0]
    item.refresh_from_db()
    assert (item.eligibility_rule, item.subsidy) == ("dibao", 0)

    service_item_update(
        actor=street_admin,
        service_item=item,
        eligibility_rule="dibao or minor",
        partners=[partner_q],
    )
    item.refresh_from_db()
    assert item.eligibility_rule == "dibao or minor"
    assert list(item.partners.all()) == [partner_q]
    event = AuditEvent.objects.get(action="service_item.update")
    assert event.details["partners"] == [[partner_p.pk], [partner_q.pk]]


# --- API: partners -----------------------------------------------------------------------------


def test_partners_matrix(request, partner_p, partner_q):
    actions = {
        "list": Call("get", reverse("partner-list")),
        "retrieve_p": Call("get", reverse("partner-detail", args=[partner_p.pk])),
        "retrieve_q": Call("get", reverse("partner-detail", args=[partner_q.pk])),
        "create": Call("post", reverse("partner-list"), {"name": "新机构"}),
        "update": Call("patch", reverse("partner-detail", args=[partner_p.pk]), {"name": "改名"}),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           list  retrieve_p  retrieve_q  create  update
        street_admin       200   200         200         405     405
        street_cadre       200   200         200         405     405
        # Community and grid staff refer residents to partners: they see them all.
        community_cadre    200   200         200         405     405
        grid_leader        200   200         200         405     405
        grid_worker        200   200         200         405     405
        other_grid_worker  200   200         200         405     405
        partner_staff      200   200         404         405     405
        party_officer      403   404         404         403     405
        outsider           403   404         404         403     405
        anonymous          401   401         401         401     401
        """,
    )


def test_partner_staff_list_only_their_organisation(api_client_for, partner_staff, partner_q):
    rows = api_client_for(partner_staff).get(reverse("partner-list")).json()["results"]

    assert [row["name"] for row in rows] == ["安康家政"]


def test_street_staff_list_every_partner(api_client_for, street_cadre, partner_p, partner_q):
    rows = api_client_for(street_cadre).get(reverse("partner-list")).json()["results"]

    assert {row["id"] for row in rows} == {partner_p.pk, partner_q.pk}


def test_partner_list_queries_are_constant(api_client_for, street_admin):
    client = api_client_for(street_admin)
    assert_constant_queries(
        add_rows=lambda n: PartnerFactory.create_batch(n),
        fetch=lambda: client.get(reverse("partner-list")),
    )


# --- API: service items ------------------------------------------------------------------------


def test_service_items_matrix(request, tags, resident_a, partner_p):
    item = MealItemFactory(eligibility_rule="living_alone", partners=[partner_p])
    ResidentTag.objects.create(resident=resident_a, tag=tags["living_alone"])
    detail = reverse("serviceitem-detail", args=[item.pk])
    actions = {
        "list": Call("get", reverse("serviceitem-list")),
        "retrieve": Call("get", detail),
        "create": Call("post", reverse("serviceitem-list"), {"name": "新服务"}),
        "update": Call("patch", detail, {"subsidy": "9"}),
        "eligible_for": Call("get", reverse("serviceitem-list") + f"?eligible_for={resident_a.pk}"),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           list  retrieve  create  update  eligible_for
        street_admin       200   200       405     405     200
        street_cadre       200   200       405     405     200
        community_cadre    200   200       405     405     200
        grid_leader        200   200       405     405     200
        grid_worker        200   200       405     405     200
        # A resident outside the scope is not a valid choice: 400, as for a missing one.
        other_grid_worker  200   200       405     405     400
        partner_staff      200   200       405     405     400
        party_officer      403   404       403     405     403
        outsider           403   404       403     405     403
        anonymous          401   401       401     401     401
        """,
    )


def test_service_items_show_only_the_providers_in_scope(
    api_client_for, street_admin, partner_staff, grid_worker, partner_p, partner_q
):
    item = MealItemFactory(partners=[partner_p, partner_q])
    url = reverse("serviceitem-detail", args=[item.pk])

    def providers(user):
        return [p["id"] for p in api_client_for(user).get(url).json()["partners"]]

    assert sorted(providers(street_admin)) == sorted([partner_p.pk, partner_q.pk])
    assert providers(partner_staff) == [partner_p.pk]
    assert sorted(providers(grid_worker)) == sorted([partner_p.pk, partner_q.pk])


def test_service_items_filter_by_group_category_and_partner(
    api_client_for, street_admin, partner_staff, partner_p, partner_q
):
    meal = MealItemFactory(partners=[partner_p])
    counselling = ServiceItemFactory(
        group=ServiceItem.Group.CHILD,
        category=ServiceItem.Category.COUNSELLING,
        unit=ServiceItem.Unit.HOUR,
        partners=[partner_q],
    )
    url = reverse("serviceitem-list")

    def ids(user, **params):
        response = api_client_for(user).get(url, params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids(street_admin, group="child") == {counselling.pk}
    assert ids(street_admin, category="meal") == {meal.pk}
    assert ids(street_admin, partner=partner_q.pk) == {counselling.pk}
    assert ids(partner_staff, partner=partner_p.pk) == {meal.pk}
    # Another organisation is not a valid choice for partner staff.
    response = api_client_for(partner_staff).get(url, {"partner": partner_q.pk})
    assert response.status_code == 400
    assert "partner" in response.json()


def test_eligible_for_keeps_only_the_services_the_resident_qualifies_for(
    api_client_for, grid_worker, tags, resident_a
):
    today = date.today()
    ResidentTag.objects.create(resident=resident_a, tag=tags["living_alone"])
    ResidentTag.objects.create(
        resident=resident_a, tag=tags["dibao"], valid_to=today - timedelta(days=1)
    )
    open_to_all = MealItemFactory(eligibility_rule="")
    living_alone = MealItemFactory(eligibility_rule="elderly_80 or living_alone")
    MealItemFactory(eligibility_rule="dibao")  # expired certificate
    MealItemFactory(eligibility_rule="minor and child_in_difficulty")
    not_dibao = MealItemFactory(eligibility_rule="not dibao")

    response = api_client_for(grid_worker).get(
        reverse("serviceitem-list"), {"eligible_for": resident_a.pk}
    )

    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {
        open_to_all.pk,
        living_alone.pk,
        not_dibao.pk,
    }


def test_eligible_for_a_resident_out_of_scope_is_a_field_error(
    api_client_for, grid_worker, resident_b
):
    MealItemFactory()
    response = api_client_for(grid_worker).get(
        reverse("serviceitem-list"), {"eligible_for": resident_b.pk}
    )

    assert response.status_code == 400
    assert "eligible_for" in response.json()


def test_service_item_list_queries_are_constant(
    api_client_for, partner_staff, partner_p, partner_q
):
    client = api_client_for(partner_staff)
    assert_constant_queries(
        add_rows=lambda n: [MealItemFactory(partners=[partner_p, partner_q]) for _ in range(n)],
        fetch=lambda: client.get(reverse("serviceitem-list")),
    )


def test_eligible_for_list_queries_are_constant(api_client_for, grid_worker, tags, resident_a):
    ResidentTag.objects.create(resident=resident_a, tag=tags["living_alone"])
    client = api_client_for(grid_worker)
    assert_constant_queries(
        add_rows=lambda n: [
            MealItemFactory(eligibility_rule="living_alone or dibao") for _ in range(n)
        ],
        fetch=lambda: client.get(reverse("serviceitem-list"), {"eligible_for": resident_a.pk}),
    )


# --- Demo catalogue ----------------------------------------------------------------------------


def test_demo_catalogue_rules_are_valid_and_loading_twice_changes_nothing(db):
    from portal.demo.registry import _tag_defs
    from portal.demo.services import DEMO_CATALOGUE, DEMO_PARTNERS, _catalogue

    _tag_defs()
    partners = [PartnerFactory(name=name, kind=kind) for name, kind, _ in DEMO_PARTNERS]

    first = _catalogue(partners)
    second = _catalogue(partners)

    assert [item.pk for item in first] == [item.pk for item in second]
    assert ServiceItem.objects.count() == len(DEMO_CATALOGUE)
    meal = ServiceItem.objects.get(name="老年助餐")
    assert meal.subsidy == 5
    assert list(meal.partners.all()) == [partners[1]]


def test_the_api_shows_the_most_a_delivery_may_count(api_client_for, street_admin, partner_p):
    meal = MealItemFactory(partners=[partner_p])  # no bound of its own: the unit's default
    hours = ServiceItemFactory(
        unit=ServiceItem.Unit.HOUR, max_quantity=Decimal("2.5"), partners=[partner_p]
    )

    rows = api_client_for(street_admin).get(reverse("serviceitem-list")).json()["results"]

    by_id = {row["id"]: row for row in rows}
    assert by_id[meal.pk]["max_quantity"] is None
    assert by_id[meal.pk]["quantity_limit"] == str(meal.quantity_limit.quantize(Decimal("0.01")))
    assert by_id[hours.pk]["max_quantity"] == "2.50" and by_id[hours.pk]["quantity_limit"] == "2.50"
