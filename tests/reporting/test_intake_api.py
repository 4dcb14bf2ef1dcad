"""The department's side: forms and periods through /api/v1/, the answer it reads back, and
who may do what there (the named people of tests/conftest.py)."""

from datetime import date

import pytest

from reporting.flow import writes as flow_writes
from reporting.models import ReportTask
from tests.helpers import Call, assert_access_matrix, assert_constant_queries
from tests.reporting import flowkit

pytestmark = pytest.mark.django_db

KNOWN = ["户籍人口数", "户籍户数"]


@pytest.fixture(autouse=True)
def _catalogue(db):
    flowkit.catalogue_ensure()


@pytest.fixture
def figures(monkeypatch, community_a, community_b):
    flowkit.fake_figures(monkeypatch, community_a, community_b)


def test_withdrawn_duty_is_rejected_with_its_legal_basis_in_the_answer(integration, api_client_for):
    client = api_client_for(integration)
    form = flowkit.form_json("W1", ["出具无犯罪记录证明份数"], duty="D26")
    created = client.post("/api/v1/report-templates/", form, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["rejected"] is True
    assert "民发〔2020〕20号" in created.json()["rejection_basis"]
    task = client.post(
        "/api/v1/report-tasks/",
        {"form": "W1", "period_start": "2026-01-01", "period_end": "2026-03-31"},
        format="json",
    )
    assert task.status_code == 201, task.content
    answer = client.get(f"/api/v1/report-tasks/{task.json()['pk']}/").json()
    assert answer["state"] == "rejected"
    assert answer["answer"]["decision"] == "rejected"
    assert answer["answer"]["duty_item"] == "D26"
    assert "民发〔2020〕20号" in answer["answer"]["basis"]


def test_a_form_whose_every_field_is_computable_is_answered_from_data(
    integration, api_client_for, figures
):
    client = api_client_for(integration)
    client.post("/api/v1/report-templates/", flowkit.form_json("A1", KNOWN), format="json")
    task = client.post(
        "/api/v1/report-tasks/",
        {"form": "A1", "period_start": "2026-01-01", "period_end": "2026-03-31"},
        format="json",
    ).json()
    assert task["state"] == "answered_from_data"
    assert task["answer"] == {
        "decision": "answered_from_data",
        "values": {"A1-01": 100, "A1-02": 40},
    }
    assert not ReportTask.objects.get(pk=task["pk"]).assignments.exists()


def test_a_form_with_a_new_field_is_never_answered_from_data(integration, api_client_for, figures):
    client = api_client_for(integration)
    client.post(
        "/api/v1/report-templates/",
        flowkit.form_json("N1", [*KNOWN, "存在问题及下步计划"]),
        format="json",
    )
    task = client.post(
        "/api/v1/report-tasks/",
        {"form": "N1", "period_start": "2026-01-01", "period_end": "2026-03-31"},
        format="json",
    ).json()
    assert task["state"] == "under_review"
    assert task["answer"] == {"decision": "under_review"}


def test_a_look_alike_is_not_answered_either(integration, api_client_for, figures):
    client = api_client_for(integration)
    created = client.post(
        "/api/v1/report-templates/",
        flowkit.form_json("L1", [*KNOWN, "65周岁以上老人数"]),
        format="json",
    ).json()
    look_alike = next(f for f in created["fields"] if f["id"] == "L1-03")
    assert look_alike["relation"] == "different_basis"
    assert look_alike["element"] is None
    task = client.post(
        "/api/v1/report-tasks/",
        {"form": "L1", "period_start": "2026-01-01", "period_end": "2026-03-31"},
        format="json",
    ).json()
    assert task["state"] == "under_review"


def test_a_form_outside_the_duty_list_needs_a_filing(integration, api_client_for, figures):
    client = api_client_for(integration)
    client.post(
        "/api/v1/report-templates/", flowkit.form_json("F1", KNOWN, duty=None), format="json"
    )
    task = client.post(
        "/api/v1/report-tasks/",
        {"form": "F1", "period_start": "2026-01-01", "period_end": "2026-03-31"},
        format="json",
    ).json()
    assert task["answer"] == {"decision": "filing_needed", "filed": False}


def test_bad_input_is_a_400_with_the_field(integration, api_client_for):
    client = api_client_for(integration)
    no_fields = {**flowkit.form_json("B1", KNOWN), "fields": []}
    assert client.post("/api/v1/report-templates/", no_fields, format="json").status_code == 400
    unknown_duty = flowkit.form_json("B2", KNOWN, duty="D99")
    response = client.post("/api/v1/report-templates/", unknown_duty, format="json")
    assert response.status_code == 400
    assert "duty_item" in response.json()
    twice = flowkit.form_json("B3", KNOWN)
    twice["fields"][1]["id"] = twice["fields"][0]["id"]
    assert client.post("/api/v1/report-templates/", twice, format="json").status_code == 400


def test_an_integration_reads_only_its_own_forms_and_tasks(
    integration, street_cadre, api_client_for, figures
):
    flowkit.send_form(street_cadre, form_id="S1", labels=KNOWN)
    client = api_client_for(integration)
    client.post("/api/v1/report-templates/", flowkit.form_json("I1", KNOWN), format="json")
    ids = [row["id"] for row in client.get("/api/v1/report-templates/").json()["results"]]
    assert ids == ["I1"]
    street_ids = {
        row["id"]
        for row in api_client_for(street_cadre).get("/api/v1/report-templates/").json()["results"]
    }
    assert street_ids == {"I1", "S1"}
    other = client.post(
        "/api/v1/report-tasks/",
        {"form": "S1", "period_start": "2026-01-01", "period_end": "2026-03-31"},
        format="json",
    )
    assert other.status_code == 400  # a form it does not see is "no such form"


def test_api_access_matrix(request, street_cadre, integration, community_a):
    template = flowkit.send_form(street_cadre, form_id="M1", labels=[*KNOWN, "情况说明"])
    task = flow_writes.task_create(
        actor=street_cadre,
        template=template,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31),
    )
    period = {"form": "M1", "period_start": "2026-04-01", "period_end": "2026-06-30"}
    actions = {
        "tpl_list": Call("get", "/api/v1/report-templates/"),
        "tpl_get": Call("get", f"/api/v1/report-templates/{template.pk}/"),
        "tpl_post": Call("post", "/api/v1/report-templates/", flowkit.form_json("M2", KNOWN)),
        "task_list": Call("get", "/api/v1/report-tasks/"),
        "task_get": Call("get", f"/api/v1/report-tasks/{task.pk}/"),
        "task_post": Call("post", "/api/v1/report-tasks/", period),
        "elements": Call("get", "/api/v1/data-elements/"),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          tpl_list  tpl_get  tpl_post  task_list  task_get  task_post  elements
        street_admin      200       200      201       200        200       201        200
        street_cadre      200       200      201       200        200       201        200
        # the integration sees only what it sent: the street's form is a 404, and "no such form"
        integration       200       404      201       200        404       400        200
        # a community cadre: nothing issued to their community yet
        community_cadre   200       404      403       200        404       403        403
        grid_worker       403       404      403       403        404       403        403
        partner_staff     403       404      403       403        404       403        403
        party_officer     403       404      403       403        404       403        403
        outsider          403       404      403       403        404       403        403
        anonymous         401       401      401       401        401       401        401
        """,
    )


def test_task_list_queries_do_not_grow(integration, api_client_for, figures):
    client = api_client_for(integration)
    client.post("/api/v1/report-templates/", flowkit.form_json("Q0", KNOWN), format="json")
    counter = iter(range(1000))

    def add_rows(n):
        for _ in range(n):
            client.post(
                "/api/v1/report-tasks/",
                {
                    "form": "Q0",
                    "period_start": "2026-01-01",
                    "period_end": f"2026-03-{next(counter) % 28 + 1:02d}",
                },
                format="json",
            )

    # session/auth none (force_authenticate); count, page of tasks with their counts annotated
    assert_constant_queries(
        add_rows=add_rows, fetch=lambda: client.get("/api/v1/report-tasks/"), expected=None
    )
