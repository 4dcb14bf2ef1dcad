"""Small fixes of issue 12 on the registry's pages: an export that imports again, the coverage
legend, the resident list on a desktop, and no "---------" on a select."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from grids import coverage, imports
from grids.writes.imports import import_job_commit_start, import_job_create
from portal.ui import CHOOSE
from tests.grids.factories import GridFactory
from tests.grids.test_import import _csv, _row
from tests.helpers import login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _square(lon, lat, size=0.002):
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


# --- The export is the import's layout ------------------------------------------------------


def test_an_unmasked_resident_export_imports_again_and_changes_nothing(
    client, street_admin, grid_a, resident_a
):
    rows = [
        _row(grid_a, 0, dwelling_use="出租", political_status="中共党员", data_source="入户采集"),
        _row(grid_a, 1, household_kind="户籍户", separated="是", population_type="流动"),
        _row(grid_a, 2, building="", unit="", room="", household_kind="居住户", ethnicity="回族"),
    ]
    job = import_job_create(actor=street_admin, uploaded_file=_csv(rows))
    assert job.report["errors"] == []
    import_job_commit_start(actor=street_admin, job=job)

    login(client, street_admin)
    response = client.get(reverse("grids:resident-export"), {"format": "xlsx", "unmasked": "1"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    exported = list(sheet.iter_rows(values_only=True))
    assert list(exported[0]) == [column.header for column in imports.COLUMNS]
    assert len(exported) == 1 + 4  # the three imported and resident_a

    again = import_job_create(
        actor=street_admin,
        uploaded_file=SimpleUploadedFile("residents.xlsx", response.content),
    )
    assert again.report["errors"] == []
    assert again.report["counts"]["total"] == {"created": 0, "updated": 0}


def test_a_masked_export_has_the_same_layout_and_no_clear_id_number(
    client, grid_worker, resident_a
):
    login(client, grid_worker)
    response = client.get(reverse("grids:resident-export"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, row = list(sheet.iter_rows(values_only=True))
    assert list(header) == [column.header for column in imports.COLUMNS]
    values = dict(zip([c.key for c in imports.COLUMNS], row, strict=True))
    assert values["name"] == resident_a.name
    assert values["id_number"] == resident_a.id_number_masked != resident_a.id_number
    assert values["household_number"] == resident_a.household.number


# --- The coverage legend ----------------------------------------------------------------------


def _legend(page: str) -> str:
    match = re.search(r'data-testid="coverage-legend".*?</ul>', page, re.S)
    return match.group(0) if match else ""


def test_the_coverage_legend_shows_only_the_colours_a_grid_has(
    client, community_cadre, community_a, grid_a
):
    grid_a.boundary = _square(120.64, 27.77)
    grid_a.save(update_fields=["boundary"])  # no worker: uncovered (red)
    login(client, community_cadre)
    legend = _legend(client.get(reverse("grids:coverage-map")).content.decode())
    assert coverage.STATUS_COLOURS[coverage.UNCOVERED] in legend
    assert coverage.STATUS_COLOURS[coverage.COVERED] not in legend
    assert coverage.STATUS_COLOURS[coverage.OVER_CAP_STATUS] not in legend


def test_no_legend_without_a_grid_to_draw(client, community_cadre, community_a):
    GridFactory(community=community_a, boundary=None)
    login(client, community_cadre)
    page = client.get(reverse("grids:coverage-map")).content.decode()
    assert 'data-testid="coverage-legend"' not in page


# --- The resident list ------------------------------------------------------------------------


def test_the_resident_list_is_a_table_on_a_desktop_with_the_total(client, grid_worker, resident_a):
    login(client, grid_worker)
    page = client.get(reverse("grids:resident-list")).content.decode()
    table = re.search(r'<div class="card shadow-sm d-none d-md-block">.*?</table>', page, re.S)
    assert table and resident_a.name in table.group(0)
    assert table.group(0).count('data-testid="resident-table-row"') == 1
    assert 'class="list-group shadow-sm d-md-none"' in page  # the phone keeps its cards
    total = re.search(r'data-testid="resident-total">([^<]*)<', page).group(1)
    assert "1" in total


# --- Selects ----------------------------------------------------------------------------------


def test_no_select_shows_djangos_dashes(client, street_admin, resident_a):
    login(client, street_admin)
    page = client.get(reverse("grids:resident-create")).content.decode()
    assert "<select" in page
    assert "---------" not in page
    assert f">{CHOOSE}</option>" in page
