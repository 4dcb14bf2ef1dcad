"""The importer's bulk paths (grids/writes/imports.py): COPY in batches, heads set per batch,
one audit event per import — and the same behaviour as one row at a time."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grids.models import Building, Dwelling, Household, ImportJob, Resident
from grids.writes import imports as import_writes
from grids.writes.imports import import_job_commit_start, import_job_create
from portal.models import AuditEvent
from tests.grids.factories import HouseholdFactory, ResidentFactory
from tests.grids.test_import import _counts, _csv, _errors, _id, _row

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMPORT_INLINE_ROWS = 1_000  # checked and committed inline, as a page upload is


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of 4, so that a file of a few rows crosses several of them."""
    monkeypatch.setattr(import_writes, "_WRITE_BATCH", 4)


def _import(actor, rows) -> ImportJob:
    job = import_job_create(actor=actor, uploaded_file=_csv(rows))
    assert job.report["errors"] == [], job.report["errors"]
    return import_job_commit_start(actor=actor, job=job)


def _snapshot() -> list[tuple]:
    """Every stored column of the registry (ciphertext included): what a re-import must keep."""
    residents = Resident.objects.order_by("pk").values_list(
        "pk",
        "name",
        "id_number_hash",
        "phone_hash",
        "sex",
        "birth_date",
        "household_id",
        "data_source",
        "updated_at",
    )
    households = Household.objects.order_by("pk").values_list(
        "pk", "number", "grid_id", "dwelling_id", "head_id", "kind", "updated_at"
    )
    return [
        *residents,
        *households,
        *Dwelling.objects.values_list(),
        *Building.objects.values_list(),
    ]


def test_rows_written_in_several_batches_read_back_as_imported(
    small_batches, community_cadre, grid_a
):
    rows = [_row(grid_a, n, data_source="社区\\入户\t采集") for n in range(10)]

    job = _import(community_cadre, rows)

    assert job.status == ImportJob.Status.COMMITTED
    assert Resident.objects.count() == 10
    id_field = Resident._meta.get_field("id_number")
    for n in range(10):
        resident = Resident.objects.get(id_number_hash=id_field.hash_of(_id(n)))
        assert resident.id_number == _id(n)  # encrypted, and decrypts
        assert resident.phone == f"139{n:08d}"
        assert resident.phone_hash == Resident._meta.get_field("phone").hash_of(resident.phone)
        assert resident.name == f"导入居民{n}"
        assert resident.data_source == "社区\\入户\t采集"  # COPY's escapes kept the text as it is
        assert resident.created_at is not None and resident.updated_at is not None
        assert resident.household.number == f"IMP-{n // 2:04d}"
        if n % 2 == 0:
            assert resident.household.head == resident
    assert Household.objects.filter(head__isnull=True).count() == 0
    # A new resident after the import takes the next key: the sequence moved with the COPY.
    later = ResidentFactory(household=Household.objects.first())
    assert later.pk > max(Resident.objects.exclude(pk=later.pk).values_list("pk", flat=True))


def test_bad_rows_are_still_reported_each_with_its_row_and_nothing_is_written(
    small_batches, community_cadre, grid_a
):
    rows = [_row(grid_a, n) for n in range(12)]
    rows[3]["id_number"] = "110105194912310021"  # wrong check character
    rows[9]["phone"] = "12345"

    job = import_job_create(actor=community_cadre, uploaded_file=_csv(rows))

    assert _errors(job) == {(5, "证件号码", "id_checksum"), (11, "联系电话", "phone")}
    with pytest.raises(ValidationError):
        import_job_commit_start(actor=community_cadre, job=job)
    assert Resident.objects.count() == 0


def test_importing_the_same_file_again_changes_nothing_at_all(
    small_batches, community_cadre, grid_a
):
    rows = [_row(grid_a, n) for n in range(10)]
    _import(community_cadre, rows)
    before = _snapshot()

    again = _import(community_cadre, rows)

    assert again.report["counts"]["total"] == {"created": 0, "updated": 0}
    assert _snapshot() == before


def test_existing_residents_are_updated_in_batches_and_stay_searchable(
    small_batches, community_cadre, grid_a
):
    rows = [_row(grid_a, n) for n in range(10)]
    _import(community_cadre, rows)
    moved = HouseholdFactory(grid=grid_a, number="IMP-MOVED")
    for n in (1, 5, 9):
        rows[n] |= {"phone": f"138{n:08d}", "household_number": moved.number, "building": ""}
        rows[n] |= {"unit": "", "room": "", "relation_to_head": "子女"}

    job = _import(community_cadre, rows)

    assert _counts(job)["residents"] == (0, 3)
    phone = Resident._meta.get_field("phone")
    for n in (1, 5, 9):
        resident = Resident.objects.get(phone_hash=phone.hash_of(f"138{n:08d}"))
        assert resident.id_number == _id(n)
        assert resident.household == moved
    assert Resident.objects.count() == 10


def test_one_audit_event_per_import_holds_its_counts(small_batches, community_cadre, grid_a):
    job = _import(community_cadre, [_row(grid_a, n) for n in range(10)])

    event = AuditEvent.objects.get(action="import.commit")
    assert event.object_id == str(job.pk)
    assert event.details["rows"] == 10
    assert event.details["counts"]["residents"] == {"created": 10, "updated": 0}
    assert event.details["counts"]["households"] == {"created": 5, "updated": 0}


def _queries(func) -> int:
    with CaptureQueriesContext(connection) as captured:
        func()
    return len(captured.captured_queries)


def test_an_import_of_200_rows_makes_as_many_queries_as_one_of_10(community_cadre, grid_a):
    # Lookups go in chunks of 2,000 values and writes in batches of 1,000 rows: up to there
    # the count is the same for any number of rows.
    def measure(first: int, count: int) -> tuple[int, int]:
        rows = [_row(grid_a, n) for n in range(first, first + count)]
        jobs = []

        def upload():
            jobs.append(import_job_create(actor=community_cadre, uploaded_file=_csv(rows)))

        def commit():
            jobs.append(import_job_commit_start(actor=community_cadre, job=jobs[0]))

        counts = _queries(upload), _queries(commit)
        assert jobs[-1].status == ImportJob.Status.COMMITTED
        assert jobs[-1].report["counts"]["residents"] == {"created": count, "updated": 0}
        return counts

    measure(10_000, 2)  # warm caches (content types, the user's permissions), the building
    small = measure(0, 10)
    large = measure(1_000, 200)

    assert large == small


def test_copy_writes_every_column_as_bulk_create_would():
    """Text with tabs, newlines and backslashes, empty values, dates, times, booleans, keys and
    encrypted columns with their blind indexes: the importer's COPY and Django's bulk_create
    store the same values."""
    household = HouseholdFactory()
    template = ResidentFactory.build(household=household)

    def made(name: str, id_number: str) -> Resident:
        return Resident(
            name=name,
            id_number=id_number,
            sex=template.sex,
            birth_date=template.birth_date,
            household=household,
            phone=" +86 138-0000-0001 ",  # normalised and hashed on the way in
            separated=True,
            data_source="街道\t排查\\N\n第二行\r",
            deceased_date=None,
        )

    copied, created = made("复制\\写入", _id(3)), made("逐行写入", _id(4))
    import_writes._insert(Resident, [copied])
    Resident.objects.bulk_create([created])

    own = {"id", "name", "id_number", "id_number_hash", "created_at", "updated_at"}
    columns = [f.attname for f in Resident._meta.concrete_fields if f.attname not in own]
    by_copy = Resident.objects.filter(pk=copied.pk).values(*columns).get()
    by_django = Resident.objects.filter(pk=created.pk).values(*columns).get()
    assert {c for c in columns if by_copy[c] != by_django[c]} == set()
    assert by_copy["data_source"] == "街道\t排查\\N\n第二行\r"
    assert by_copy["phone"] == "13800000001" and by_copy["phone_hash"]
    stored = Resident.objects.get(pk=copied.pk)
    assert stored.name == "复制\\写入" and stored.id_number == _id(3)
    assert Resident.objects.get(id_number_hash=stored.id_number_hash).pk == copied.pk
    assert stored.created_at is not None and copied._state.adding is False
