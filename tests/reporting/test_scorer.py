"""The scorer itself, on a tiny hand-made batch (pure Python)."""

import copy
import json
import subprocess
import sys
from pathlib import Path

from tests.reporting.devset._dsl import pairs_by_rule
from tests.reporting.scorer import acceptable_elements, score

FORMS = [
    {
        "id": "A",
        "department": "甲局",
        "title": "t",
        "period": "monthly",
        "due_days": 5,
        "duty_item": "D08",
        "fields": [
            {"id": "A-01", "label": "低保户数"},
            {"id": "A-02", "label": "低边户数"},
            {"id": "A-03", "label": "低保、低边户总数"},
            {"id": "A-04", "label": "填报人"},
        ],
    },
    {
        "id": "B",
        "department": "乙局",
        "title": "t",
        "period": "quarterly",
        "due_days": 5,
        "duty_item": None,
        "fields": [
            {"id": "B-01", "label": "在保低保家庭（户）"},
            {"id": "B-02", "label": "底边户"},
            {"id": "B-03", "label": "城市低保户数"},
            {"id": "B-04", "label": "情况说明"},
        ],
    },
    {
        "id": "C",
        "department": "丙局",
        "title": "t",
        "period": "adhoc",
        "due_days": 3,
        "duty_item": "D27",
        "fields": [{"id": "C-01", "label": "低保户数"}, {"id": "C-02", "label": "低边户数"}],
    },
]

GOLD = {
    "fields": {
        "A-01": {"element": "DE024", "relation": "same"},
        "A-02": {"element": "DE026", "relation": "same"},
        "A-03": {"element": "DE024", "relation": "derivable"},
        "A-04": None,
        "B-01": {"element": "DE024", "relation": "same"},
        "B-02": {"element": "DE026", "relation": "same"},
        "B-03": None,
        "B-04": None,
        "C-01": {"element": "DE024", "relation": "same"},
        "C-02": {"element": "DE026", "relation": "same"},
    },
    "relations": {
        "A-01": "same",
        "A-02": "same",
        "A-03": "derivable",
        "A-04": "header",
        "B-01": "same",
        "B-02": "same",
        "B-03": "different_basis",
        "B-04": "new",
        "C-01": "same",
        "C-02": "same",
    },
    "inputs": {"A-03": ["DE024", "DE026"]},
    "trap_kinds": {"B-03": "basis"},
    "looks_like": {"B-03": "DE024"},
    "duplicate_pairs": [{"a": "A", "b": "B", "kind": "full"}],
    "answered_from_data": ["A"],
    "rejected": ["C"],
}


def perfect():
    return {
        k: copy.deepcopy(GOLD[k])
        for k in ("fields", "duplicate_pairs", "answered_from_data", "rejected")
    }


def test_perfect_answer_scores_one():
    s = score(perfect(), GOLD, FORMS)
    for key in (
        "mapping_precision",
        "mapping_recall",
        "traps_left_unmapped_share",
        "full_pairs_recall",
        "full_pairs_precision",
        "rejections_recall",
        "rejections_precision",
        "answered_from_data_recall",
    ):
        assert s[key] == 1.0, key
    assert s["wrong_prefill"] == 0
    assert s["answered_from_data_false_positives"] == 0
    assert s["traps_mapped_share"] == 0.0


def test_mapped_trap_lowers_precision_and_counts_as_wrong_prefill():
    a = perfect()
    a["fields"]["B-03"] = {"element": "DE024", "relation": "same"}
    s = score(a, GOLD, FORMS)
    assert s["mapping_precision"] < 1.0
    assert s["mapping_recall"] == 1.0
    assert s["traps_mapped_share"] == 1.0
    assert s["lookalike_mapping_rate"] == 1.0
    assert s["traps_by_kind"]["basis"]["mapped"] == 1
    assert s["wrong_prefill"] == 1


def test_derivable_counts_for_primary_or_any_input():
    assert acceptable_elements("A-03", GOLD) == {"DE024", "DE026"}
    a = perfect()
    a["fields"]["A-03"] = {"element": "DE026", "relation": "derivable"}
    assert score(a, GOLD, FORMS)["mapping_precision"] == 1.0
    a["fields"]["A-03"] = {"element": "DE025", "relation": "derivable"}
    s = score(a, GOLD, FORMS)
    assert s["mapping_precision"] < 1.0 and s["mapping_recall"] < 1.0 and s["wrong_prefill"] == 1


def test_mapped_header_and_new_fields_are_wrong():
    a = perfect()
    a["fields"]["A-04"] = {"element": "DE001", "relation": "same"}
    a["fields"]["B-04"] = {"element": "DE024", "relation": "same"}
    s = score(a, GOLD, FORMS)
    assert s["header_fields_mapped"] == 1 and s["new_fields_mapped"] == 1
    assert s["wrong_prefill"] == 2


def test_unmapped_field_lowers_recall_only():
    a = perfect()
    a["fields"]["B-02"] = None
    s = score(a, GOLD, FORMS)
    assert s["mapping_precision"] == 1.0 and s["mapping_recall"] == 0.8


def test_rejected_forms_do_not_count_for_recall():
    a = perfect()
    a["fields"]["C-01"] = None
    a["fields"]["C-02"] = None
    assert score(a, GOLD, FORMS)["mapping_recall"] == 1.0


def test_missing_field_is_reported():
    a = perfect()
    del a["fields"]["A-01"]
    s = score(a, GOLD, FORMS)
    assert s["missing_fields"] == 1 and s["mapping_recall"] < 1.0


def test_pairs_rejections_and_answered_from_data():
    a = perfect()
    a["duplicate_pairs"] = [
        {"a": "B", "b": "A", "kind": "full"},
        {"a": "A", "b": "C", "kind": "full"},
    ]
    a["rejected"] = []
    a["answered_from_data"] = ["A", "B"]
    s = score(a, GOLD, FORMS)
    assert s["full_pairs_recall"] == 1.0  # pairs are unordered
    assert s["full_pairs_precision"] == 0.5
    assert s["rejections_recall"] == 0.0
    assert s["answered_from_data_false_positives"] == 1
    assert s["details"]["answered_from_data_false_positives"] == ["B"]


def test_partial_kind_is_not_full():
    a = perfect()
    a["duplicate_pairs"] = [{"a": "A", "b": "B", "kind": "partial"}]
    s = score(a, GOLD, FORMS)
    assert s["full_pairs_recall"] == 0.0 and s["partial_pairs_precision"] == 0.0
    assert s["any_pairs_recall"] == 1.0


def test_duplicate_rule():
    e = {
        "A": {"x", "y"},
        "B": {"x", "y"},
        "C": {"x", "y", "z", "w"},
        "D": {"x"},
        "E": {"x", "y", "z", "w", "v"},
    }
    got = {(p["a"], p["b"]): p["kind"] for p in pairs_by_rule(e)}
    assert got[("A", "B")] == "full"
    assert got[("A", "C")] == "partial"  # |∩|=2, 2*2 >= min(2,4)
    assert got[("C", "E")] == "partial"
    assert ("A", "D") not in got and ("B", "D") not in got  # one shared element is never a pair
    assert got[("A", "E")] == "partial"  # 2*2 >= min(2,5)


def test_gold_files_are_consistent():
    here = Path(__file__).resolve().parent / "devset"
    for name in ("dev", "holdout"):
        forms_path, labels_path = here / f"forms_{name}.json", here / f"labels_{name}.json"
        if not forms_path.exists():
            continue
        forms = json.loads(forms_path.read_text(encoding="utf-8"))
        gold = json.loads(labels_path.read_text(encoding="utf-8"))
        ids = [f["id"] for form in forms for f in form["fields"]]
        assert len(ids) == len(set(ids))
        assert set(ids) == set(gold["fields"]) == set(gold["relations"])
        for form in forms:
            assert set(form) == {
                "id",
                "department",
                "title",
                "period",
                "due_days",
                "duty_item",
                "fields",
            }
            assert form["period"] in {"monthly", "quarterly", "semiannual", "annual", "adhoc"}
        s = score(
            {k: gold[k] for k in ("fields", "duplicate_pairs", "answered_from_data", "rejected")},
            gold,
            forms,
        )
        assert s["mapping_precision"] == s["mapping_recall"] == 1.0


def test_cli(tmp_path):
    paths = []
    for name, data in (("answer", perfect()), ("gold", GOLD), ("forms", FORMS)):
        p = tmp_path / f"{name}.json"
        p.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        paths.append(str(p))
    scorer = Path(__file__).resolve().parent / "scorer.py"
    out = subprocess.run(
        [sys.executable, str(scorer), *paths], capture_output=True, text=True, check=True
    )
    assert "mapping_precision" in out.stdout and "1.0" in out.stdout
