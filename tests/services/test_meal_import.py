"""Canteen meal-log imports: the layout and its document, the dry run with every bad row, the
all-or-nothing commit, subsidised meals counted once, and the same file imported only once."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import Workbook, load_workbook

from portal.models import AuditEvent
from portal.policy import allowed
from services.deliveries import meal_import
from services.deliveries.meal_import import COLUMNS, meal_import_commit, meal_import_create
from services.deliveries.policy import access_meal_import_commit, access_meal_import_create
from services.deliveries.statements import partner_statement
from services.models import Delivery, MealImport, MealLog
from tests.grids.factories import HouseholdFactory, ResidentFactory
from tests.helpers import Call, assert_access_matrix, login, page_call
from tests.services.factories import (
    MEAL_ROW_DEFAULTS,
    MealItemFactory,
    MealLogFactory,
    ServiceItemFactory,
    local_dt,
)

pytestmark = pytest.mark.django_db
HEADERS = [c.header for c in COLUMNS]
KEYS = [c.key for c in COLUMNS]


@pytest.fixture
def meal_item(partner_p, partner_q):
    return MealItemFactory(name="老年助餐", partners=[partner_p, partner_q])


@pytest.fixture
def diners(grid_a):
    return [ResidentFactory(household=HouseholdFactory(grid=grid_a)) for _ in range(3)]


def row(resident, **cells):
    values = {"id_number": resident.id_number, "name": resident.name} | MEAL_ROW_DEFAULTS | cells
    return [values[key] for key in KEYS]


def csv_upload(rows, name="meals.csv", headers=HEADERS):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8"))


def xlsx_upload(rows, name="meals.xlsx", title=None):
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(HEADERS)
    for cells in rows:
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def upload(actor, partner, item, rows=None, file=None):
    return meal_import_create(
        actor=actor, partner=partner, service_item=item, uploaded_file=file or csv_upload(rows)
    )


def errors_of(job):
    return [(e["row"], e["column"], e["code"]) for e in job.report["errors"]]


# --- The layout ----------------------------------------------------------------------------


def test_the_documentation_table_is_the_layout():
    doc = (Path(django_settings.BASE_DIR) / "docs/modules/services-meal-import.md").read_text()
    with translation.override("en"):
        table = meal_import.layout_markdown()

    assert table in doc
    documented = [line for line in doc.splitlines() if line.startswith("| ") and "`" in line]
    assert documented == table.splitlines()[2:]


def test_the_upload_page_shows_the_layout_and_the_template_imports_cleanly(
    client, partner_staff, partner_p, meal_item, diners
):
    login(client, partner_staff)
    page = client.get(reverse("services:meal-import-upload"))
    assert page.status_code == 200
    assert all(header in page.content.decode() for header in HEADERS)

    template = client.get(reverse("services:meal-import-template"))
    sheet = load_workbook(io.BytesIO(template.content)).worksheets[0]
    header, example = (list(r) for r in sheet.iter_rows(min_row=1, max_row=2, values_only=True))
    assert header == HEADERS
    example[KEYS.index("id_number")] = diners[0].id_number
    example[KEYS.index("name")] = diners[0].name

    job = upload(partner_staff, partner_p, meal_item, [example])
    assert job.status == MealImport.Status.CHECKED, job.report["errors"]


# --- The dry run ---------------------------------------------------------------------------


def test_a_good_file_is_checked_and_writes_no_meal(partner_staff, partner_p, meal_item, diners):
    job = upload(
        partner_staff,
        partner_p,
        meal_item,
        [
            row(diners[0]),
            row(diners[0], slot="晚餐"),
            row(diners[1], quantity="2", subsidised="否", verification="签字"),
            row(diners[2], staff_name=""),
        ],
    )

    assert job.status == MealImport.Status.CHECKED
    assert job.total_rows == 4
    assert job.report["errors"] == []
    assert job.report["counts"] == {
        "meals": 4,
        "subsidised": 3,
        "portions": "5",
        "subsidy": "24.00",
        "residents": 3,
    }
    assert not Delivery.objects.exists()
    assert not MealLog.objects.exists()
    assert AuditEvent.objects.filter(action="meal_import.upload").count() == 1


def test_every_bad_row_is_reported_and_nothing_is_written(
    partner_staff, partner_p, meal_item, diners, resident_b
):
    taken = MealLogFactory(
        resident=diners[2],
        delivery__resident=diners[2],
        delivery__delivered_at=local_dt(2025, 3, 5, 12),
        date=date(2025, 3, 5),
        slot=MealLog.Slot.DINNER,
    )
    bad_check = diners[0].id_number[:-1] + ("0" if diners[0].id_number[-1] != "0" else "1")
    unknown = "11010519491231002X"  # valid, but nobody of the street
    future = (timezone.localdate() + timedelta(days=2)).isoformat()
    rows = [
        row(diners[0]),  # 2: good
        row(diners[0], id_number=bad_check),  # 3: bad check character
        row(diners[0], id_number=unknown),  # 4: not registered
        row(diners[1], name="张冠李戴"),  # 5: name mismatch
        row(diners[1], date="2025-02-30"),  # 6: no such date
        row(diners[1], date=future),  # 7: in the future
        row(diners[1], slot="早餐"),  # 8: no such slot
        row(diners[0]),  # 9: double of row 2 in the file
        row(diners[2], slot="晚餐"),  # 10: double of the database's dinner
        row(diners[1], quantity="0", verification="猜的"),  # 11: two bad cells
        row(diners[1], quantity="2", date="2025-03-07"),  # 12: a subsidised meal of two portions
        row(resident_b, date="2025-03-06"),  # 13: good — of another grid, still of the street
    ]

    job = upload(partner_staff, partner_p, meal_item, rows)

    assert job.status == MealImport.Status.FAILED
    assert errors_of(job) == [
        (3, "身份证号", "id_invalid"),
        (4, "身份证号", "no_matching_resident"),
        (5, "身份证号", "no_matching_resident"),  # the same answer: no oracle on names
        (6, "日期", "date"),
        (7, "日期", "date_future"),
        (8, "餐次", "choice"),
        (9, "餐次", "double_in_file"),
        (10, "餐次", "double_in_database"),
        (11, "份数", "quantity"),
        (11, "核验方式", "choice"),
        (12, "份数", "subsidised_portions"),
    ]
    assert job.report["bad_rows"] == 10
    double = next(e for e in job.report["errors"] if e["code"] == "double_in_file")
    assert "2" in double["message"]  # names the first row
    assert job.report["counts"]["meals"] == 2  # rows 2 and 13
    assert Delivery.objects.count() == 1  # only the one behind the existing meal log
    assert MealLog.objects.get() == taken
    with pytest.raises(ValidationError):
        meal_import_commit(actor=partner_staff, meal_import=job)
    assert Delivery.objects.count() == 1


def test_the_report_shows_nothing_of_registered_residents(
    partner_staff, partner_p, meal_item, resident_b
):
    job = upload(partner_staff, partner_p, meal_item, [row(resident_b, name="王五")])

    text = str(job.report)
    assert resident_b.name not in text
    assert resident_b.id_number not in text
    assert set(job.report["errors"][0]) == {"row", "column", "message", "code"}


def test_an_id_number_excel_turned_into_a_number_is_explained(
    street_cadre, partner_p, meal_item, grid_a
):
    diner = ResidentFactory(
        sex="female",
        birth_date=date(1949, 12, 31),
        id_number="11010519491231002X",
        household=HouseholdFactory(grid=grid_a),
    )
    cells = row(diner)
    # Excel keeps 15 significant digits of a number: 11010519491231002X becomes
    # 110105194912310000, whose checksum fails.
    cells[KEYS.index("id_number")] = float("110105194912310000")
    cells[KEYS.index("date")] = date(2025, 3, 5)  # a real Excel date cell

    job = upload(street_cadre, partner_p, meal_item, file=xlsx_upload([cells], title="三月助餐"))

    assert errors_of(job) == [(3, "身份证号", "id_invalid")]
    assert "Excel" in job.report["errors"][0]["message"]


def test_a_deceased_resident_gets_no_meals_after_death(street_cadre, partner_p, meal_item, diners):
    type(diners[0]).objects.filter(pk=diners[0].pk).update(deceased_date=date(2025, 3, 1))

    job = upload(street_cadre, partner_p, meal_item, [row(diners[0])])

    assert errors_of(job) == [(2, "身份证号", "no_matching_resident")]


@pytest.mark.parametrize(
    ("content", "message_part"),
    [
        (b"just,some,text\n1,2,3\n", "header"),
        ("身份证号,姓名\n".encode(), "日期"),
        ("\n".join([",".join(HEADERS)]).encode(), "no rows"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_and_not_stored(
    partner_staff, partner_p, meal_item, content, message_part
):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        upload(partner_staff, partner_p, meal_item, file=SimpleUploadedFile("m.csv", content))

    assert message_part in " ".join(caught.value.message_dict["file"])
    assert not MealImport.objects.exists()


def test_only_meal_services_the_partner_provides(street_cadre, partner_p, diners):
    cleaning = ServiceItemFactory(name="助洁服务", partners=[partner_p])
    not_provided = MealItemFactory(name="社区食堂", partners=[])
    for item in (cleaning, not_provided):
        with pytest.raises(ValidationError) as caught:
            upload(street_cadre, partner_p, item, [row(diners[0])])
        assert list(caught.value.message_dict) == ["service_item"]


def test_partner_staff_import_only_for_their_organisation(
    partner_staff, other_partner_staff, grid_worker, partner_q, meal_item, diners
):
    with pytest.raises(PermissionDenied):
        upload(partner_staff, partner_q, meal_item, [row(diners[0])])
    with pytest.raises(PermissionDenied):
        upload(grid_worker, partner_q, meal_item, [row(diners[0])])

    job = upload(other_partner_staff, partner_q, meal_item, [row(diners[0])])
    with pytest.raises(PermissionDenied):
        meal_import_commit(actor=partner_staff, meal_import=job)


def test_the_meal_import_gates(
    partner_staff, other_partner_staff, street_cadre, grid_worker, partner_p, partner_q, meal_item
):
    assert allowed(access_meal_import_create, partner_staff)  # the pages
    assert allowed(access_meal_import_create, partner_staff, partner_p)
    assert not allowed(access_meal_import_create, partner_staff, partner_q)
    assert allowed(access_meal_import_create, street_cadre, partner_q)  # any canteen
    assert not allowed(access_meal_import_create, grid_worker)
    assert not allowed(access_meal_import_create, None)  # a meal log has an uploader

    job = MealImport.objects.create(
        partner=partner_p,
        service_item=meal_item,
        uploaded_by=partner_staff,
        original_name="m.csv",
        status=MealImport.Status.CHECKED,
    )
    assert allowed(access_meal_import_commit, partner_staff, job)
    assert allowed(access_meal_import_commit, street_cadre, job)
    assert not allowed(access_meal_import_commit, other_partner_staff, job)
    assert not allowed(access_meal_import_commit, grid_worker, job)


# --- The commit ----------------------------------------------------------------------------


def test_commit_writes_every_meal_once(partner_staff, partner_p, meal_item, diners, street_cadre):
    job = upload(
        partner_staff,
        partner_p,
        meal_item,
        [
            row(diners[0]),
            row(diners[0], slot="晚餐", note="少盐"),
            row(diners[1], quantity="2", subsidised="否"),
            row(diners[2], staff_name=""),
        ],
    )

    job = meal_import_commit(actor=partner_staff, meal_import=job)
    again = meal_import_commit(actor=partner_staff, meal_import=job)

    assert job.status == again.status == MealImport.Status.COMMITTED
    assert job.committed_at is not None
    deliveries = Delivery.objects.filter(meal_import=job)
    assert deliveries.count() == 4
    assert MealLog.objects.count() == 4
    assert MealLog.objects.filter(subsidised=True).count() == 3
    dinner = MealLog.objects.get(resident=diners[0], slot=MealLog.Slot.DINNER).delivery
    assert timezone.localtime(dinner.delivered_at).strftime("%Y-%m-%d %H:%M") == "2025-03-05 18:00"
    assert dinner.feedback == "少盐"
    assert dinner.subsidy == meal_item.subsidy
    assert dinner.recorded_by == partner_staff
    unsubsidised = deliveries.get(resident=diners[1])
    assert (unsubsidised.quantity, unsubsidised.subsidy) == (Decimal("2"), Decimal("0"))
    assert deliveries.get(resident=diners[2]).staff_name == partner_staff.get_full_name()
    assert AuditEvent.objects.filter(action="meal_import.commit").count() == 1
    # The statement counts imported meals like any delivery.
    statement = partner_statement(actor=street_cadre, partner=partner_p, month="2025-03")
    assert (statement.total.deliveries, statement.total.subsidy) == (4, Decimal("24.00"))


def test_the_same_file_again_adds_nothing(
    partner_staff, street_cadre, partner_p, meal_item, diners
):
    rows = [row(diners[0]), row(diners[1], slot="晚餐", subsidised="否")]
    first = meal_import_commit(
        actor=partner_staff, meal_import=upload(partner_staff, partner_p, meal_item, rows)
    )
    # Again: another name, another format, a title row, the rows in another order.
    again = upload(
        street_cadre,
        partner_p,
        meal_item,
        file=xlsx_upload(list(reversed(rows)), name="copy.xlsx", title="助餐记录"),
    )

    assert again.status == MealImport.Status.CHECKED
    assert again.report["already_imported"]["id"] == first.pk
    assert again.report["errors"] == []
    again = meal_import_commit(actor=street_cadre, meal_import=again)
    assert again.status == MealImport.Status.CHECKED
    assert Delivery.objects.count() == 2  # the unsubsidised meal was not doubled either


def test_a_changed_file_doubling_subsidised_meals_is_refused(
    partner_staff, partner_p, meal_item, diners
):
    meal_import_commit(
        actor=partner_staff,
        meal_import=upload(partner_staff, partner_p, meal_item, [row(diners[0])]),
    )

    job = upload(partner_staff, partner_p, meal_item, [row(diners[0]), row(diners[1])])

    assert job.status == MealImport.Status.FAILED
    assert errors_of(job) == [(2, "餐次", "double_in_database")]


def test_commit_checks_again_and_writes_nothing_if_meals_arrived_meanwhile(
    partner_staff, other_partner_staff, partner_p, partner_q, meal_item, diners
):
    job = upload(partner_staff, partner_p, meal_item, [row(diners[0]), row(diners[1])])
    assert job.status == MealImport.Status.CHECKED
    # Meanwhile another canteen records diners[1]'s subsidised lunch that day.
    other = upload(other_partner_staff, partner_q, meal_item, [row(diners[1])])
    meal_import_commit(actor=other_partner_staff, meal_import=other)

    job = meal_import_commit(actor=partner_staff, meal_import=job)

    assert job.status == MealImport.Status.FAILED
    assert job.report["changed_since_check"] is True
    assert errors_of(job) == [(3, "餐次", "double_in_database")]
    assert Delivery.objects.filter(partner=partner_p).count() == 0


def test_meals_of_any_registered_resident(partner_staff, partner_p, meal_item, resident_b):
    """A canteen serves walk-ins: resident_b (grid B) is not referred to partner P."""
    job = upload(partner_staff, partner_p, meal_item, [row(resident_b)])

    job = meal_import_commit(actor=partner_staff, meal_import=job)

    assert job.status == MealImport.Status.COMMITTED
    assert Delivery.objects.get().resident == resident_b


# --- Pages ---------------------------------------------------------------------------------


def test_upload_check_and_import_through_the_pages(
    client, partner_staff, partner_p, meal_item, diners
):
    login(client, partner_staff)
    response = client.post(
        reverse("services:meal-import-upload"),
        {
            "partner": partner_p.pk,
            "service_item": meal_item.pk,
            "file": csv_upload([row(diners[0]), row(diners[1])]),
        },
    )
    assert response.status_code == 302
    job = MealImport.objects.get()
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    assert detail.context["can_commit"] is True
    assert 'data-testid="meal-import-commit"' in detail.content.decode()

    committed = client.post(reverse("services:meal-import-commit", args=[job.pk]), follow=True)

    assert committed.status_code == 200
    assert Delivery.objects.count() == 2
    assert committed.context["can_commit"] is False


def test_the_report_page_lists_every_error(client, street_cadre, partner_p, meal_item, diners):
    job = upload(
        street_cadre,
        partner_p,
        meal_item,
        [row(diners[0], slot="宵夜"), row(diners[1], name="某某")],
    )
    login(client, street_cadre)

    page = client.get(reverse("services:meal-import-detail", args=[job.pk]))

    assert page.content.decode().count('data-testid="import-error"') == 2
    assert page.context["can_commit"] is False


def test_an_unreadable_upload_shows_the_error(client, partner_staff, partner_p, meal_item):
    login(client, partner_staff)
    response = client.post(
        reverse("services:meal-import-upload"),
        {
            "partner": partner_p.pk,
            "service_item": meal_item.pk,
            "file": SimpleUploadedFile("m.txt", b"hello"),
        },
    )

    assert response.status_code == 400
    assert "file" in response.context["form"].errors
    assert not MealImport.objects.exists()


def test_pages_matrix(
    request, partner_staff, other_partner_staff, partner_p, partner_q, meal_item, diners
):
    mine = upload(partner_staff, partner_p, meal_item, [row(diners[0])])
    theirs = upload(other_partner_staff, partner_q, meal_item, [row(diners[1])])
    actions = {
        "list": Call("get", reverse("services:meal-import-list")),
        "upload": Call("get", reverse("services:meal-import-upload")),
        "mine": Call("get", reverse("services:meal-import-detail", args=[mine.pk])),
        "theirs": Call("get", reverse("services:meal-import-detail", args=[theirs.pk])),
        "commit_theirs": Call("post", reverse("services:meal-import-commit", args=[theirs.pk])),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           list  upload  mine  theirs  commit_theirs
        street_admin       200   200     200   200     302
        street_cadre       200   200     200   200     302
        community_cadre    403   403     404   404     404
        grid_leader        403   403     404   404     404
        grid_worker        403   403     404   404     404
        other_grid_worker  403   403     404   404     404
        partner_staff      200   200     200   404     404
        party_officer      403   403     404   404     404
        outsider           403   403     404   404     404
        anonymous          302   302     302   302     302
        """,
        perform=page_call,
    )
    assert not Delivery.objects.filter(meal_import=theirs).exists()


def test_a_second_click_on_import_writes_nothing_and_says_nothing(
    client, partner_staff, partner_p, meal_item, diners
):
    login(client, partner_staff)
    job = upload(partner_staff, partner_p, meal_item, [row(diners[0])])
    commit = reverse("services:meal-import-commit", args=[job.pk])

    first = client.post(commit, follow=True)  # the page after the redirect shows the message
    said_first = [str(m) for m in messages.get_messages(first.wsgi_request)]
    second = client.post(commit, follow=True)
    said_second = [str(m) for m in messages.get_messages(second.wsgi_request)]

    assert Delivery.objects.count() == 1
    assert len(said_first) == 1
    assert said_second == []
