"""Burden reduction in the browser, as issue 10 tells it: a department's form arrives through
the API; `cadre` opens its review page and sees two fields confirmed (the same figures), one
look-alike held back and a duplicate flagged; issues it; the community cadre, on a 390 px
phone, fills only the new fields and submits; the cadre accepts; the department's API answer
(GET of the task) is complete."""

import pytest

from reporting.flow import writes as flow
from reporting.models import FieldReview, ReportAssignment, ReportTask, ReportTemplate
from tests.browser.conftest import PHONE, log_in, screenshot
from tests.reporting import flowkit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FORM = {
    "id": "MZ-2026-07",
    "department": "瑞安市民政局",
    "title": "老年人关爱服务情况季报",
    "period": "quarterly",
    "due_days": 7,
    "duty_item": "D06",
    "fields": [
        {"id": "MZ-2026-07-01", "label": "户籍人口（人）"},
        {"id": "MZ-2026-07-02", "label": "户籍户数（户）"},
        {"id": "MZ-2026-07-03", "label": "65周岁以上老年人数（人）"},  # a look-alike of DE009
        {"id": "MZ-2026-07-04", "label": "辖区内老年食堂数量"},
        {"id": "MZ-2026-07-05", "label": "存在问题及下步计划"},
    ],
}
EARLIER = {  # the same two figures, asked a month before by the city's bureau
    **FORM,
    "id": "WZ-2026-03",
    "department": "温州市民政局",
    "title": "人口户数基本情况",
    "fields": [
        {"id": "WZ-2026-03-01", "label": "户籍人口数"},
        {"id": "WZ-2026-03-02", "label": "户籍户数"},
    ],
}
ASKED = {"65周岁以上老年人数（人）": "12", "辖区内老年食堂数量": "2", "存在问题及下步计划": "无"}


@pytest.fixture
def figures(monkeypatch, community_a, community_b):
    flowkit.catalogue_ensure()
    flowkit.fake_figures(monkeypatch, community_a, community_b)


def test_form_from_the_api_reviewed_issued_filled_on_a_phone_accepted(
    live_server,
    desktop_page,
    phone_page,
    figures,
    integration,
    api_client_for,
    street_cadre,
    community_cadre,
    other_community_cadre,
    community_a,
    community_b,
):
    base = live_server.url
    department = api_client_for(integration)

    # The department's platform sends the forms and one period of the new one.
    assert department.post("/api/v1/report-templates/", EARLIER, format="json").status_code == 201
    response = department.post("/api/v1/report-templates/", FORM, format="json")
    assert response.status_code == 201, response.content
    response = department.post(
        "/api/v1/report-tasks/",
        {"form": FORM["id"], "period_start": "2026-07-01", "period_end": "2026-09-30"},
        format="json",
    )
    assert response.status_code == 201, response.content
    task_pk = response.json()["pk"]
    assert response.json()["answer"] == {"decision": "under_review"}
    template = ReportTemplate.objects.get(external_id=FORM["id"])

    # The cadre reviews: two same figures confirmed, the look-alike held, the duplicate shown.
    cadre = desktop_page
    log_in(cadre, base, street_cadre)
    cadre.goto(f"{base}/reporting/forms/{template.pk}/")
    rows = cadre.get_by_test_id("field-row")
    assert rows.count() == 5
    assert cadre.get_by_test_id("duplicates").is_visible()
    assert EARLIER["title"] in cadre.get_by_test_id("duplicates").inner_text()
    for label in ("户籍人口（人）", "户籍户数（户）"):
        row = rows.filter(has_text=label)
        assert row.get_attribute("data-relation") == "same"
        row.get_by_test_id("confirm-button").click()
        cadre.wait_for_load_state()
    assert cadre.get_by_test_id("confirmed").count() == 2
    look_alike = rows.filter(has_text="65周岁以上老年人数")
    assert look_alike.get_attribute("data-relation") == "different_basis"
    assert look_alike.get_by_test_id("held").is_visible()
    screenshot(cadre, "reporting-1-review")
    decisions = dict(
        FieldReview.objects.filter(field__template=template).values_list(
            "field__external_id", "decision"
        )
    )
    assert decisions["MZ-2026-07-01"] == decisions["MZ-2026-07-02"] == "confirmed"

    # Approve and issue: each community gets the two figures prefilled, three asked.
    cadre.goto(f"{base}/reporting/tasks/{task_pk}/")
    cadre.get_by_test_id("approve-button").click()
    cadre.wait_for_load_state()
    cadre.get_by_test_id("issue-button").click()
    cadre.wait_for_load_state()
    assert ReportTask.objects.get(pk=task_pk).state == ReportTask.State.PREFILLED

    # The community cadre, on a phone: only the new fields are asked.
    phone = phone_page
    log_in(phone, base, community_cadre)
    mine = ReportAssignment.objects.get(task_id=task_pk, community=community_a)
    phone.goto(f"{base}/reporting/assignments/")
    phone.goto(f"{base}/reporting/assignments/{mine.pk}/")
    assert phone.get_by_test_id("prefilled-row").count() == 2
    asked = phone.get_by_test_id("asked-row")
    assert asked.count() == 3
    for label, value in ASKED.items():
        asked.filter(has_text=label).locator("input").fill(value)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "reporting-2-community-phone")
    phone.get_by_test_id("save-button").click()
    phone.wait_for_load_state()
    phone.get_by_test_id("submit-button").click()
    phone.wait_for_load_state()
    mine.refresh_from_db()
    assert mine.state == ReportAssignment.State.SUBMITTED

    # The other community answers through the same write (its own cadre).
    other = ReportAssignment.objects.get(task_id=task_pk, community=community_b)
    values = {
        v.field_id: ASKED[v.field.label]
        for v in other.values.select_related("field")
        if not v.prefilled
    }
    flow.assignment_fill(actor=other_community_cadre, assignment=other, values=values)
    flow.assignment_submit(actor=other_community_cadre, assignment=other)

    # The cadre accepts both answers.
    cadre.reload()
    while cadre.get_by_test_id("accept-button").count():
        cadre.get_by_test_id("accept-button").first.click()
        cadre.wait_for_load_state()
    assert ReportTask.objects.get(pk=task_pk).state == ReportTask.State.ACCEPTED
    screenshot(cadre, "reporting-3-accepted")

    # The department reads a complete answer.
    answer = department.get(f"/api/v1/report-tasks/{task_pk}/").json()["answer"]
    assert answer["decision"] == "issued"
    assert answer["progress"]["accepted"] == answer["progress"]["communities"] == 2
    assert set(answer["values"]) == {f["id"] for f in FORM["fields"]}
    assert answer["values"]["MZ-2026-07-01"] == 100  # the street's figure, from the data
    assert answer["values"]["MZ-2026-07-04"] == 4  # 2 canteens in each community, summed
