"""Scope and data-minimisation audit of services/: one test per rule checked.

Rules (DOMAIN.md, "Who works here"): whoever may not see an object meets it exactly as a
missing one, on every surface (page, API, list, filter, search, export, count, form choice);
partner staff see only what is addressed to their own organisation and only the minimum
personal data (name, age, sex, address, contact phone, the need); grid and community staff
their own grids / community.

The first four sections were holes found by the audit (fixed in the same change); the rest
guard rules that held already.
"""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from grids.models import Resident
from portal.validators import citizen_id_make
from services.contracts.models import shortest_term_end
from services.deliveries.meal_import import meal_import_create
from services.models import (
    Activity,
    ActivityAttendance,
    AidCase,
    Delivery,
    FamilyDoctorContract,
    MealImport,
    Partner,
    Referral,
)
from tests.grids.factories import HouseholdFactory, ResidentFactory
from tests.helpers import login
from tests.services.factories import (
    ActivityFactory,
    AidCaseFactory,
    ContractFactory,
    DeliveryFactory,
    FamilyDoctorReferralFactory,
    MealItemFactory,
    meal_csv,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

Status = Referral.Status


# --- Helpers (fixtures: tests/conftest.py, tests/services/conftest.py) ----------------------------


def missing_pk(model) -> int:
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return last + 10_000


def same_answer(first, second) -> bool:
    """Two API answers that cannot be told apart (status and body)."""
    return (first.status_code, first.content) == (second.status_code, second.content)


# --- Was a hole: the referral API's id filters told which ids exist ---------------------------


def test_api_referral_filter_on_out_of_scope_resident_answers_like_a_missing_one(
    api_client_for, grid_worker, referral_p, referral_q
):
    """Rule: a filter by an out-of-scope id (grid worker, ?resident= of grid B) reveals nothing."""
    client = api_client_for(grid_worker)
    url = reverse("referral-list")
    out_of_scope = client.get(url, {"resident": referral_q.resident_id})
    missing = client.get(url, {"resident": missing_pk(Resident)})
    assert same_answer(out_of_scope, missing), (out_of_scope.status_code, missing.status_code)


def test_api_referral_filter_is_no_registry_oracle_for_partner_staff(
    api_client_for, partner_staff, referral_p, resident_b
):
    """Rule: partner staff cannot learn whether a resident id exists through ?resident=."""
    client = api_client_for(partner_staff)
    url = reverse("referral-list")
    registered = client.get(url, {"resident": resident_b.pk})
    missing = client.get(url, {"resident": missing_pk(Resident)})
    assert same_answer(registered, missing), (registered.status_code, missing.status_code)


def test_api_referral_filter_on_another_partner_answers_like_a_missing_one(
    api_client_for, partner_staff, partner_q, referral_p
):
    """Rule: partner staff filtering by another organisation's id get the missing-id answer."""
    client = api_client_for(partner_staff)
    url = reverse("referral-list")
    other = client.get(url, {"partner": partner_q.pk})
    missing = client.get(url, {"partner": missing_pk(Partner)})
    assert same_answer(other, missing), (other.status_code, missing.status_code)


# --- Was a hole: aid bundle case counts counted the whole street -----------------------------


@pytest.mark.parametrize("person", ["grid_worker", "community_cadre"])
def test_api_aid_bundle_case_count_counts_only_cases_in_scope(
    person, request, api_client_for, bundle, resident_b
):
    """Rule: every count is scoped — a bundle's case_count holds only the reader's cases."""
    AidCaseFactory(household=resident_b.household, bundle=bundle)  # grid B, community B
    response = api_client_for(request.getfixturevalue(person)).get(reverse("aidbundle-list"))
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["case_count"] == 0


def test_pages_aid_bundle_case_count_counts_only_cases_in_scope(
    client, grid_worker, bundle, resident_b
):
    """Rule: every count is scoped — the bundle list and detail pages count only visible cases."""
    AidCaseFactory(household=resident_b.household, bundle=bundle)
    login(client, grid_worker)
    listing = client.get(reverse("services:aid-bundle-list"))
    detail = client.get(reverse("services:aid-bundle-detail", args=[bundle.pk]))
    assert [b.case_count for b in listing.context["page"]] == [0]
    assert detail.context["bundle"].case_count == 0


# --- Was a hole: the meal-log import told a registered ID from an unknown one ----------------


def test_meal_import_report_does_not_tell_a_registered_id_from_an_unknown_one(
    partner_staff, partner_p, resident_b
):
    """Rule: partner staff cannot probe the registry — a guessed name answers like an unknown ID."""
    item = MealItemFactory(name="老年助餐", partners=[partner_p])
    unknown = citizen_id_make(area_code="330381", birth_date=date(1951, 7, 7), sequence=777)
    field = Resident._meta.get_field("id_number")
    assert not Resident.objects.filter(id_number_hash=field.hash_of(unknown)).exists()
    job = meal_import_create(
        actor=partner_staff,
        partner=partner_p,
        service_item=item,
        uploaded_file=meal_csv(
            [
                {"id_number": resident_b.id_number, "name": "冒名者"},  # registered, wrong name
                {"id_number": unknown, "name": "冒名者"},  # nobody has this number
            ]
        ),
    )
    by_row = {e["row"]: (e["column"], e["code"], e["message"]) for e in job.report["errors"]}
    assert by_row[2] == by_row[3]


# --- Was a hole: the delivery API gave partner staff the resident's registry id --------------


def test_api_deliveries_give_partner_staff_no_registry_id(
    api_client_for, partner_staff, partner_p, cleaning, resident_a, referral_p
):
    """Rule: partner staff get the minimum personal data — a name, never the registry id."""
    DeliveryFactory(partner=partner_p, service_item=cleaning, resident=resident_a)
    response = api_client_for(partner_staff).get(reverse("delivery-list"))
    rows = response.json()["results"]
    assert rows
    assert all("resident" not in row for row in rows), sorted(rows[0])


# --- Guards: partner staff cannot act via the API on another partner's objects -----------------


def test_api_partner_staff_meet_another_partners_referral_as_missing(
    api_client_for, partner_staff, referral_p, referral_q
):
    """Rule: another partner's referral is a 404 on read and on every transition."""
    client = api_client_for(partner_staff)
    gone = missing_pk(Referral)
    assert client.get(reverse("referral-detail", args=[referral_q.pk])).status_code == 404
    for name, body in (("accept", {}), ("decline", {"reason": "capacity"}), ("complete", {})):
        theirs = client.post(reverse(f"referral-{name}", args=[referral_q.pk]), body, format="json")
        nothing = client.post(reverse(f"referral-{name}", args=[gone]), body, format="json")
        assert theirs.status_code == nothing.status_code == 404
    referral_q.refresh_from_db()
    assert referral_q.status == Status.IN_SERVICE


def test_api_partner_staff_cannot_log_a_delivery_on_another_partners_referral(
    api_client_for, partner_staff, partner_q, referral_q
):
    """Rule: a POSTed out-of-scope referral or partner is refused like a missing one."""
    client = api_client_for(partner_staff)
    body = {
        "delivered_at": timezone.now().isoformat(),
        "quantity": "1",
        "staff_name": "张师傅",
        "verification": "card",
    }
    theirs = client.post(reverse("delivery-list"), {**body, "referral": referral_q.pk})
    nothing = client.post(reverse("delivery-list"), {**body, "referral": missing_pk(Referral)})
    assert theirs.status_code == nothing.status_code == 400
    assert set(theirs.json()) == set(nothing.json()) == {"referral"}
    as_q = client.post(
        reverse("delivery-list"),
        {
            **body,
            "partner": partner_q.pk,
            "resident": referral_q.resident_id,
            "service_item": referral_q.service_item_id,
        },
    )
    assert as_q.status_code == 400
    assert not Delivery.objects.exists()


def test_api_partner_staff_cannot_touch_another_clinics_contract(
    api_client_for, partner_staff, clinics, partner_q, resident_b, street_admin
):
    """Rule: another clinic's contract is a 404 for renew / lapse; its id as partner a 400."""
    theirs = ContractFactory(resident=resident_b, partner=partner_q, created_by=street_admin)
    client = api_client_for(partner_staff)
    end = shortest_term_end(theirs.end_date + timedelta(days=1)).isoformat()
    renew = client.post(
        reverse("familydoctorcontract-renew", args=[theirs.pk]), {"end_date": end}, format="json"
    )
    lapse = client.post(reverse("familydoctorcontract-lapse", args=[theirs.pk]))
    assert (renew.status_code, lapse.status_code) == (404, 404)
    start = timezone.localdate()
    sign = client.post(
        reverse("familydoctorcontract-list"),
        {
            "partner": partner_q.pk,
            "doctor_name": "陈医生",
            "start_date": start.isoformat(),
            "end_date": shortest_term_end(start).isoformat(),
        },
        format="json",
    )
    assert sign.status_code == 400
    assert "partner" in sign.json()
    theirs.refresh_from_db()
    assert theirs.status == FamilyDoctorContract.Status.ACTIVE


def test_api_partner_staff_cannot_edit_or_claim_another_partners_activity(
    api_client_for, partner_staff, partner_q, community_a, community_b, street_admin
):
    """Rule: another team's activity is a 404; naming another partner is a 400."""
    theirs = ActivityFactory(community=community_b, partner=partner_q, created_by=street_admin)
    client = api_client_for(partner_staff)
    patch = client.patch(
        reverse("activity-detail", args=[theirs.pk]), {"title": "改了"}, format="json"
    )
    assert patch.status_code == 404
    create = client.post(
        reverse("activity-list"),
        {
            "title": "科普课堂",
            "theme": "science_class",
            "target_group": "child",
            "community": community_a.pk,
            "partner": partner_q.pk,
            "starts_at": timezone.now().isoformat(),
        },
        format="json",
    )
    assert create.status_code == 400
    assert "partner" in create.json()
    assert Activity.objects.get(pk=theirs.pk).title == theirs.title


# --- Guards: pages of another partner's objects are missing to partner staff ------------------


def test_pages_partner_staff_meet_another_partners_referral_as_missing(
    client, partner_staff, referral_q
):
    """Rule: another partner's referral is a 404 on its page, its actions and its delivery form."""
    login(client, partner_staff)
    urls = [
        reverse("services:referral-detail", args=[referral_q.pk]),
        reverse("services:delivery-create", args=[referral_q.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404
    act = client.post(reverse("services:referral-act", args=[referral_q.pk, "complete"]))
    assert act.status_code == 404


def test_pages_statement_of_another_partner_is_missing(
    client, partner_staff, grid_worker, partner_p, partner_q
):
    """Rule: statements and their Excel export are scoped: someone else's is a 404 as missing."""
    login(client, partner_staff)
    for name in ("services:partner-statement", "services:partner-statement-export"):
        theirs = client.get(reverse(name, args=[partner_q.pk]), {"month": "2025-03"})
        nothing = client.get(reverse(name, args=[missing_pk(Partner)]), {"month": "2025-03"})
        assert theirs.status_code == nothing.status_code == 404
    login(client, grid_worker)
    response = client.get(reverse("services:partner-statement", args=[partner_p.pk]))
    assert response.status_code == 404


def test_api_statement_of_another_partner_is_missing(api_client_for, partner_staff, partner_q):
    """Rule: the statement API answers another partner like a missing one."""
    client = api_client_for(partner_staff)
    url = reverse("delivery-statement")
    theirs = client.get(url, {"partner": partner_q.pk, "month": "2025-03"})
    nothing = client.get(url, {"partner": missing_pk(Partner), "month": "2025-03"})
    assert same_answer(theirs, nothing)
    assert theirs.status_code == 404


# --- Guards: form choices offer and accept only objects in scope -------------------------------


def test_page_delivery_filter_on_another_partner_lists_like_a_missing_one(
    client, partner_staff, partner_p, partner_q, cleaning, resident_a, resident_b
):
    """Rule: a page filter by an out-of-scope partner shows what a missing id shows."""
    DeliveryFactory(partner=partner_p, service_item=cleaning, resident=resident_a)
    DeliveryFactory(partner=partner_q, service_item=cleaning, resident=resident_b)
    login(client, partner_staff)
    url = reverse("services:delivery-list")
    theirs = client.get(url, {"partner": partner_q.pk})
    nothing = client.get(url, {"partner": missing_pk(Partner)})
    assert theirs.status_code == nothing.status_code == 200
    assert theirs.context["page"].paginator.count == nothing.context["page"].paginator.count == 0
    choices = list(theirs.context["filter"].form.fields["partner"].queryset)
    assert choices == [partner_p]


def test_page_contract_sign_refuses_another_clinic(
    client, partner_staff, clinics, partner_p, partner_q, resident_a
):
    """Rule: the clinic choice offers only one's own clinic; a POSTed other clinic is refused."""
    referral = FamilyDoctorReferralFactory(
        resident=resident_a, partner=partner_p, service_item=clinics
    )
    login(client, partner_staff)
    url = reverse("services:contract-sign") + f"?referral={referral.pk}"
    form = client.get(url).context["form"]
    assert list(form.fields["partner"].queryset) == [partner_p]
    start = timezone.localdate()
    response = client.post(
        url,
        {
            "referral": referral.pk,
            "partner": partner_q.pk,
            "doctor_name": "陈医生",
            "start_date": start.isoformat(),
            "end_date": shortest_term_end(start).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "partner" in response.context["form"].errors
    assert not FamilyDoctorContract.objects.exists()


def test_page_aid_case_refuses_a_beneficiary_out_of_scope(
    client, community_cadre, bundle, resident_a, resident_b
):
    """Rule: the beneficiary choice offers the household's members only; others are refused."""
    login(client, community_cadre)
    household = resident_a.household
    url = reverse("services:aid-case-create") + f"?household={household.pk}"
    form = client.get(url).context["form"]
    assert list(form.fields["beneficiary"].queryset) == [resident_a]
    response = client.post(
        url, {"household": household.pk, "bundle": bundle.pk, "beneficiary": resident_b.pk}
    )
    assert response.status_code == 400
    assert "beneficiary" in response.context["form"].errors
    assert not AidCase.objects.exists()


def test_page_meal_import_refuses_another_partner(client, partner_staff, partner_p, partner_q):
    """Rule: the canteen choice offers only one's own organisation; another one is refused."""
    item = MealItemFactory(name="老年助餐", partners=[partner_p, partner_q])
    login(client, partner_staff)
    url = reverse("services:meal-import-upload")
    assert list(client.get(url).context["form"].fields["partner"].queryset) == [partner_p]
    response = client.post(
        url, {"partner": partner_q.pk, "service_item": item.pk, "file": meal_csv([])}
    )
    assert response.status_code == 400
    assert "partner" in response.context["form"].errors
    assert not MealImport.objects.exists()


def test_page_activity_edit_refuses_an_attendee_out_of_scope(
    client, grid_worker, community_a, resident_a, resident_b, street_admin
):
    """Rule: a POSTed resident of another grid is refused as an attendee, not silently added."""
    activity = ActivityFactory(community=community_a, partner=None, created_by=street_admin)
    login(client, grid_worker)
    response = client.post(
        reverse("services:activity-edit", args=[activity.pk]),
        {
            "title": activity.title,
            "theme": activity.theme,
            "target_group": activity.target_group,
            "community": community_a.pk,
            "team_name": "社区志愿队",
            "starts_at": timezone.localtime(activity.starts_at).strftime("%Y-%m-%dT%H:%M"),
            "volunteer_count": "2",
            "volunteer_hours": "2",
            "extra_attendees": "0",
            "attendees": [resident_a.pk, resident_b.pk],
        },
    )
    assert response.status_code == 400
    assert not ActivityAttendance.objects.exists()


def test_attendee_search_by_id_number_is_scoped(client, grid_worker, partner_staff, resident_b):
    """Rule: the attendee search endpoint finds nobody outside the user's grid, even by ID number."""
    url = reverse("services:activity-attendee-search")
    login(client, grid_worker)
    for q in (resident_b.id_number, resident_b.phone, resident_b.name):
        body = client.get(url, {"q": q}).content.decode()
        assert 'data-testid="candidate"' not in body, q
    login(client, partner_staff)
    body = client.get(url, {"q": resident_b.id_number}).content.decode()
    assert 'data-testid="candidate"' not in body


# --- Guards: API filters by an out-of-scope id answer like a missing id -----------------------


def test_api_scoped_filters_answer_like_a_missing_id(
    api_client_for, grid_worker, partner_staff, partner_q, community_b, resident_b, clinics
):
    """Rule: contract, catalogue and activity filters by an out-of-scope id reveal nothing."""
    worker = api_client_for(grid_worker)
    partner = api_client_for(partner_staff)
    checks = [
        (worker, reverse("familydoctorcontract-list"), "resident", resident_b.pk, Resident),
        (worker, reverse("serviceitem-list"), "eligible_for", resident_b.pk, Resident),
        (partner, reverse("serviceitem-list"), "eligible_for", resident_b.pk, Resident),
        (partner, reverse("serviceitem-list"), "partner", partner_q.pk, Partner),
        (partner, reverse("familydoctorcontract-list"), "partner", partner_q.pk, Partner),
        (worker, reverse("activity-list"), "community", community_b.pk, type(community_b)),
    ]
    for client, url, name, value, model in checks:
        out_of_scope = client.get(url, {name: value})
        missing = client.get(url, {name: missing_pk(model)})
        assert out_of_scope.status_code == missing.status_code == 400, (url, name)
        assert set(out_of_scope.json()) == set(missing.json()) == {name}


# --- Guards: partner staff see the minimum, detail pages show no ID numbers -------------------


def test_partner_staff_referral_api_and_pages_carry_only_the_minimum(
    client, api_client_for, partner_staff, referral_p, referral_q, resident_a, resident_b
):
    """Rule: partner staff never get ID numbers (full or masked), nor other residents."""
    forbidden = [resident_a.id_number, resident_a.id_number_masked, resident_b.name]
    api = api_client_for(partner_staff)
    bodies = [
        api.get(reverse("referral-list")).content.decode(),
        api.get(reverse("referral-detail", args=[referral_p.pk])).content.decode(),
    ]
    login(client, partner_staff)
    bodies += [
        client.get(reverse("services:referral-list")).content.decode(),
        client.get(reverse("services:referral-detail", args=[referral_p.pk])).content.decode(),
        client.get(reverse("services:dashboard")).content.decode(),
    ]
    for body in bodies:
        assert resident_a.name in body or "total-referrals" in body
        for value in forbidden:
            assert value not in body
    row = api.get(reverse("referral-detail", args=[referral_p.pk])).json()
    assert set(row) == {
        "id", "resident_name", "resident_age", "resident_sex", "address", "contact_phone",
        "guardian_name", "description", "need_category", "service_item", "service_item_name",
        "status", "stage_deadline", "created_at", "updated_at",
        "plan_quantity", "plan_period", "plan_start", "plan_end",
    }  # fmt: skip


def test_detail_pages_of_aid_contracts_and_activities_show_no_id_numbers(
    client, street_admin, partner_staff, clinics, partner_p, bundle, community_a, resident_a
):
    """Rule: aid, contract and activity detail pages leak no ID number (full or masked)."""
    case = AidCaseFactory(household=resident_a.household, bundle=bundle, beneficiary=resident_a)
    contract = ContractFactory(resident=resident_a, partner=partner_p, created_by=street_admin)
    activity = ActivityFactory(community=community_a, partner=partner_p, created_by=street_admin)
    ActivityAttendance.objects.create(activity=activity, resident=resident_a)
    forbidden = [resident_a.id_number, resident_a.id_number_masked]
    login(client, street_admin)
    pages = [
        reverse("services:aid-case-detail", args=[case.pk]),
        reverse("services:contract-detail", args=[contract.pk]),
        reverse("services:activity-detail", args=[activity.pk]),
    ]
    for url in pages:
        body = client.get(url).content.decode()
        assert resident_a.name in body, url
        assert not [value for value in forbidden if value in body], url
    login(client, partner_staff)
    for url in pages[1:]:
        body = client.get(url).content.decode()
        assert not [value for value in forbidden if value in body], url


# --- Guards: dashboard counts are scoped ------------------------------------------------------


@pytest.mark.parametrize("person", ["grid_worker", "community_cadre", "partner_staff"])
def test_dashboard_counts_only_what_the_user_sees(
    person, request, client, referral_p, referral_q, cleaning, partner_p, partner_q, resident_b
):
    """Rule: dashboard counts hold only the user's scope (grid A / partner P, not B / Q)."""
    DeliveryFactory(
        partner=partner_q,
        service_item=cleaning,
        resident=resident_b,
        delivered_at=timezone.now() - timedelta(hours=1),
    )
    login(client, request.getfixturevalue(person))
    context = client.get(reverse("services:dashboard")).context
    assert context["stages"]["total"] == 1
    assert sum(sum(group["counts"]) for group in context["deliveries"]["groups"]) == 0


def test_partner_staff_lists_hold_only_their_organisation(
    client, api_client_for, partner_staff, partner_p, partner_q, cleaning, grid_a, referral_q
):
    """Rule: partner staff lists (API and page) hold nothing of another organisation."""
    resident = ResidentFactory(household=HouseholdFactory(grid=grid_a))
    mine = DeliveryFactory(partner=partner_p, service_item=cleaning, resident=resident)
    DeliveryFactory(partner=partner_q, service_item=cleaning, resident=referral_q.resident)
    api = api_client_for(partner_staff)
    assert [r["id"] for r in api.get(reverse("delivery-list")).json()["results"]] == [mine.pk]
    assert api.get(reverse("referral-list")).json()["results"] == []
    assert [p["id"] for p in api.get(reverse("partner-list")).json()["results"]] == [partner_p.pk]
    assert api.get(reverse("partner-detail", args=[partner_q.pk])).status_code == 404
    login(client, partner_staff)
    page = client.get(reverse("services:delivery-list")).context["page"]
    assert [d.pk for d in page] == [mine.pk]
