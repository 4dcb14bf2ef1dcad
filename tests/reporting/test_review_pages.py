"""The review persisted and decided: the review page, confirm / correct / hold, the alias a
confirmation teaches the next form, look-alikes held back, duplicates, the filing; the
catalogue's pages with their history; intake by page and by spreadsheet (a dry run first)."""

import io
from datetime import date

import pytest
from django.core.management import call_command

from reporting.catalogue import writes as catalogue_writes
from reporting.flow import writes as flow_writes
from reporting.intake import writes
from reporting.models import (
    DataElement,
    DutyItem,
    FieldReview,
    IndicatorAlias,
    ReportTask,
    ReportTemplate,
    TemplateDuplicate,
)
from tests.helpers import Call, assert_access_matrix, login, page_call
from tests.reporting import flowkit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _catalogue(db):
    flowkit.catalogue_ensure()


def _review(template, label):
    return FieldReview.objects.select_related("field").get(
        field__template=template, field__label=label
    )


def test_the_migration_loads_the_streets_catalogue():
    assert DataElement.objects.count() == 70
    assert DataElement.objects.filter(computable=False).count() == 10
    assert DutyItem.objects.count() == 32
    assert DutyItem.objects.filter(type="withdrawn").count() == 7


def test_a_correction_becomes_an_alias_the_next_form_uses(street_cadre, monkeypatch, community_a):
    flowkit.fake_figures(monkeypatch, community_a)
    odd = "本辖区户口在册总人数情况"
    first = flowkit.send_form(street_cadre, form_id="A1", labels=[odd])
    review = _review(first, odd)
    assert review.element is None or review.element.code != "DE001" or review.relation != "same"
    writes.field_review_correct(
        actor=street_cadre,
        review=review,
        element=DataElement.objects.get(code="DE001"),
        relation="same",
    )
    alias = IndicatorAlias.objects.get(label=odd)
    assert alias.element.code == "DE001" and alias.confirmed_by == street_cadre
    second = flowkit.send_form(street_cadre, form_id="A2", labels=[odd, "户籍户数"])
    learned = _review(second, odd)
    assert (learned.element.code, learned.relation) == ("DE001", "same")
    task = flow_writes.task_create(
        actor=street_cadre,
        template=second,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31),
    )
    assert task.state == ReportTask.State.ANSWERED_FROM_DATA
    assert task.answer == {"A2-01": 100, "A2-02": 40}


def test_confirming_a_look_alike_keeps_it_unmapped(street_cadre):
    template = flowkit.send_form(street_cadre, form_id="L1", labels=["65周岁以上老人数"])
    review = _review(template, "65周岁以上老人数")
    writes.field_review_confirm(actor=street_cadre, review=review)
    review.refresh_from_db()
    assert review.element is None and review.relation == "different_basis"
    again = flowkit.send_form(street_cadre, form_id="L2", labels=["65周岁以上老人数"])
    assert _review(again, "65周岁以上老人数").element is None


def test_the_review_page_shows_confirmed_held_back_and_duplicates(street_cadre, client, english):
    labels = ["户籍人口数", "户籍户数", "65周岁以上老人数"]
    flowkit.send_form(street_cadre, form_id="D1", labels=labels, department="甲局")
    template = flowkit.send_form(street_cadre, form_id="D2", labels=labels, department="乙局")
    for label in labels[:2]:
        writes.field_review_confirm(actor=street_cadre, review=_review(template, label))
    duplicate = TemplateDuplicate.objects.get(template=template)
    assert duplicate.kind == "full" and duplicate.shared == ["DE001", "DE005"]
    login(english, street_cadre)
    page = english.get(f"/reporting/forms/{template.pk}/").content.decode()
    assert page.count('data-testid="confirmed"') == 2
    assert page.count('data-testid="held"') == 1
    assert 'data-testid="duplicates"' in page and "D1 表" in page
    # the look-alike's correction form is not prefilled with the element it resembles
    held = _review(template, "65周岁以上老人数")
    section = page[page.index(f'id="field-{held.pk}"') :]
    section = section[
        : section.index('data-testid="field-row"') if 'data-testid="field-row"' in section else None
    ]
    assert f'value="{held.looks_like.code}"' not in section


def test_the_decision_buttons_post_through_the_page(street_cadre, community_cadre, client):
    template = flowkit.send_form(street_cadre, form_id="P1", labels=["户籍人口数"])
    review = _review(template, "户籍人口数")
    url = f"/reporting/forms/{template.pk}/fields/{review.pk}/"
    login(client, community_cadre)
    assert client.post(url, {"action": "confirm"}).status_code == 404
    login(client, street_cadre)
    assert client.post(url, {"action": "confirm"}).status_code == 302
    review.refresh_from_db()
    assert review.decision == "confirmed" and review.decided_by == street_cadre
    client.post(url, {"action": "correct", "relation": "same", "element": "DE002"})
    review.refresh_from_db()
    assert (review.decision, review.element.code) == ("corrected", "DE002")


def test_a_filing_is_recorded_before_approval(street_cadre, monkeypatch, community_a):
    from django.core.exceptions import ValidationError

    flowkit.fake_figures(monkeypatch, community_a)
    template = flowkit.send_form(street_cadre, form_id="F1", labels=["户籍人口数"], duty=None)
    task = flow_writes.task_create(
        actor=street_cadre,
        template=template,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31),
    )
    assert task.state == ReportTask.State.UNDER_REVIEW
    with pytest.raises(ValidationError):
        flow_writes.task_approve(actor=street_cadre, task=task)
    writes.template_file(actor=street_cadre, template=template, note="经区减负办备案同意")
    task = flow_writes.task_approve(actor=street_cadre, task=task)
    assert task.state == ReportTask.State.ANSWERED_FROM_DATA


def test_a_form_typed_on_the_page(street_cadre, client):
    login(client, street_cadre)
    response = client.post(
        "/reporting/forms/new/",
        {
            "department": "瑞安市卫健局",
            "title": "家庭医生签约情况",
            "period": "monthly",
            "due_days": "3",
            "duty_item": "D06",
            "labels": "户籍人口数\n\n情况说明\n",
        },
    )
    assert response.status_code == 302
    template = ReportTemplate.objects.get(title="家庭医生签约情况")
    assert list(template.fields.values_list("label", flat=True)) == ["户籍人口数", "情况说明"]
    assert template.source == "page"


def test_an_uploaded_spreadsheet_is_read_then_saved(street_cadre, client):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["辖区老年人关爱情况统计表"])
    sheet.append(["社区", "户籍人口数", "80周岁以上独居老人数", "备注"])
    sheet.append(["江滨社区", None, None, None])
    sheet.append(["填报人：", None, "联系电话：", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    login(client, street_cadre)
    head = {
        "department": "瑞安市民政局",
        "title": "关爱情况",
        "period": "quarterly",
        "due_days": "5",
        "duty_item": "D06",
    }
    upload = SimpleUploadedFile("form.xlsx", buffer.getvalue())
    preview = client.post("/reporting/forms/upload/", {**head, "file": upload})
    assert preview.status_code == 200
    text = preview.content.decode()
    assert 'data-testid="dry-run"' in text and "80周岁以上独居老人数" in text
    assert not ReportTemplate.objects.exists()  # a dry run saves nothing
    saved = client.post(
        "/reporting/forms/upload/",
        {**head, "confirm": "1", "layout": "columns", "labels": "户籍人口数\n80周岁以上独居老人数"},
    )
    assert saved.status_code == 302
    template = ReportTemplate.objects.get()
    assert (template.source, template.layout) == ("upload", "columns")
    assert template.fields.count() == 2


def test_an_element_edit_is_in_its_history(street_admin, client):
    element = DataElement.objects.get(code="DE001")
    catalogue_writes.element_update(actor=street_admin, element=element, definition="新的定义")
    login(client, street_admin)
    page = client.get(f"/reporting/catalogue/{element.pk}/").content.decode()
    assert 'data-testid="history"' in page and "新的定义" in page


def test_catalogue_pages_matrix(request):
    element = DataElement.objects.get(code="DE013")
    duty = DutyItem.objects.get(code="D26")
    actions = {
        "elements": Call("get", "/reporting/catalogue/"),
        "element": Call("get", f"/reporting/catalogue/{element.pk}/"),
        "edit": Call("post", f"/reporting/catalogue/{element.pk}/edit/", {"name": ""}),
        "duties": Call("get", "/reporting/duties/"),
        "duty": Call("get", f"/reporting/duties/{duty.pk}/"),
        "aliases": Call("get", "/reporting/aliases/"),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          elements  element  edit  duties  duty  aliases
        # the edit posts an empty name: the form again, 400
        street_admin      200       200      400   200     200   200
        street_cadre      200       200      400   200     200   200
        community_cadre   403       404      404   403     404   403
        grid_worker       403       404      404   403     404   403
        partner_staff     403       404      404   403     404   403
        party_officer     403       404      404   403     404   403
        outsider          403       404      404   403     404   403
        anonymous         302       302      302   302     302   302
        """,
        perform=page_call,
    )


def test_reporting_review_command_writes_the_batch_answer(tmp_path, street_cadre):
    import json

    IndicatorAlias.objects.create(
        label="本辖区户口在册总人数情况",
        normalised_label="本辖区户口在册总人数情况",
        element=DataElement.objects.get(code="DE001"),
        relation="same",
        confirmed_by=street_cadre,
    )
    forms = [
        flowkit.form_json("C1", ["户籍人口数", "户籍户数", "情况说明"]),
        flowkit.form_json("C2", ["户籍人口数", "户籍户数"], duty="D26"),
        flowkit.form_json("C3", ["本辖区户口在册总人数情况", "户籍户数"]),
    ]
    source = tmp_path / "forms.json"
    source.write_text(json.dumps(forms, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "answer.json"
    before = (ReportTemplate.objects.count(), FieldReview.objects.count())
    call_command("reporting_review", str(source), "--out", str(out), stdout=io.StringIO())
    answer = json.loads(out.read_text(encoding="utf-8"))
    assert set(answer) == {"fields", "duplicate_pairs", "answered_from_data", "rejected"}
    assert answer["fields"]["C1-01"] == {"element": "DE001", "relation": "same"}
    assert answer["fields"]["C1-03"] is None
    assert answer["fields"]["C3-01"] == {"element": "DE001", "relation": "same"}  # the alias
    assert answer["rejected"] == ["C2"]
    assert "C1" not in answer["answered_from_data"]
    pairs = {(p["a"], p["b"]): p["kind"] for p in answer["duplicate_pairs"]}
    assert pairs.get(("C1", "C3")) == "full"  # the same two elements; C2 is rejected: no pair
    assert (ReportTemplate.objects.count(), FieldReview.objects.count()) == before


def test_an_answered_task_exports_the_departments_layout(
    street_cadre, monkeypatch, community_a, client
):
    from openpyxl import load_workbook

    flowkit.fake_figures(monkeypatch, community_a)
    template = flowkit.send_form(street_cadre, form_id="E1", labels=["户籍人口数", "户籍户数"])
    task = flow_writes.task_create(
        actor=street_cadre,
        template=template,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31),
    )
    assert task.state == ReportTask.State.ANSWERED_FROM_DATA
    login(client, street_cadre)
    assert (
        'data-testid="decision-answered"'
        in client.get(f"/reporting/tasks/{task.pk}/").content.decode()
    )
    response = client.get(f"/reporting/tasks/{task.pk}/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [tuple(c.value for c in row) for row in sheet.iter_rows(min_row=4)]
    assert rows == [("户籍人口数", 100), ("户籍户数", 40)]
