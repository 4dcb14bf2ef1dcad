"""Uploads: a size cap, zip-bomb and entry-count caps checked before openpyxl opens a workbook,
content that must be what the name claims, and stored files served only through scoped views.

The checks live in portal/uploads.py; every upload path calls them: the spreadsheet kit's
reader (registry import, meal import), the reporting intake's form reader, visit photos,
service-hours evidence (page and API) and alliance agreement scans (page and API).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import Resolver404, resolve, reverse
from openpyxl import Workbook

from portal.uploads import DOCUMENT, PHOTO, SPREADSHEET, upload_check
from tests.helpers import login
from tests.security.conftest import COUNTS

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def workbook_bytes(rows=(("户号", "网格编码", "姓名"),)) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def zip_bomb(unpacked_mb: int = 250) -> bytes:
    """A real workbook with one extra part of `unpacked_mb` MB of zeros: a few hundred KB
    packed (compressing zeros costs well under a second)."""
    buffer = io.BytesIO(workbook_bytes())
    with (
        zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/media/padding.xml", "w", force_zip64=True) as part,
    ):
        for _ in range(unpacked_mb):
            part.write(b"\x00" * MB)
    return buffer.getvalue()


def many_parts(count: int) -> bytes:
    buffer = io.BytesIO(workbook_bytes())
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_STORED) as archive:
        for n in range(count):
            archive.writestr(f"xl/extra/p{n}.xml", b"<a/>")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def _codes(exc: ValidationError) -> set[str]:
    return {error.code for error in exc.error_list}


# --- The checks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "kinds", "code"),
    [
        ("名单.xlsx", b"not a zip at all", SPREADSHEET, "unreadable"),
        ("名单.xlsx", b"PK\x03\x04 but a broken zip", SPREADSHEET, "unreadable"),
        ("名单.csv", PDF, SPREADSHEET, "file_content"),
        ("名单.csv", b"\x00\x01\x02binary", SPREADSHEET, "file_content"),
        ("名单.xls", b"\xd0\xcf\x11\xe0", SPREADSHEET, "file_type"),
        ("协议.pdf", b"<html><script>alert(1)</script>", DOCUMENT, "file_content"),
        ("协议.pdf", JPEG, DOCUMENT, "file_content"),
        ("照片.jpg", b"GIF89a not a jpeg", PHOTO, "file_content"),
        ("照片.jpg", PDF, PHOTO, "file_content"),
        ("照片.png", JPEG, PHOTO, "file_content"),
        ("照片.svg", b"<svg onload=alert(1)>", PHOTO, "file_type"),
        ("页面.html", b"<html>", DOCUMENT, "file_type"),
        ("无扩展名", PDF, DOCUMENT, "file_type"),
    ],
)
def test_content_must_be_what_the_name_claims(name, content, kinds, code):
    COUNTS["uploads: refused files"] += 1
    with pytest.raises(ValidationError) as caught:
        upload_check(upload(name, content), kinds=kinds)
    assert code in _codes(caught.value)


@pytest.mark.parametrize(
    ("name", "content", "kinds"),
    [
        ("名单.xlsx", workbook_bytes(), SPREADSHEET),
        ("名单.csv", "户号,姓名\nHH1,王\n".encode(), SPREADSHEET),
        ("名单.csv", "户号,姓名\n".encode("gb18030"), SPREADSHEET),
        ("协议.PDF", PDF, DOCUMENT),
        ("照片.jpeg", JPEG, PHOTO),
        ("照片.png", PNG, DOCUMENT),
    ],
)
def test_files_that_are_what_they_claim_pass(name, content, kinds):
    file = upload(name, content)
    assert upload_check(file, kinds=kinds) in kinds
    assert file.tell() == 0  # left at its start, to be read or stored


def test_the_size_cap_is_a_setting_and_callers_may_ask_for_less():
    big = upload("协议.pdf", PDF + b"\x00" * (2 * MB))
    with override_settings(UPLOAD_MAX_BYTES=1 * MB), pytest.raises(ValidationError) as caught:
        upload_check(big, kinds=DOCUMENT)
    assert "file_size" in _codes(caught.value)
    with pytest.raises(ValidationError) as caught:
        upload_check(big, kinds=DOCUMENT, max_bytes=1 * MB)
    assert "file_size" in _codes(caught.value)
    # a caller cannot raise the cap above the setting
    with override_settings(UPLOAD_MAX_BYTES=1 * MB), pytest.raises(ValidationError):
        upload_check(big, kinds=DOCUMENT, max_bytes=50 * MB)
    assert upload_check(big, kinds=DOCUMENT) == "pdf"  # 10 MB by default


def test_a_zip_bomb_is_refused_from_its_directory():
    bomb = zip_bomb(250)
    assert len(bomb) < 2 * MB  # small packed: the size cap alone would let it in
    with pytest.raises(ValidationError) as caught:
        upload_check(upload("名单.xlsx", bomb), kinds=SPREADSHEET)
    assert "xlsx_size" in _codes(caught.value)
    COUNTS["uploads: refused files"] += 1


def test_a_workbook_of_too_many_parts_is_refused():
    with pytest.raises(ValidationError) as caught:
        upload_check(upload("名单.xlsx", many_parts(1_001)), kinds=SPREADSHEET)
    assert "xlsx_entries" in _codes(caught.value)
    COUNTS["uploads: refused files"] += 1


def test_a_zip_that_is_no_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ValidationError) as caught:
        upload_check(upload("名单.xlsx", buffer.getvalue()), kinds=SPREADSHEET)
    assert "unreadable" in _codes(caught.value)


# --- Every upload path calls them ----------------------------------------------------------------


def test_the_registry_import_refuses_a_bomb_before_reading_it(english, community_cadre):
    from grids.models import ImportJob

    login(english, community_cadre)
    response = english.post(
        reverse("grids:import-upload"), {"file": upload("居民.xlsx", zip_bomb(250))}
    )
    assert response.status_code in (200, 400)
    assert "The workbook unpacks to more than 200 MB" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_spreadsheet_reader_checks_a_stored_workbook_again():
    from grids import imports
    from portal.spreadsheets import read_sheet

    with pytest.raises(ValidationError):
        read_sheet(io.BytesIO(zip_bomb(250)), filename="stored.xlsx", columns=imports.COLUMNS)


def test_the_meal_import_refuses_a_bomb_and_wrong_content(partner_staff, partner_p):
    from services.deliveries import meal_import
    from services.models import MealImport
    from tests.services.factories import MealItemFactory

    meal = MealItemFactory(partners=[partner_p])
    for file in (upload("餐.xlsx", zip_bomb(250)), upload("餐.csv", PDF)):
        with pytest.raises(ValidationError) as caught:
            meal_import.meal_import_create(
                actor=partner_staff, partner=partner_p, service_item=meal, uploaded_file=file
            )
        assert "file" in caught.value.message_dict
    assert not MealImport.objects.exists()


def test_the_reporting_intake_refuses_a_bomb_and_wrong_content():
    from reporting.intake.sheets import read_labels

    with override_settings(UPLOAD_XLSX_MAX_UNCOMPRESSED=10 * MB):
        for file in (upload("表.xlsx", zip_bomb(20)), upload("表.csv", b"\x00\x00binary")):
            with pytest.raises(ValidationError) as caught:
                read_labels(file)
            assert "file" in caught.value.message_dict


def test_a_visit_photo_must_be_a_picture():
    from grids.visit_forms import VisitForm

    for name, content in (("p.jpg", PDF), ("p.svg", b"<svg onload=alert(1)>")):
        form = VisitForm(
            {}, {"photo": SimpleUploadedFile(name, content, content_type="image/jpeg")}
        )
        form.is_valid()
        assert "photo" in form.errors, (name, form.errors)
    form = VisitForm({}, {"photo": SimpleUploadedFile("p.jpg", JPEG, content_type="image/jpeg")})
    form.is_valid()
    assert "photo" not in form.errors


def test_evidence_and_scans_are_checked_on_pages_and_the_api():
    from partybuilding.alliances.api import AgreementSerializer
    from partybuilding.serving.api import ServiceHoursSerializer

    fake = SimpleUploadedFile(
        "scan.pdf", b"MZ\x90\x00 an executable", content_type="application/pdf"
    )
    with pytest.raises(ValidationError):
        ServiceHoursSerializer().validate_evidence(fake)
    with pytest.raises(ValidationError):
        AgreementSerializer().validate_scanned_copy(fake)
    good = SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")
    assert ServiceHoursSerializer().validate_evidence(good) is good


def test_an_agreement_scan_posted_to_the_api_must_be_a_pdf_or_picture(party_officer):
    from rest_framework.test import APIClient

    from partybuilding.models import AllianceAgreement
    from tests.partybuilding.factories import AllianceFactory, AllianceMemberFactory

    alliance = AllianceFactory()
    lead = AllianceMemberFactory(alliance=alliance)
    client = APIClient()
    client.force_authenticate(party_officer)
    response = client.post(
        "/api/v1/alliance-agreements/",
        {
            "alliance": alliance.pk,
            "title": "1+N 协议",
            "signed_on": "2025-01-01",
            "term_start": "2025-01-01",
            "term_end": "2026-12-31",
            "lead": lead.pk,
            "parties": [lead.pk],
            "scanned_copy": SimpleUploadedFile("a.pdf", b"<html>not a pdf</html>"),
        },
        format="multipart",
    )
    assert response.status_code == 400, response.content
    assert "scanned_copy" in response.json()
    assert not AllianceAgreement.objects.exists()


# --- Stored files are served only through scoped views -------------------------------------------


def test_media_url_is_not_routed(client, street_admin):
    """Nothing serves MEDIA_URL: a stored file's path answers 404 even to the street admin."""
    path = "/" + settings.MEDIA_URL.lstrip("/") + "partybuilding/evidence/2025/06/p.jpg"
    with pytest.raises(Resolver404):
        resolve(path)
    assert login(client, street_admin).get(path).status_code == 404


def test_no_template_links_a_stored_file_directly():
    """Templates link the scoped views, never `<file field>.url`."""
    root = Path(settings.BASE_DIR) / "templates"
    direct = re.compile(r"\.(photo|evidence|scanned_copy|file)\.url\b")
    offenders = [
        f"{path.relative_to(root)}:{n}"
        for path in root.rglob("*.html")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if direct.search(line)
    ]
    assert not offenders, offenders


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_an_agreement_scan_is_served_only_within_scope(
    media, client, party_officer, grid_worker, outsider
):
    from tests.partybuilding.factories import AllianceAgreementFactory

    agreement = AllianceAgreementFactory()
    agreement.scanned_copy = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    agreement.save()
    url = reverse("partybuilding:alliance-agreement-scan", args=[agreement.pk])
    response = login(client, party_officer).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    missing = reverse("partybuilding:alliance-agreement-scan", args=[agreement.pk + 1000])
    for person in (grid_worker, outsider):
        assert login(client, person).get(url).status_code == 404
        assert client.get(missing).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_visit_photos_are_served_only_within_scope(
    media, client, grid_worker, other_grid_worker, resident_a, outsider
):
    """(Service-hours evidence: tests/partybuilding/test_serving_access.py.)"""
    from grids.models import Visit

    visit = Visit.objects.create(
        household=resident_a.household,
        resident=resident_a,
        visitor=grid_worker,
        photo=SimpleUploadedFile("v.jpg", JPEG, content_type="image/jpeg"),
    )
    url = reverse("grids:visit-photo", args=[visit.pk])
    assert login(client, grid_worker).get(url).status_code == 200
    for person in (other_grid_worker, outsider):
        assert login(client, person).get(url).status_code == 404


def test_the_api_links_a_scan_through_its_scoped_view(media, party_officer):
    from rest_framework.test import APIClient

    from tests.partybuilding.factories import AllianceAgreementFactory

    agreement = AllianceAgreementFactory()
    agreement.scanned_copy = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    agreement.save()
    client = APIClient()
    client.force_authenticate(party_officer)
    link = client.get(f"/api/v1/alliance-agreements/{agreement.pk}/").json()["scanned_copy"]
    scoped = reverse("partybuilding:alliance-agreement-scan", args=[agreement.pk])
    assert link.endswith(scoped), link
    assert settings.MEDIA_URL not in link
