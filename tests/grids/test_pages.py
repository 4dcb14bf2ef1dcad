"""Registry pages: grids, buildings, households, residents (create and edit) and tags.

Matrices of the named people for list, detail, create and edit; lists and search hold nothing
out of scope; the duplicate-ID and probable-duplicate flows; constant query counts per list.
"""

from datetime import date

import pytest
from django.urls import reverse

from grids import writes
from grids.models import (
    Building,
    Grid,
    GridAssignment,
    Household,
    Resident,
    ResidentTag,
)
from portal.models import AuditEvent
from portal.validators import citizen_id_make
from tests.grids.factories import GridFactory, HouseholdFactory, ResidentFactory
from tests.helpers import Call, assert_access_matrix, assert_constant_queries, login, page_call

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

NEW_ID = "11010519491231002X"  # a woman born 1949-12-31


def _page(client, url, data=None):
    return client.get(url, data or {}).content.decode()


def _get_ok(client, url, data=None):
    response = client.get(url, data or {})
    assert response.status_code == 200
    return response


def _rows(client, list_name, data=None) -> int:
    """How many rows a list page shows (grid-list → data-testid="grid-row")."""
    kind = list_name.removesuffix("-list")
    return _page(client, reverse(f"grids:{list_name}"), data).count(f'data-testid="{kind}-row"')


# --- Access matrices ---------------------------------------------------------------------------


def test_grid_pages_matrix(request, grid_a, grid_b):
    edit = reverse("grids:grid-edit", args=[grid_a.pk])
    actions = {
        "list": Call("get", reverse("grids:grid-list")),
        "detail": Call("get", reverse("grids:grid-detail", args=[grid_a.pk])),
        "staffing": Call("get", reverse("grids:grid-staffing", args=[grid_a.pk])),
        "new_form": Call("get", reverse("grids:grid-create")),
        "create": Call(
            "post",
            reverse("grids:grid-create"),
            {
                "community": grid_a.community_id,
                "code": f"{grid_a.community.code}900",
                "name": "江滨第九网格",
                "kind": "base",
                "household_cap": 300,
            },
        ),
        "edit_form": Call("get", edit),
        "edit": Call("post", edit, {"name": "江滨一网格", "kind": "base", "household_cap": 350}),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           list  detail  staffing  new_form  create  edit_form  edit
        street_admin       200   200     200       200       302     200        302
        street_cadre       200   200     200       200       302     200        302
        community_cadre    200   200     200       403       403     403        403
        grid_leader        200   200     200       403       403     403        403
        grid_worker        200   200     200       403       403     403        403
        other_grid_worker  200   404     404       403       403     404        404
        partner_staff      403   404     404       403       403     404        404
        party_officer      403   404     404       403       403     404        404
        outsider           403   404     404       403       403     404        404
        anonymous          302   302     302       302       302     302        302
        """,
        perform=page_call,
    )


def test_building_pages_matrix(request, building_a, building_b):
    edit = reverse("grids:building-edit", args=[building_a.pk])
    actions = {
        "list": Call("get", reverse("grids:building-list")),
        "detail": Call("get", reverse("grids:building-detail", args=[building_a.pk])),
        "new_form": Call("get", reverse("grids:building-create")),
        "create": Call(
            "post",
            reverse("grids:building-create"),
            {
                "community": building_a.community_id,
                "grid": building_a.grid_id,
                "name": "江滨新村2幢",
                "address": "江滨路3号",
            },
        ),
        "edit_form": Call("get", edit),
        "edit": Call(
            "post",
            edit,
            {"grid": building_a.grid_id, "name": "江滨新村一幢", "address": "江滨路1号"},
        ),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           list  detail  new_form  create  edit_form  edit
        street_admin       200   200     200       302     200        302
        street_cadre       200   200     200       302     200        302
        community_cadre    200   200     200       302     200        302
        grid_leader        200   200     403       403     403        403
        grid_worker        200   200     403       403     403        403
        other_grid_worker  200   404     403       403     404        404
        partner_staff      403   404     403       403     404        404
        party_officer      403   404     403       403     404        404
        outsider           403   404     403       403     404        404
        anonymous          302   302     302       302     302        302
        """,
        perform=page_call,
    )


def test_household_pages_matrix(request, resident_a, resident_b):
    household = resident_a.household
    edit = reverse("grids:household-edit", args=[household.pk])
    actions = {
        "list": Call("get", reverse("grids:household-list")),
        "detail": Call("get", reverse("grids:household-detail", args=[household.pk])),
        "new_form": Call("get", reverse("grids:household-create")),
        "create": Call(
            "post",
            reverse("grids:household-create"),
            {"number": "330381-NEW-1", "kind": "registered", "grid": household.grid_id},
        ),
        "edit_form": Call("get", edit),
        "edit": Call(
            "post",
            edit,
            {
                "number": household.number,
                "kind": "residing",
                "grid": household.grid_id,
                "head": resident_a.pk,
            },
        ),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           list  detail  new_form  create  edit_form  edit
        street_admin       200   200     200       302     200        302
        street_cadre       200   200     200       302     200        302
        community_cadre    200   200     200       302     200        302
        grid_leader        200   200     200       302     200        302
        grid_worker        200   200     200       302     200        302
        # Grid B's worker may add households, but grid A is not a choice: the form refuses (400).
        other_grid_worker  200   404     200       400     404        404
        partner_staff      403   404     403       403     404        404
        party_officer      403   404     403       403     404        404
        outsider           403   404     403       403     404        404
        anonymous          302   302     302       302     302        302
        """,
        perform=page_call,
    )


def _resident_data(resident, **changes):
    data = {
        "name": resident.name,
        "id_type": resident.id_type,
        "id_number": resident.id_number,
        "sex": resident.sex,
        "birth_date": resident.birth_date.isoformat(),
        "phone": resident.phone,
        "ethnicity": resident.ethnicity,
        "household": resident.household.number,
        "population_type": resident.population_type,
    }
    return data | changes


def test_resident_create_and_edit_matrix(request, resident_a, resident_b):
    edit = reverse("grids:resident-edit", args=[resident_a.pk])
    new = {
        "name": "赵新民",
        "id_type": "citizen_id",
        "id_number": NEW_ID,
        "ethnicity": "汉族",
        "population_type": "registered",
        "household": resident_a.household.number,
    }
    actions = {
        "new_form": Call("get", reverse("grids:resident-create")),
        "create": Call("post", reverse("grids:resident-create"), new),
        "edit_form": Call("get", edit),
        "edit": Call("post", edit, _resident_data(resident_a, ethnicity="畲族")),
        "tag_form": Call("get", reverse("grids:resident-detail", args=[resident_a.pk])),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           new_form  create  edit_form  edit  tag_form
        street_admin       200       302     200        302   200
        street_cadre       200       302     200        302   200
        community_cadre    200       302     200        302   200
        grid_leader        200       302     200        302   200
        grid_worker        200       302     200        302   200
        # Grid B's worker may register residents, but not into grid A's household (400).
        other_grid_worker  200       400     404        404   404
        partner_staff      403       403     404        404   404
        party_officer      403       403     404        404   404
        outsider           403       403     404        404   404
        anonymous          302       302     302        302   302
        """,
        perform=page_call,
    )


def test_resident_tag_matrix(request, resident_a, living_alone):
    tagged = ResidentTag.objects.create(resident=resident_a, tag=living_alone)
    actions = {
        "add": Call(
            "post",
            reverse("grids:resident-tag-add", args=[resident_a.pk]),
            {"tag-tag": living_alone.pk, "tag-source": "grid_worker", "tag-grade": 2},
        ),
        "remove": Call(
            "post", reverse("grids:resident-tag-remove", args=[resident_a.pk, tagged.pk])
        ),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           add  remove
        street_admin       302  302
        street_cadre       302  302
        community_cadre    302  302
        grid_leader        302  302
        grid_worker        302  302
        other_grid_worker  404  404
        partner_staff      404  404
        party_officer      404  404
        outsider           404  404
        anonymous          302  302
        """,
        perform=page_call,
    )


# --- Lists and search hold nothing out of scope ------------------------------------------------


def test_lists_and_search_hold_only_the_workers_grid(
    client, grid_worker, resident_a, resident_b, building_a, building_b
):
    login(client, grid_worker)
    household_a, household_b = resident_a.household, resident_b.household
    grid_a, grid_b = household_a.grid, household_b.grid

    grids = _page(client, reverse("grids:grid-list"))
    assert grid_a.name in grids and grid_b.name not in grids
    # Searches echo what was typed in the search box: count the rows found instead.
    assert _rows(client, "grid-list", {"q": grid_b.name}) == 0
    assert _rows(client, "grid-list", {"q": grid_b.code}) == 0
    assert _rows(client, "grid-list", {"q": grid_a.name}) == 1

    households = _page(client, reverse("grids:household-list"))
    assert household_a.number in households and household_b.number not in households
    assert _rows(client, "household-list", {"q": household_b.number}) == 0
    assert _rows(client, "household-list", {"q": household_a.number}) == 1

    buildings = _page(client, reverse("grids:building-list"))
    assert building_a.name in buildings and building_b.name not in buildings
    assert _rows(client, "building-list", {"q": building_b.address}) == 0
    assert _rows(client, "building-list", {"q": building_a.address}) == 1

    for search in (resident_b.name, resident_b.id_number, resident_b.phone):
        assert _rows(client, "resident-list", {"q": search}) == 0
    assert _rows(client, "resident-list", {"q": resident_a.id_number}) == 1


def test_households_are_found_by_their_heads_name(client, grid_worker, resident_a, resident_b):
    for resident in (resident_a, resident_b):
        Household.objects.filter(pk=resident.household_id).update(head=resident)
    login(client, grid_worker)
    assert _rows(client, "household-list", {"q": resident_a.name}) == 1
    assert _rows(client, "household-list", {"q": resident_b.name}) == 0


def test_a_filter_on_an_out_of_scope_grid_lists_nothing(
    client, grid_worker, resident_a, resident_b, building_a, building_b
):
    login(client, grid_worker)
    other_grid = resident_b.household.grid_id
    for name in ("household-list", "resident-list", "building-list"):
        assert _rows(client, name) == 1
        assert _rows(client, name, {"grid": other_grid}) == 0
        page = _page(client, reverse(f"grids:{name}"), {"grid": other_grid})
        assert 'data-testid="filter-error"' in page


def test_resident_filters(client, grid_worker, grid_a, resident_a, living_alone):
    floating = ResidentFactory(
        name="外来务工者", household=HouseholdFactory(grid=grid_a), population_type="floating"
    )
    ResidentTag.objects.create(resident=resident_a, tag=living_alone)
    login(client, grid_worker)
    by_type = _page(client, reverse("grids:resident-list"), {"population_type": "floating"})
    assert floating.name in by_type and resident_a.name not in by_type
    by_tag = _page(client, reverse("grids:resident-list"), {"tag": living_alone.pk})
    assert resident_a.name in by_tag and floating.name not in by_tag
    by_tier = _page(client, reverse("grids:resident-list"), {"tier": "high"})
    assert resident_a.name in by_tier and floating.name not in by_tier


def test_community_cadre_filters_grids_by_kind_and_sees_no_other_community(
    client, community_cadre, grid_a, grid_b
):
    dedicated = GridFactory(community=grid_a.community, name="南滨中学专属网格", kind="dedicated")
    login(client, community_cadre)
    page = _page(client, reverse("grids:grid-list"), {"kind": "dedicated"})
    assert dedicated.name in page and grid_a.name not in page
    other = _page(client, reverse("grids:grid-list"), {"community": grid_b.community_id})
    assert grid_b.name not in other and grid_a.name not in other


def test_pagination_keeps_the_filters(client, grid_worker, grid_a):
    HouseholdFactory.create_batch(21, grid=grid_a, kind="residing")
    login(client, grid_worker)
    page = _page(client, reverse("grids:household-list"), {"kind": "residing"})
    assert page.count('data-testid="household-row"') == 20
    assert "kind=residing&amp;page=2" in page
    second = _page(client, reverse("grids:household-list"), {"kind": "residing", "page": 2})
    assert second.count('data-testid="household-row"') == 1


# --- Writes from the pages -----------------------------------------------------------------------


def test_grid_worker_creating_a_resident_in_another_grids_household_writes_nothing(
    client, grid_worker, resident_b
):
    login(client, grid_worker)
    before = Resident.objects.count()
    response = client.post(
        reverse("grids:resident-create"),
        {
            "name": "赵新民",
            "id_type": "citizen_id",
            "id_number": NEW_ID,
            "ethnicity": "汉族",
            "population_type": "registered",
            "household": resident_b.household.number,
        },
    )
    assert response.status_code == 400
    assert "No household with this number in your area." in response.content.decode()
    assert Resident.objects.count() == before
    assert not AuditEvent.objects.filter(action="resident.create").exists()


def test_grid_worker_cannot_put_a_household_in_another_grid(client, grid_worker, grid_b):
    login(client, grid_worker)
    response = client.post(
        reverse("grids:household-create"),
        {"number": "330381-NEW-2", "kind": "registered", "grid": grid_b.pk},
    )
    assert response.status_code == 400
    assert not Household.objects.filter(number="330381-NEW-2").exists()


def test_household_with_a_new_room_creates_its_dwelling(client, grid_worker, building_a):
    login(client, grid_worker)
    response = client.post(
        reverse("grids:household-create"),
        {
            "number": "330381-NEW-3",
            "kind": "registered",
            "grid": building_a.grid_id,
            "building": building_a.pk,
            "unit": "2",
            "room": "301",
        },
    )
    household = Household.objects.get(number="330381-NEW-3")
    assert response.status_code == 302
    assert response["Location"] == reverse("grids:household-detail", args=[household.pk])
    assert (household.dwelling.building, household.dwelling.room) == (building_a, "301")
    page = _page(client, reverse("grids:building-detail", args=[building_a.pk]))
    assert (
        "330381-NEW-3" in page and "Unit 2, room 301" in page
    )  # the tests set the English language cookie


def test_grid_code_must_start_with_its_community(client, street_admin, community_a, community_b):
    login(client, street_admin)
    response = client.post(
        reverse("grids:grid-create"),
        {
            "community": community_a.pk,
            "code": f"{community_b.code}001",
            "name": "错编网格",
            "kind": "base",
            "household_cap": 300,
        },
    )
    assert response.status_code == 400
    assert community_a.code in response.content.decode()  # "must start with 330381008001"
    assert not Grid.objects.filter(name="错编网格").exists()


def test_grid_detail_shows_micro_grids_and_current_staff(
    client, street_admin, grid_a, grid_worker, grid_leader
):
    login(client, street_admin)
    response = client.post(
        reverse("grids:micro-grid-create", args=[grid_a.pk]),
        {
            "micro-name": "1幢1单元",
            "micro-leader_name": "陈阿姨",
            "micro-leader_phone": "138 0013 8000",
        },
    )
    assert response.status_code == 302
    page = _page(client, reverse("grids:grid-detail", args=[grid_a.pk]))
    assert "1幢1单元" in page and "陈阿姨" in page and "138****8000" in page
    assert "13800138000" not in page
    assert grid_worker.get_full_name() in page and grid_leader.get_full_name() in page


# --- Resident registration: validation and duplicates ---------------------------------------------


def _new_resident(household, **fields):
    return {
        "name": "赵新民",
        "id_type": "citizen_id",
        "id_number": NEW_ID,
        "ethnicity": "汉族",
        "population_type": "registered",
        "household": household.number,
    } | fields


def test_sex_and_birth_date_are_read_from_the_id_number(client, grid_worker, resident_a):
    login(client, grid_worker)
    response = client.post(
        reverse("grids:resident-create"),
        _new_resident(resident_a.household, id_number=NEW_ID.lower(), phone="+86 139-0013-9000"),
    )
    resident = Resident.objects.get(name="赵新民")
    assert response.status_code == 302
    assert response["Location"] == reverse("grids:resident-detail", args=[resident.pk])
    assert (resident.sex, resident.birth_date) == ("female", date(1949, 12, 31))
    assert (resident.id_number, resident.phone) == (NEW_ID, "13900139000")
    assert resident.household == resident_a.household


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"id_number": "110105194912310021"}, "id_number", "check character"),
        ({"id_number": "1101051949"}, "id_number", "18 characters"),
        ({"sex": "male"}, "sex", "does not match the ID number"),
        ({"birth_date": "1950-01-01"}, "birth_date", "1949-12-31"),
        ({"phone": "1234567"}, "phone", "11-digit mainland mobile"),
        ({"id_type": "other", "id_number": "P1234567"}, "sex", "Enter this"),
    ],
)
def test_bad_resident_input_gets_a_clear_field_error(
    client, grid_worker, resident_a, fields, field, message
):
    login(client, grid_worker)
    before = Resident.objects.count()
    response = client.post(
        reverse("grids:resident-create"), _new_resident(resident_a.household, **fields)
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert Resident.objects.count() == before


def test_the_same_id_number_again_leads_to_the_existing_resident(client, grid_worker, resident_a):
    login(client, grid_worker)
    before = Resident.objects.count()
    response = client.post(
        reverse("grids:resident-create"),
        _new_resident(resident_a.household, name="王秀英", id_number=resident_a.id_number.lower()),
        follow=True,
    )
    assert response.redirect_chain == [
        (reverse("grids:resident-detail", args=[resident_a.pk]), 302)
    ]
    assert "already registered" in response.content.decode()
    assert Resident.objects.count() == before


def test_an_id_number_registered_outside_the_scope_reveals_nothing(
    client, grid_worker, resident_a, resident_b
):
    login(client, grid_worker)
    before = Resident.objects.count()
    response = client.post(
        reverse("grids:resident-create"),
        _new_resident(resident_a.household, id_number=resident_b.id_number),
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "already registered in the portal" in " ".join(
        response.context["form"].errors["id_number"]
    )
    for secret in (
        resident_b.name,
        resident_b.household.number,
        resident_b.household.grid.name,
        resident_b.phone_masked,
        reverse("grids:resident-detail", args=[resident_b.pk]),
    ):
        assert secret not in page
    assert Resident.objects.count() == before


def test_a_probable_duplicate_is_shown_before_saving(client, grid_worker, resident_a):
    login(client, grid_worker)
    same_person_new_id = citizen_id_make(
        area_code="330302", birth_date=resident_a.birth_date, sequence=998
    )
    data = _new_resident(resident_a.household, name=resident_a.name, id_number=same_person_new_id)
    first = client.post(reverse("grids:resident-create"), data)
    page = first.content.decode()
    assert first.status_code == 400
    assert 'data-testid="probable-duplicates"' in page
    assert page.count('data-testid="duplicate-row"') == 1
    assert resident_a.id_number_masked in page and resident_a.id_number not in page
    assert resident_a.phone_masked in page and resident_a.phone not in page
    assert Resident.objects.filter(name=resident_a.name).count() == 1

    confirmed = client.post(reverse("grids:resident-create"), data | {"confirm_different": "on"})
    assert confirmed.status_code == 302
    assert Resident.objects.filter(name=resident_a.name).count() == 2


def test_the_same_phone_is_a_probable_duplicate(client, grid_worker, resident_a):
    login(client, grid_worker)
    response = client.post(
        reverse("grids:resident-create"),
        _new_resident(resident_a.household, phone=resident_a.phone.replace("138", "138 ", 1)),
    )
    assert response.status_code == 400
    assert resident_a.name in response.content.decode()
    assert not Resident.objects.filter(name="赵新民").exists()


def test_probable_duplicates_outside_the_scope_are_neither_shown_nor_in_the_way(
    client, grid_worker, resident_a, resident_b
):
    login(client, grid_worker)
    twin_id = citizen_id_make(area_code="330302", birth_date=resident_b.birth_date, sequence=996)
    response = client.post(
        reverse("grids:resident-create"),
        _new_resident(
            resident_a.household,
            name=resident_b.name,
            id_number=twin_id,
            phone=resident_b.phone,
        ),
    )
    assert response.status_code == 302
    assert Resident.objects.filter(name=resident_b.name).count() == 2


def test_editing_a_resident_saves_and_records_the_changed_fields(client, grid_worker, resident_a):
    login(client, grid_worker)
    response = client.post(
        reverse("grids:resident-edit", args=[resident_a.pk]),
        _resident_data(resident_a, ethnicity="畲族", relation_to_head="户主"),
    )
    assert response.status_code == 302
    resident_a.refresh_from_db()
    assert (resident_a.ethnicity, resident_a.relation_to_head) == ("畲族", "户主")
    event = AuditEvent.objects.filter(action="resident.update").latest("pk")
    assert sorted(event.details["fields"]) == ["ethnicity", "relation_to_head"]


def _household_hidden(page, resident):
    """The page shows nothing of the shared resident's household or grid."""
    return resident.household.number not in page and resident.household.grid.name not in page


def test_a_shared_case_is_edited_without_seeing_or_moving_its_household(
    client, grid_worker, resident_b
):
    writes.resident_share(actor=None, resident=resident_b, person=grid_worker, change=True)
    login(client, grid_worker)
    edit = reverse("grids:resident-edit", args=[resident_b.pk])
    form = _page(client, edit)
    assert _household_hidden(form, resident_b)
    data = _resident_data(resident_b, ethnicity="畲族")
    del data["household"]  # a disabled field: whatever is posted, the household stays
    response = client.post(edit, data)
    assert response.status_code == 302
    resident_b.refresh_from_db()
    assert resident_b.ethnicity == "畲族"
    assert resident_b.household.grid.name == "阁巷第一网格"


def test_the_edit_form_shows_id_number_and_phone_masked_and_keeps_them(
    client, grid_worker, resident_a
):
    login(client, grid_worker)
    edit = reverse("grids:resident-edit", args=[resident_a.pk])
    form = _page(client, edit)
    assert resident_a.id_number not in form and resident_a.phone not in form
    assert resident_a.id_number_masked in form and resident_a.phone_masked in form

    kept = client.post(edit, _resident_data(resident_a, id_number="", phone="", name="王秀英"))
    assert kept.status_code == 302
    stored = Resident.objects.get(pk=resident_a.pk)
    assert (stored.id_number, stored.phone) == (resident_a.id_number, resident_a.phone)

    changed = client.post(edit, _resident_data(resident_a, id_number="", phone="13912345678"))
    assert changed.status_code == 302
    assert Resident.objects.get(pk=resident_a.pk).phone == "13912345678"

    cleared = client.post(edit, _resident_data(resident_a, id_number="", clear_phone="on"))
    assert cleared.status_code == 302
    assert Resident.objects.get(pk=resident_a.pk).phone == ""


def test_editing_to_another_residents_id_number_is_refused(client, grid_worker, resident_a, grid_a):
    other = ResidentFactory(household=HouseholdFactory(grid=grid_a))
    login(client, grid_worker)
    response = client.post(
        reverse("grids:resident-edit", args=[other.pk]),
        _resident_data(
            other,
            id_number=resident_a.id_number,
            sex=resident_a.sex,
            birth_date=resident_a.birth_date.isoformat(),
        ),
    )
    assert response.status_code == 400
    assert "id_number" in response.context["form"].errors
    other.refresh_from_db()
    assert other.id_number != resident_a.id_number


def test_tags_are_added_and_removed_on_the_resident_page(
    client, grid_worker, resident_a, living_alone
):
    login(client, grid_worker)
    detail = reverse("grids:resident-detail", args=[resident_a.pk])
    added = client.post(
        reverse("grids:resident-tag-add", args=[resident_a.pk]),
        {"tag-tag": living_alone.pk, "tag-source": "grid_worker", "tag-valid_from": "2025-03-01"},
        follow=True,
    )
    assert added.redirect_chain == [(detail, 302)]
    assert _page(client, detail).count('data-testid="tag-row"') == 1
    tag = ResidentTag.objects.get(resident=resident_a)
    assert (tag.tag, tag.valid_from) == (living_alone, date(2025, 3, 1))

    bad = client.post(
        reverse("grids:resident-tag-add", args=[resident_a.pk]),
        {"tag-tag": living_alone.pk, "tag-source": "grid_worker", "tag-grade": 7},
    )
    assert bad.status_code == 400 and "grade" in bad.context["tag_form"].errors

    removed = client.post(reverse("grids:resident-tag-remove", args=[resident_a.pk, tag.pk]))
    assert removed.status_code == 302
    assert not ResidentTag.objects.filter(resident=resident_a).exists()
    assert AuditEvent.objects.filter(action="resident_tag.remove").count() == 1


def test_nav_links_to_the_new_lists(client, grid_worker, partner_staff):
    login(client, grid_worker)
    home = _page(client, reverse("home"))
    for name in ("grid-list", "building-list", "household-list"):
        assert reverse(f"grids:{name}") in home
    login(client, partner_staff)
    assert reverse("grids:household-list") not in _page(client, reverse("home"))


# --- Query counts ------------------------------------------------------------------------------


def test_grid_list_queries_are_constant(client, community_cadre, community_a, grid_worker):
    login(client, community_cadre)

    def add(n):
        for grid in GridFactory.create_batch(n, community=community_a):
            GridAssignment.objects.create(
                grid=grid, person=grid_worker, post="full_time", start_date=date(2025, 1, 1)
            )
            HouseholdFactory(grid=grid)

    assert_constant_queries(add_rows=add, fetch=lambda: _get_ok(client, reverse("grids:grid-list")))
    assert _rows(client, "grid-list") == 20


def test_building_list_queries_are_constant(client, community_cadre, grid_a):
    login(client, community_cadre)
    counter = iter(range(1000))

    def add(n):
        for _ in range(n):
            i = next(counter)
            Building.objects.create(
                community=grid_a.community, grid=grid_a, name=f"楼{i}", address=f"江滨路{i}号"
            )

    assert_constant_queries(
        add_rows=add, fetch=lambda: _get_ok(client, reverse("grids:building-list"))
    )
    assert _rows(client, "building-list") == 20


def test_household_list_queries_are_constant(client, grid_worker, grid_a):
    login(client, grid_worker)

    def add(n):
        for _ in range(n):
            head = ResidentFactory(household=HouseholdFactory(grid=grid_a))
            Household.objects.filter(pk=head.household_id).update(head=head)

    # 7: the user; the scope's resolution (one query per request); the count; the bell's unread
    # notifications; the filter's communities and grids; the page (household, grid, dwelling,
    # building, community and head in one join). The menu's permissions: from the role, no
    # query (portal/backends.py). The session: from Redis, saved at most once a minute.
    assert_constant_queries(
        add_rows=add,
        fetch=lambda: _get_ok(client, reverse("grids:household-list")),
        expected=7,
    )
    assert _rows(client, "household-list") == 20


def test_resident_list_queries_are_constant(client, grid_worker, grid_a, living_alone):
    login(client, grid_worker)

    def add(n):
        for resident in ResidentFactory.create_batch(n, household=HouseholdFactory(grid=grid_a)):
            ResidentTag.objects.create(resident=resident, tag=living_alone)

    # 8: the user; the scope's resolution (one query per request); the count; the bell; the
    # filter's communities, grids and tags; the page (resident, household, grid and community
    # in one join, the visit cadence as columns). The session: from Redis, saved at most once
    # a minute (portal/sessions.py).
    assert_constant_queries(
        add_rows=add,
        fetch=lambda: _get_ok(client, reverse("grids:resident-list"), {"tier": "high"}),
        expected=8,
    )
    assert _rows(client, "resident-list", {"tier": "high"}) == 20
