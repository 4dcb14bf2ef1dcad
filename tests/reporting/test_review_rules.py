"""The review's rules one by one (reporting/review, pure Python: no database).

Each case is a label as a department might write it and what a careful statistician answers:
the element and relation, or None for a field that must stay unmapped (a look-alike, a new
figure, a header line).
"""

from pathlib import Path

import pytest

from reporting.review import AliasSpec, Catalogue, review_form, review_forms
from reporting.review.normalise import normalise

PROJECT = Path(__file__).resolve().parents[2]


def _catalogue_dir() -> Path:
    shared = PROJECT.parent / "shared" / "reporting"
    if (shared / "data_elements.json").exists():
        return shared
    return PROJECT / "reporting" / "catalogue_data"


@pytest.fixture(scope="module")
def catalogue():
    base = _catalogue_dir()
    return Catalogue.from_files(base / "data_elements.json", base / "duty_list.json")


def _field(catalogue, label, *, period="monthly", title="", before=()):
    fields = [{"id": f"P{i}", "label": text} for i, text in enumerate(before)]
    fields.append({"id": "F", "label": label})
    form = {"id": "T", "title": title, "period": period, "duty_item": "D06", "fields": fields}
    return review_form(form, catalogue).fields[-1]


def _mapped(verdict):
    return (verdict.element, verdict.relation) if verdict.element else None


def test_every_catalogue_name_reads_back_to_its_own_element(catalogue):
    for element in catalogue.elements:
        verdict = _field(catalogue, element.name)
        assert verdict.element == element.id, (element.name, verdict.reason)
        assert verdict.relation == "same"


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("本街道八十周岁以上独居老人（人）", "DE013"),  # numerals, qualifier, full-width unit
        ("辖区内 80 周岁及以上独居老年人数(人)", "DE013"),  # half width, stray spaces
        ("年满八十周岁的独居老人", "DE013"),
        ("高龄老人数", "DE010"),
        ("全街道六十岁以上老年人口", "DE009"),
        ("签约家医的居民人数", "DE044"),
        ("重残人数", "DE029"),
        ("双报到党员人数", "DE055"),
        ("1.低保户数", "DE024"),  # item numbering
        ("（二）低保对象人数", "DE025"),
        ("①特困供养人员数", "DE027"),
        ("未满十八周岁困境儿童数", "DE020"),
        ("事实孤儿数", "DE022"),
        ("科普讲座场次", "DE048"),
        ("特殊困难老年人探访人次", "DE038"),
        ("截至本月底独居老人数", "DE011"),
    ],
)
def test_same_whatever_the_wording(catalogue, label, expected):
    assert _mapped(_field(catalogue, label)) == (expected, "same")


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("辖区独局老人数", "DE011"),
        ("底边户数", "DE026"),
        ("困竟儿童数", "DE020"),
        ("志原服务时长（小时）", "DE051"),
    ],
)
def test_homophone_typos_are_read_as_meant(catalogue, label, expected):
    assert _field(catalogue, label).element == expected


def test_homophones_do_not_rewrite_real_words(catalogue):
    vocabulary = catalogue.vocabulary
    assert normalise("独局老人", vocabulary) == "独居老人"
    assert normalise("宣传报道数", vocabulary) == "宣传报道数"  # no vocabulary word sounds like it
    assert normalise("支援人数", vocabulary) == "支援人数"  # 志愿 sounds alike, shares no character


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("65周岁以上老年人数", "age"),
        ("70岁以上老人数", "age"),
        ("90周岁以上老年人数", "age"),
        ("百岁老人数", "age"),
        ("超过80周岁老人数", "age"),  # 超过 excludes the number: 81+
        ("18周岁以下困境儿童数", "age"),  # 以下 includes the number: 0–18
        ("16-59岁人口数", "age"),
        ("常住老年人口数", "basis"),
        ("户籍独居老人数", "basis"),
        ("农村低保户数", "basis"),
        ("城市低保人数", "basis"),
        ("农村留守儿童数", "basis"),
        ("低保边缘人数", "unit"),
        ("独居老人户数", "unit"),
        ("就餐老人数（去重后）", "unit"),
        ("科普课堂参加人次", "unit"),
        ("志愿者人数", "unit"),
        ("本月新增低保户数", "time"),
        ("本年新认定的特困人员数", "time"),
        ("历年签约总人数（含到期）", "time"),
        ("集中供养特困人员数", "subset"),
        ("入户走访次数", "subset"),
        ("预备党员数", "subset"),
        ("户在人不在人数", "subset"),
        ("女性党员数", "subset"),
        ("一级残疾人数", "subset"),
        ("独居老人探访次数", "subset"),
        ("严重精神障碍在册患者数", "definition"),
        ("医生随访次数", "definition"),
        ("主题党日次数", "definition"),
        ("微网格数", "definition"),
    ],
)
def test_lookalikes_stay_unmapped(catalogue, label, kind):
    verdict = _field(catalogue, label)
    assert verdict.element is None, (label, verdict.reason)
    assert verdict.relation == "different_basis"
    assert verdict.looks_like is not None
    assert not verdict.answerable


def test_a_trap_says_which_dimensions_differ(catalogue):
    verdict = _field(catalogue, "65周岁以上老年人数")
    assert verdict.looks_like == "DE009"
    assert verdict.differs == ["age"]
    assert "年龄" in verdict.reason


@pytest.mark.parametrize(
    ("label", "primary", "kind", "inputs"),
    [
        ("本年累计走访次数", "DE037", "window", ["DE037"]),
        ("1—本月累计助餐人次", "DE040", "window", ["DE040"]),
        ("上年同期助餐人次", "DE040", "window", ["DE040"]),
        ("月均助洁服务次数", "DE042", "window", ["DE042"]),
        ("上月末低保户数", "DE024", "date", ["DE024"]),
        ("年初户籍人口", "DE001", "date", ["DE001"]),
        ("较上月增减低保户数", "DE024", "change", ["DE024"]),
        ("户均人口", "DE001", "ratio", ["DE001", "DE005"]),
        ("老龄化率", "DE009", "ratio", ["DE009", "DE001"]),
        ("服务转介办结率", "DE050", "ratio", ["DE050", "DE049"]),
        ("独居老人占老年人口比例", "DE011", "ratio", ["DE011", "DE009"]),
        ("低保、低边户总数", "DE024", "sum", ["DE024", "DE026"]),
        ("视力、听力残疾人数", "DE030", "sum", ["DE030", "DE031"]),
        ("空巢（不含独居）老年人数", "DE012", "difference", ["DE012", "DE011"]),
        ("空巢老人中非独居老人数", "DE012", "difference", ["DE012", "DE011"]),
        ("三、四级残疾人数", "DE028", "difference", ["DE028", "DE029"]),
    ],
)
def test_derivable_names_its_primary_element_and_inputs(catalogue, label, primary, kind, inputs):
    verdict = _field(catalogue, label)
    assert (verdict.element, verdict.relation) == (primary, "derivable"), verdict.reason
    assert verdict.derivation.kind == kind
    assert verdict.derivation.elements == inputs
    assert verdict.answerable


def test_a_sub_item_is_read_with_its_parent(catalogue):
    under_empty_nest = _field(catalogue, "其中：独居", before=["80周岁以上空巢老人数"])
    assert _mapped(under_empty_nest) == ("DE013", "same")
    under_orgs = _field(catalogue, "其中：党支部", before=["党组织数"])
    assert under_orgs.element is None and under_orgs.looks_like == "DE056"
    severe = _field(
        catalogue, "其中：重度（一、二级）", before=["持证残疾人总数", "其中：视力残疾", "听力残疾"]
    )
    assert _mapped(severe) == ("DE029", "same")


def test_a_field_naming_no_population_reads_its_title(catalogue):
    verdict = _field(catalogue, "化解率（%）", title="矛盾纠纷排查化解情况月报")
    assert verdict.element == "DE061"
    assert not verdict.answerable  # 化解 is not in the portal (computable: false)


@pytest.mark.parametrize(
    "label",
    [
        "情况说明",
        "存在问题及下步计划",
        "走访照片",
        "负责人签字",
        "单位盖章",
        "老年食堂数量",
        "沿街商铺数",
    ],
)
def test_new_fields_stay_unmapped(catalogue, label):
    verdict = _field(catalogue, label)
    assert verdict.element is None
    assert not verdict.answerable


@pytest.mark.parametrize("label", ["填报单位", "填报人：", "联系电话", "报送日期"])
def test_header_lines_are_not_fields(catalogue, label):
    assert _field(catalogue, label).relation == "header"


def test_list_with_fewer_columns_is_the_list_element_more_columns_is_not(catalogue):
    fewer = _field(catalogue, "80岁以上独居老人名单（姓名、住址、联系电话）")
    assert _mapped(fewer) == ("DE014", "same")
    more = _field(catalogue, "80岁以上独居老人名单（姓名、联系电话、银行卡号）")
    assert more.element is None


def test_a_field_on_an_element_the_portal_lacks_is_recognised_never_answerable(catalogue):
    verdict = _field(catalogue, "高龄津贴领取人数")
    assert verdict.element == "DE062"
    assert not verdict.answerable


def _form(form_id, labels, duty="D06"):
    return {
        "id": form_id,
        "title": "",
        "period": "monthly",
        "duty_item": duty,
        "fields": [{"id": f"{form_id}-{i}", "label": label} for i, label in enumerate(labels)],
    }


def test_a_withdrawn_duty_is_rejected_with_its_basis_first(catalogue):
    batch = review_forms(
        [
            _form("A", ["独居老人数", "低保户数"], duty="D26"),
            _form("B", ["独居老年人数", "低保户数"]),
        ],
        catalogue,
    )
    rejected = batch.forms[0]
    assert rejected.rejected
    assert "民发〔2020〕20号" in rejected.rejection_basis
    assert not rejected.answered_from_data  # every field answerable, still never answered
    assert batch.duplicate_pairs == []  # a rejected form takes no part in duplicates
    assert batch.to_answer()["rejected"] == ["A"]


def test_a_form_outside_the_duty_list_needs_a_filing_not_a_rejection(catalogue):
    verdict = review_form(_form("A", ["独居老人数"], duty=None), catalogue)
    assert verdict.filing_needed
    assert not verdict.rejected


def test_answered_from_data_only_when_every_field_is_answerable(catalogue):
    answerable = _form("A", ["填报单位", "独居老人数", "本年累计走访次数", "联系电话"])
    with_a_new_field = _form("B", ["独居老人数", "本年累计走访次数", "情况说明"])
    with_a_trap = _form("C", ["独居老人数", "65周岁以上老年人数"])
    with_uncomputable = _form("D", ["独居老人数", "退役军人数"])
    batch = review_forms([answerable, with_a_new_field, with_a_trap, with_uncomputable], catalogue)
    assert batch.to_answer()["answered_from_data"] == ["A"]


def test_duplicates_full_and_partial_by_the_rule(catalogue):
    a = _form("A", ["独居老人数", "低保户数", "特困人员数"])
    b = _form("B", ["辖区独居老年人（人）", "低保家庭户数", "特困供养人员"])  # E(A) = E(B)
    c = _form("C", ["独居老人数", "低保户数", "走访次数", "助餐人次"])  # shares 2 of 4 with A
    d = _form("D", ["独居老人数", "低保户数", "走访次数", "助餐人次", "助洁次数", "党员数"])
    e = _form("E", ["独居老人数"])  # one shared element is never a duplicate
    pairs = {(p.a, p.b): p.kind for p in review_forms([a, b, c, d, e], catalogue).duplicate_pairs}
    assert pairs[("A", "B")] == "full"
    assert pairs[("A", "C")] == "partial"  # 2·2 >= min(3, 4)
    assert ("A", "D") not in pairs or pairs[("A", "D")] == "partial"
    assert pairs[("C", "D")] == "partial"  # 2·4 >= min(4, 6)
    assert not any("E" in pair for pair in pairs)


def test_a_confirmed_alias_is_used_by_the_next_form(catalogue):
    label = "辖区孤老人数"
    before = _field(catalogue, label)
    assert before.element is None
    learned = Catalogue(
        elements=catalogue.elements,
        duties=catalogue.duties,
        aliases=[AliasSpec(label="孤老人数", element_id="DE011", relation="same")],
    )
    assert _field(learned, label).element is None  # an alias is matched on the whole label
    learned = Catalogue(
        elements=catalogue.elements,
        duties=catalogue.duties,
        aliases=[AliasSpec(label=label, element_id="DE011", relation="same")],
    )
    after = _field(learned, "辖区孤老人数")
    assert (after.element, after.relation) == ("DE011", "same")
    assert after.answerable
