"""Importing households and residents: the dry run, all-or-nothing commit, scope, formats,
the background job, the pages, and the household export."""

import csv
import io
import re
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from grids import imports
from grids import writes as grid_writes
from grids.models import Building, Dwelling, Household, ImportJob, Resident
from grids.policy import access_import_job_commit, access_import_job_create
from grids.writes import imports as import_writes
from grids.writes.imports import import_job_commit_start, import_job_create
from portal.models import AuditEvent
from portal.policy import allowed
from portal.roles import Role
from portal.validators import citizen_id_make, mask_citizen_id
from tests.grids.factories import GridFactory, HouseholdFactory, ResidentFactory
from tests.helpers import Call, assert_access_matrix, assert_constant_queries, login, page_call
from tests.portal.factories import UserFactory

HEADERS = [c.header for c in imports.COLUMNS]
KEYS = [c.key for c in imports.COLUMNS]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _id(n: int, *, male: bool = False, born: date = date(1960, 1, 1)) -> str:
    """A valid citizen ID number; `n` makes it unique (the sequence's parity gives the sex)."""
    sequence = (n % 400) * 2 + (1 if male else 2)
    return citizen_id_make(
        area_code="330381", birth_date=born + timedelta(days=n // 400), sequence=sequence
    )


def _row(grid, n: int, **values) -> dict:
    row = {
        "household_number": f"IMP-{n // 2:04d}",  # two residents per household
        "grid_code": grid.code,
        "household_kind": "户籍户",
        "building": "江滨花园3幢",
        "unit": "2",
        "room": f"{100 + n // 2}",
        "name": f"导入居民{n}",
        "id_number": _id(n),
        "sex": "女",
        "phone": f"139{n:08d}",
        "relation_to_head": "户主" if n % 2 == 0 else "配偶",
        "population_type": "户籍",
        "separated": "否",
    }
    row.update(values)
    return row


def _cells(rows: list[dict]) -> list[list[str]]:
    return [HEADERS] + [[row.get(key, "") for key in KEYS] for row in rows]


def _csv(rows, *, encoding="utf-8-sig", name="居民.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(_cells(rows))
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), content_type="text/csv")


def _xlsx(rows, *, name="居民.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    for cells in _cells(rows):
        workbook.active.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def _errors(job) -> set[tuple[int, str, str]]:
    return {(e["row"], e["column"], e["code"]) for e in job.report["errors"]}


def _counts(job) -> dict:
    counts = job.report["counts"]
    return {k: (v["created"], v["updated"]) for k, v in counts.items()}


def _registry_size() -> tuple[int, int, int, int]:
    return (
        Building.objects.count(),
        Dwelling.objects.count(),
        Household.objects.count(),
        Resident.objects.count(),
    )


# --- The dry run and the commit ---------------------------------------------------------


@pytest.mark.django_db
def test_a_clean_file_is_checked_without_writing_then_committed(community_cadre, grid_a):
    rows = [_row(grid_a, n) for n in range(4)]
    job = import_job_create(actor=community_cadre, uploaded_file=_xlsx(rows))

    assert job.status == ImportJob.Status.CHECKED
    assert job.report["errors"] == []
    assert _counts(job) == {
        "buildings": (1, 0),
        "dwellings": (2, 0),
        "households": (2, 0),
        "residents": (4, 0),
        "total": (9, 0),
    }
    assert _registry_size() == (0, 0, 0, 0)  # the dry run wrote nothing

    job = import_job_commit_start(actor=community_cadre, job=job)

    assert job.status == ImportJob.Status.COMMITTED
    assert (job.processed_rows, job.progress_percent) == (4, 100)
    assert _registry_size() == (1, 2, 2, 4)
    id_field = Resident._meta.get_field("id_number")
    first = Resident.objects.get(id_number_hash=id_field.hash_of(_id(0)))
    assert (first.name, first.sex, first.birth_date) == ("导入居民0", "female", date(1960, 1, 1))
    assert first.phone == "13900000000"
    household = first.household
    assert (household.number, household.grid, household.head) == ("IMP-0000", grid_a, first)
    with translation.override("zh-hans"):
        assert str(household.dwelling) == "江滨花园3幢 2单元100室"
    assert household.dwelling.building.grid == grid_a
    assert set(household.members.values_list("name", flat=True)) == {"导入居民0", "导入居民1"}
    event = AuditEvent.objects.get(action="import.commit")
    assert event.actor == community_cadre
    assert event.details["counts"]["residents"] == {"created": 4, "updated": 0}


@pytest.mark.django_db
def test_importing_the_same_file_again_changes_nothing(community_cadre, grid_a):
    rows = [_row(grid_a, n) for n in range(6)]
    first = import_job_create(actor=community_cadre, uploaded_file=_csv(rows))
    import_job_commit_start(actor=community_cadre, job=first)
    before = _registry_size()
    snapshot = list(Resident.objects.order_by("pk").values_list("pk", "name", "phone_hash"))

    again = import_job_create(actor=community_cadre, uploaded_file=_csv(rows))
    assert again.report["errors"] == []
    assert again.report["counts"]["total"] == {"created": 0, "updated": 0}
    again = import_job_commit_start(actor=community_cadre, job=again)

    assert again.status == ImportJob.Status.COMMITTED
    assert again.report["counts"]["total"] == {"created": 0, "updated": 0}
    assert _registry_size() == before
    assert list(Resident.objects.order_by("pk").values_list("pk", "name", "phone_hash")) == (
        snapshot
    )


@pytest.mark.django_db
def test_an_existing_resident_in_scope_is_updated_and_stays_searchable(
    community_cadre, grid_a, resident_a
):
    from grids import selectors

    row = _row(
        grid_a,
        0,
        household_number=resident_a.household.number,
        id_number=resident_a.id_number,
        name=resident_a.name,
        sex="",
        phone="139 0000 0001",
        building="",
        unit="",
        room="",
    )
    job = import_job_create(actor=community_cadre, uploaded_file=_csv([row]))
    assert job.report["errors"] == []
    assert _counts(job)["residents"] == (0, 1)
    import_job_commit_start(actor=community_cadre, job=job)

    resident_a.refresh_from_db()
    assert resident_a.phone == "13900000001"
    assert list(selectors.resident_list(actor=community_cadre, search="13900000001")) == [
        resident_a
    ]


@pytest.mark.django_db
def test_every_bad_row_is_reported_with_row_and_column_and_nothing_is_written(
    community_cadre, grid_a
):
    rows = [
        _row(grid_a, 0),  # row 2: fine
        _row(grid_a, 1, id_number=_id(1)[:-1] + ("0" if _id(1)[-1] != "0" else "1")),  # row 3
        _row(grid_a, 2, phone="12345"),  # row 4: not a mobile number
        _row(grid_a, 3, grid_code="330381999999999", household_number="IMP-X"),  # unknown grid
        _row(grid_a, 4, id_number=_id(0)),  # row 6: the ID number of row 2
        _row(grid_a, 5, sex="男"),  # row 7: the ID says female
        _row(grid_a, 6, birth_date="1970-02-30"),  # row 8: no such date
        _row(grid_a, 7, name="", population_type="本地"),  # row 9: name missing, bad choice
    ]
    before = _registry_size()
    job = import_job_create(actor=community_cadre, uploaded_file=_xlsx(rows))

    assert job.status == ImportJob.Status.CHECKED
    assert _errors(job) == {
        (3, "证件号码", "id_checksum"),
        (4, "联系电话", "phone"),
        (5, "网格编码", "no_such_grid"),
        (6, "证件号码", "duplicate_id"),
        (7, "性别", "sex_mismatch"),
        (8, "出生日期", "date"),
        (9, "姓名", "required"),
        (9, "人口类型", "choice"),
    }
    duplicate = next(e for e in job.report["errors"] if e["code"] == "duplicate_id")
    assert "2" in duplicate["message"]  # points at the first row with that number
    assert job.report["bad_rows"] == 7

    with pytest.raises(ValidationError):
        import_job_commit_start(actor=community_cadre, job=job)
    import_writes.import_job_commit(actor=None, job=job)  # the worker refuses it too
    assert _registry_size() == before
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.CHECKED


@pytest.mark.django_db
def test_only_the_last_row_bad_writes_nothing(community_cadre, grid_a):
    rows = [_row(grid_a, n) for n in range(30)]
    rows[-1]["id_number"] = "330381196001010000"  # wrong check character
    job = import_job_create(actor=community_cadre, uploaded_file=_csv(rows))

    assert _errors(job) == {(31, "证件号码", "id_checksum")}
    with pytest.raises(ValidationError):
        import_job_commit_start(actor=community_cadre, job=job)
    assert _registry_size() == (0, 0, 0, 0)


@pytest.mark.django_db
def test_household_rows_must_agree_and_name_one_head(community_cadre, grid_a):
    other_grid = GridFactory(community=grid_a.community)
    rows = [
        _row(grid_a, 0),
        _row(grid_a, 1, grid_code=other_grid.code, relation_to_head="户主"),
    ]
    job = import_job_create(actor=community_cadre, uploaded_file=_csv(rows))
    assert _errors(job) == {
        (3, "网格编码", "household_mismatch"),
        (3, "与户主关系", "two_heads"),
    }


@pytest.mark.django_db
def test_a_grid_outside_the_scope_reads_exactly_like_an_unknown_one(
    community_cadre, grid_a, grid_b
):
    rows = [
        _row(grid_a, 0, grid_code=grid_b.code, household_number="A"),
        _row(grid_a, 2, grid_code="330381008001999", household_number="B"),
    ]
    job = import_job_create(actor=community_cadre, uploaded_file=_csv(rows))
    outside, unknown = job.report["errors"]
    assert (outside["column"], unknown["column"]) == ("网格编码", "网格编码")
    assert outside["message"] == unknown["message"]
    assert outside["code"] == unknown["code"] == "no_such_grid"


@pytest.mark.django_db
def test_a_resident_outside_the_scope_is_an_error_that_reveals_nothing(
    client, community_cadre, grid_a, resident_b
):
    row = _row(grid_a, 0, id_number=resident_b.id_number, name="改名", sex="")
    job = import_job_create(actor=community_cadre, uploaded_file=_csv([row]))

    assert _errors(job) == {(2, "证件号码", "resident_out_of_scope")}
    login(client, community_cadre)
    page = client.get(reverse("grids:import-detail", args=[job.pk])).content.decode()
    secrets = [
        resident_b.name,
        resident_b.household.number,
        resident_b.household.grid.name,
        resident_b.household.grid.code,
        resident_b.household.grid.community.name,
    ]
    leaked = [s for s in secrets if s in page or s in str(job.report)]
    assert leaked == []
    resident_b.refresh_from_db()
    assert resident_b.name == "李建国"


@pytest.mark.django_db
def test_the_commit_checks_again_and_writes_nothing_when_the_data_changed(
    community_cadre, grid_a, grid_b
):
    rows = [_row(grid_a, n) for n in range(4)]
    job = import_job_create(actor=community_cadre, uploaded_file=_csv(rows))
    assert job.report["errors"] == []
    # Meanwhile someone registers the fourth person in community B, outside the cadre's scope.
    ResidentFactory(id_number=_id(3), household=HouseholdFactory(grid=grid_b))
    before = _registry_size()

    job = import_job_commit_start(actor=community_cadre, job=job)

    assert job.status == ImportJob.Status.CHECKED
    assert _errors(job) == {(5, "证件号码", "resident_out_of_scope")}
    assert _registry_size() == before
    assert not AuditEvent.objects.filter(action="import.commit").exists()


@pytest.mark.django_db
def test_each_step_runs_once_per_job(community_cadre, grid_a):
    job = import_job_create(actor=community_cadre, uploaded_file=_csv([_row(grid_a, 0)]))
    report = job.report
    assert import_writes.import_job_check(actor=None, job=job).report == report  # done

    import_writes.import_job_commit(actor=None, job=job)
    again = import_writes.import_job_commit(actor=None, job=job)
    import_job_commit_start(actor=community_cadre, job=job)

    assert again.status == ImportJob.Status.COMMITTED
    assert Resident.objects.count() == 1
    assert AuditEvent.objects.filter(action="import.commit").count() == 1


@pytest.mark.django_db
def test_the_import_gates(community_cadre, street_admin, grid_worker, grid_a):
    job = import_job_create(actor=community_cadre, uploaded_file=_csv([_row(grid_a, 0)]))

    assert allowed(access_import_job_create, street_admin)
    assert allowed(access_import_job_create, community_cadre)
    assert not allowed(access_import_job_create, grid_worker)
    assert allowed(access_import_job_commit, community_cadre, job)
    assert not allowed(access_import_job_commit, street_admin, job)  # only the uploader
    assert allowed(access_import_job_commit, None, job)  # the worker, for the uploader
    with pytest.raises(PermissionDenied):
        import_job_create(actor=grid_worker, uploaded_file=_csv([_row(grid_a, 2)]))
    with pytest.raises(PermissionDenied):
        import_job_commit_start(actor=street_admin, job=job)
    with pytest.raises(PermissionDenied):
        import_writes.import_job_check(actor=street_admin, job=job)
    assert Resident.objects.count() == 0


# --- Formats ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "make",
    [
        pytest.param(_xlsx, id="xlsx"),
        pytest.param(lambda rows: _csv(rows, encoding="utf-8-sig"), id="csv-utf8-bom"),
        pytest.param(lambda rows: _csv(rows, encoding="utf-8"), id="csv-utf8"),
        pytest.param(lambda rows: _csv(rows, encoding="gb18030"), id="csv-gb18030"),
    ],
)
def test_xlsx_and_csv_in_utf8_or_gb18030_import_the_same(make, community_cadre, grid_a):
    rows = [_row(grid_a, n, political_status="中共党员") for n in range(3)]
    job = import_job_create(actor=community_cadre, uploaded_file=make(rows))
    assert job.report["errors"] == []
    import_job_commit_start(actor=community_cadre, job=job)
    assert sorted(Resident.objects.values_list("name", "political_status")) == [
        ("导入居民0", "中共党员"),
        ("导入居民1", "中共党员"),
        ("导入居民2", "中共党员"),
    ]


@pytest.mark.django_db
def test_excel_dates_and_numbers_are_read_and_a_numeric_id_is_explained(community_cadre, grid_a):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["居民信息导入表"])  # a title row above the headers
    sheet.append(HEADERS)
    good = _row(grid_a, 0, birth_date="")
    bad = _row(grid_a, 2)
    for row in (good, bad):
        cells = [row.get(key, "") for key in KEYS]
        cells[KEYS.index("grid_code")] = int(grid_a.code)
        cells[KEYS.index("phone")] = float(row["phone"])
        sheet.append(cells)
    sheet.cell(row=3, column=KEYS.index("birth_date") + 1).value = date(1960, 1, 1)
    sheet.cell(row=4, column=KEYS.index("id_number") + 1).value = float(bad["id_number"][:17])
    buffer = io.BytesIO()
    workbook.save(buffer)

    job = import_job_create(
        actor=community_cadre, uploaded_file=SimpleUploadedFile("t.xlsx", buffer.getvalue())
    )

    assert [(e["row"], e["column"]) for e in job.report["errors"]] == [(4, "证件号码")]
    assert (
        "text" in job.report["errors"][0]["message"]
        or "文本" in (job.report["errors"][0]["message"])
    )
    assert _counts(job)["residents"] == (1, 0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("居民.xls", b"\xd0\xcf\x11\xe0"),
        ("居民.xlsx", b"not a zip"),
        ("居民.csv", "姓名,证件号码\n王,1\n".encode()),  # lacks 户号 and 网格编码
        ("居民.csv", "户号,网格编码,姓名,证件号码\n".encode()),  # no rows
    ],
)
def test_unusable_files_are_refused_at_upload(name, content, community_cadre):
    with pytest.raises(ValidationError) as caught:
        import_job_create(actor=community_cadre, uploaded_file=SimpleUploadedFile(name, content))
    assert "file" in caught.value.message_dict
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_more_rows_than_allowed_are_refused(settings, community_cadre, grid_a):
    settings.IMPORT_MAX_ROWS = 3
    with pytest.raises(ValidationError) as caught:
        import_job_create(
            actor=community_cadre, uploaded_file=_csv([_row(grid_a, n) for n in range(4)])
        )
    assert "3" in caught.value.message_dict["file"][0]


@pytest.mark.django_db
def test_the_template_has_the_headers_and_an_example_that_passes_the_check(
    client, community_cadre, grid_a
):
    login(client, community_cadre)
    response = client.get(reverse("grids:import-template"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    header, example = (list(r) for r in sheet.iter_rows(min_row=1, max_row=2, values_only=True))
    assert header == HEADERS
    assert example == [c.example for c in imports.COLUMNS]

    example[KEYS.index("grid_code")] = grid_a.code
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, example])
    job = import_job_create(
        actor=community_cadre,
        uploaded_file=SimpleUploadedFile("t.csv", buffer.getvalue().encode("utf-8")),
    )
    assert job.report["errors"] == []
    assert _counts(job)["residents"] == (1, 0)


def test_the_documentation_table_matches_the_layout():
    doc = (Path(django_settings.BASE_DIR) / "docs/modules/grids-import.md").read_text()
    table = [line for line in doc.splitlines() if line.startswith("| ") and "`" in line]
    documented = {}
    for line in table:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 4:
            documented[cells[0]] = (cells[1], cells[3].strip("`"))
    from django.utils import translation

    with translation.override("en"):
        expected = {
            c.header: (
                "yes" if c.required else (str(c.required_when).lower() or "no"),
                c.example,
            )
            for c in imports.COLUMNS
        }
    assert documented == expected


# --- The background job -----------------------------------------------------------------


def _wait_for(job, statuses, *, timeout=60) -> ImportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in statuses and not job.report.get("commit_queued"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job stayed {job.status} ({job.report})")


def test_a_large_file_is_checked_and_committed_by_a_worker(settings, celery_worker):
    settings.IMPORT_INLINE_ROWS = 5
    community = GridFactory().community
    grid = GridFactory(community=community)
    cadre = UserFactory(username="t_bulk", role=Role.COMMUNITY_CADRE)
    grid_writes.region_staff_grant(actor=None, person=cadre, region=community)
    rows = [_row(grid, n) for n in range(12)]

    job = import_job_create(actor=cadre, uploaded_file=_xlsx(rows))
    assert job.status == ImportJob.Status.UPLOADED  # queued, not checked during the request

    job = _wait_for(job, {ImportJob.Status.CHECKED, ImportJob.Status.FAILED})
    assert job.status == ImportJob.Status.CHECKED, job.report
    assert job.report["errors"] == []
    assert job.progress_percent == 100
    assert Resident.objects.count() == 0

    job = import_job_commit_start(actor=cadre, job=job)
    assert job.report["commit_queued"] is True
    job = _wait_for(job, {ImportJob.Status.COMMITTED, ImportJob.Status.FAILED})

    assert job.status == ImportJob.Status.COMMITTED, job.report
    assert (job.processed_rows, job.total_rows, job.progress_percent) == (12, 12, 100)
    assert Resident.objects.count() == 12
    assert job.report["counts"]["residents"] == {"created": 12, "updated": 0}
    assert AuditEvent.objects.filter(action="import.commit").count() == 1


def test_progress_inside_the_commit_transaction_is_visible_at_once(transactional_db):
    """The commit is one transaction; its progress goes through a connection of its own."""
    user = UserFactory(username="t_progress", role=Role.STREET_ADMIN)
    job = ImportJob.objects.create(uploaded_by=user, original_name="x.csv", total_rows=10)
    progress = import_writes._Progress(job)
    with transaction.atomic():
        progress(7)
        transaction.set_rollback(True)  # the import's own writes would vanish; progress stays
    progress.close()
    job.refresh_from_db()
    assert job.processed_rows == 7


# --- Pages ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_who_may_open_the_import_pages_and_whose_jobs_they_see(request, community_cadre, grid_a):
    job = import_job_create(actor=community_cadre, uploaded_file=_csv([_row(grid_a, 0)]))
    actions = {
        "upload": Call("get", reverse("grids:import-upload")),
        "list": Call("get", reverse("grids:import-list")),
        "template": Call("get", reverse("grids:import-template")),
        "detail": Call("get", reverse("grids:import-detail", args=[job.pk])),
        "progress": Call("get", reverse("grids:import-progress", args=[job.pk])),
        "commit": Call("post", reverse("grids:import-commit", args=[job.pk])),
    }
    assert_access_matrix(
        request,
        actions,
        """
                               upload  list  template  detail  progress  commit
        street_admin           200     200   200       200     200       403
        street_cadre           200     200   200       200     200       403
        community_cadre        200     200   200       200     200       302
        other_community_cadre  200     200   200       404     404       404
        grid_leader            403     403   403       404     404       404
        grid_worker            403     403   403       404     404       404
        partner_staff          403     403   403       404     404       404
        party_officer          403     403   403       404     404       404
        outsider               403     403   403       404     404       404
        anonymous              302     302   302       302     302       302
        """,
        perform=page_call,
    )


@pytest.mark.django_db
def test_the_job_list_holds_only_the_users_own_jobs(
    client, community_cadre, other_community_cadre, grid_a, street_admin
):
    cadre, other = community_cadre, other_community_cadre
    mine = import_job_create(actor=cadre, uploaded_file=_csv([_row(grid_a, 0)], name="mine.csv"))
    login(client, other)
    page = client.get(reverse("grids:import-list")).content.decode()
    assert "mine.csv" not in page
    login(client, street_admin)
    page = client.get(reverse("grids:import-list")).content.decode()
    assert "mine.csv" in page and reverse("grids:import-detail", args=[mine.pk]) in page


@pytest.mark.django_db
def test_the_job_list_uses_the_same_queries_for_1_job_and_for_20(client, community_cadre):
    login(client, community_cadre)
    assert_constant_queries(
        add_rows=lambda n: ImportJob.objects.bulk_create(
            ImportJob(
                uploaded_by=community_cadre, original_name=f"{i}.csv", report={"error_count": 1}
            )
            for i in range(n)
        ),
        fetch=lambda: client.get(reverse("grids:import-list")),
    )


@pytest.mark.django_db
def test_the_upload_page_shows_the_layout_and_links_its_documentation(client, community_cadre):
    login(client, community_cadre)
    page = client.get(reverse("grids:import-upload")).content.decode()
    for column in imports.COLUMNS:
        assert f">{column.header}</th>" in page
    assert reverse("grids:import-layout") in page
    doc = client.get(reverse("grids:import-layout"))
    assert doc.status_code == 200
    assert ">证件号码</th>" in doc.content.decode()


@pytest.mark.django_db
def test_upload_commit_and_report_through_the_pages(client, community_cadre, grid_a):
    login(client, community_cadre)
    rows = [_row(grid_a, 0), _row(grid_a, 1, phone="110")]
    response = client.post(reverse("grids:import-upload"), {"file": _csv(rows)})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert re.search(r"<td>3</td><td[^>]*>联系电话</td>", page)
    assert 'data-testid="import-commit"' not in page  # no commit button while there are errors

    good = client.post(reverse("grids:import-upload"), {"file": _csv([_row(grid_a, 0)])})
    page = client.get(good["Location"]).content.decode()
    assert 'data-testid="import-commit"' in page
    good_job = ImportJob.objects.exclude(pk=job.pk).get()
    response = client.post(reverse("grids:import-commit", args=[good_job.pk]), follow=True)
    assert 'data-testid="import-commit"' not in response.content.decode()
    assert Resident.objects.count() == 1
    done = client.get(reverse("grids:import-progress", args=[good_job.pk]))
    assert done["HX-Refresh"] == "true"  # polling stops: the page reloads with the report


@pytest.mark.django_db
def test_a_running_job_shows_a_polling_progress_bar(client, community_cadre):
    job = ImportJob.objects.create(
        uploaded_by=community_cadre,
        original_name="big.xlsx",
        status=ImportJob.Status.CHECKING,
        total_rows=200,
        processed_rows=50,
    )
    login(client, community_cadre)
    page = client.get(reverse("grids:import-detail", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page and "width: 25%" in page
    partial = client.get(reverse("grids:import-progress", args=[job.pk]))
    assert partial.status_code == 200 and "25%" in partial.content.decode()


@pytest.mark.django_db
def test_a_bad_file_is_refused_on_the_form(client, community_cadre):
    login(client, community_cadre)
    response = client.post(
        reverse("grids:import-upload"),
        {"file": SimpleUploadedFile("名单.xls", b"\xd0\xcf\x11\xe0")},
    )
    assert response.status_code == 400
    assert 'data-testid="upload-error"' in response.content.decode()
    assert not ImportJob.objects.exists()


# --- Household export -------------------------------------------------------------------


def _export_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.django_db
def test_household_export_holds_only_visible_households_masked_and_audited(
    client, grid_worker, resident_a, resident_b
):
    Household.objects.filter(pk=resident_a.household_id).update(head=resident_a)
    login(client, grid_worker)
    response = client.get(reverse("grids:household-export"), {"format": "csv", "unmasked": "1"})

    assert response.status_code == 200
    _header, *rows = _export_rows(response)
    assert [row[0] for row in rows] == [resident_a.household.number]
    assert rows[0][8] == resident_a.name
    assert rows[0][9] == mask_citizen_id(resident_a.id_number)  # no export_unmasked permission
    assert resident_a.id_number not in response.content.decode()
    assert resident_b.household.number not in response.content.decode()
    event = AuditEvent.objects.get(action="export")
    assert (event.actor, event.details["rows"], event.details["unmasked"]) == (
        grid_worker,
        1,
        False,
    )


@pytest.mark.django_db
def test_household_export_uses_the_same_queries_for_1_household_and_for_20(
    client, grid_worker, grid_a
):
    def add(n):
        for _ in range(n):
            resident = ResidentFactory(household=HouseholdFactory(grid=grid_a))
            Household.objects.filter(pk=resident.household_id).update(head=resident)

    login(client, grid_worker)
    assert_constant_queries(
        add_rows=add, fetch=lambda: client.get(reverse("grids:household-export"), {"format": "csv"})
    )


@pytest.mark.django_db
def test_household_export_unmasked_for_the_permission_holder(client, street_admin, resident_a):
    Household.objects.filter(pk=resident_a.household_id).update(head=resident_a)
    login(client, street_admin)
    response = client.get(reverse("grids:household-export"), {"format": "xlsx", "unmasked": "1"})
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[9], r[11]) for r in rows] == [
        (resident_a.household.number, resident_a.id_number, 1)
    ]
    assert AuditEvent.objects.get(action="export").details["unmasked"] is True


@pytest.mark.django_db
def test_household_export_is_refused_to_roles_without_the_registry(client, partner_staff):
    login(client, partner_staff)
    assert client.get(reverse("grids:household-export")).status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()
