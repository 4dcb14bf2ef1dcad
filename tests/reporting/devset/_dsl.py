"""A small language for writing labelled department forms, and the README's rules over it.

Each field is written once with its gold label; `build()` derives everything else
(answerable fields, forms answered from data, rejections, duplicate pairs) by the rules of
`../shared/reporting/README.md`, so that the gold answer is consistent by construction.
"""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[3].parent / "shared" / "reporting"
if not CATALOGUE.exists():  # pragma: no cover - fallback inside the project
    CATALOGUE = Path(__file__).resolve().parents[3] / "reporting" / "catalogue_data"

TRAP_KINDS = {"age", "basis", "unit", "stock_flow", "subset", "definition", "columns"}


def _de(n: int | str) -> str:
    return n if isinstance(n, str) else f"DE{n:03d}"


def S(label, el):
    """same: the element's own figure for the form's period."""
    return {"label": label, "relation": "same", "element": _de(el), "inputs": None}


def D(label, el, *inputs):
    """derivable: primary element `el`, computed from `inputs` (default: el alone)."""
    ins = [_de(i) for i in inputs] or [_de(el)]
    if _de(el) not in ins:
        ins = [_de(el), *ins]
    return {"label": label, "relation": "derivable", "element": _de(el), "inputs": ins}


def T(label, kind, looks):
    """different_basis: a look-alike of element `looks` that differs in `kind`."""
    assert kind in TRAP_KINDS, kind
    return {
        "label": label,
        "relation": "different_basis",
        "element": None,
        "trap": kind,
        "looks_like": _de(looks) if looks is not None else None,
    }


def N(label):
    """new: nothing in the catalogue (narrative, photo, seal, figure outside it)."""
    return {"label": label, "relation": "new", "element": None}


def H(label):
    """the standard header/footer (填报单位、填报人、联系电话、报送日期): never a data field."""
    return {"label": label, "relation": "header", "element": None}


def form(fid, department, title, period, due_days, duty, fields):
    return {
        "id": fid,
        "department": department,
        "title": title,
        "period": period,
        "due_days": due_days,
        "duty_item": duty,
        "_fields": fields,
    }


def load_catalogue():
    elements = json.loads((CATALOGUE / "data_elements.json").read_text(encoding="utf-8"))
    duties = json.loads((CATALOGUE / "duty_list.json").read_text(encoding="utf-8"))
    return {e["id"]: e for e in elements}, {d["id"]: d for d in duties}


def pairs_by_rule(element_sets: dict[str, set[str]]) -> list[dict]:
    """README: full when E(A) = E(B) with >= 2 elements; partial when not full,
    |E(A) & E(B)| >= 2 and 2*|E(A) & E(B)| >= min(|E(A)|, |E(B)|)."""
    out = []
    for a, b in combinations(sorted(element_sets), 2):
        ea, eb = element_sets[a], element_sets[b]
        inter = ea & eb
        if ea == eb and len(ea) >= 2:
            out.append({"a": a, "b": b, "kind": "full", "shared": sorted(inter)})
        elif len(inter) >= 2 and 2 * len(inter) >= min(len(ea), len(eb)):
            out.append({"a": a, "b": b, "kind": "partial", "shared": sorted(inter)})
    return out


def build(forms_spec, prefix_check=None):
    elements, duties = load_catalogue()
    forms, fields_gold, relations, inputs, traps, looks, answerable = [], {}, {}, {}, {}, {}, []
    rejected, answered = [], []
    e_primary: dict[str, set[str]] = {}
    e_all: dict[str, set[str]] = {}
    seen_ids = set()
    for spec in forms_spec:
        fid = spec["id"]
        assert fid not in seen_ids, fid
        seen_ids.add(fid)
        duty = spec["duty_item"]
        assert duty is None or duty in duties, (fid, duty)
        is_rejected = duty is not None and duties[duty]["type"] == "withdrawn"
        out_fields = []
        all_answerable = True
        data_fields = 0
        ep, ea = set(), set()
        for i, f in enumerate(spec["_fields"], 1):
            field_id = f"{fid}-{i:02d}"
            out_fields.append({"id": field_id, "label": f["label"]})
            rel = f["relation"]
            relations[field_id] = rel
            if rel in ("same", "derivable"):
                el = f["element"]
                assert el in elements, (field_id, el)
                fields_gold[field_id] = {"element": el, "relation": rel}
                needed = f["inputs"] or [el]
                for x in needed:
                    assert x in elements, (field_id, x)
                if rel == "derivable":
                    inputs[field_id] = needed
                ep.add(el)
                ea.update(needed)
                ok = all(elements[x]["computable"] for x in needed)
                if ok:
                    answerable.append(field_id)
                else:
                    all_answerable = False
                data_fields += 1
            else:
                fields_gold[field_id] = None
                if rel == "different_basis":
                    traps[field_id] = f["trap"]
                    looks[field_id] = f["looks_like"]
                if rel != "header":
                    all_answerable = False
                    data_fields += 1
        forms.append(
            {
                "id": fid,
                "department": spec["department"],
                "title": spec["title"],
                "period": spec["period"],
                "due_days": spec["due_days"],
                "duty_item": duty,
                "fields": out_fields,
            }
        )
        if is_rejected:
            rejected.append(fid)
            continue
        e_primary[fid], e_all[fid] = ep, ea
        if all_answerable and data_fields > 0:
            answered.append(fid)
    pairs = pairs_by_rule(e_primary)
    alt = pairs_by_rule(e_all)
    key = lambda p: (p["a"], p["b"], p["kind"])  # noqa: E731
    if {key(p) for p in pairs} != {key(p) for p in alt}:
        diff = {key(p) for p in pairs} ^ {key(p) for p in alt}
        raise SystemExit(f"duplicate pairs depend on whether inputs count in E(F): {sorted(diff)}")
    gold = {
        "fields": fields_gold,
        "duplicate_pairs": pairs,
        "answered_from_data": answered,
        "rejected": rejected,
        "relations": relations,
        "inputs": inputs,
        "trap_kinds": traps,
        "looks_like": looks,
        "answerable": answerable,
        "form_elements": {k: sorted(v) for k, v in e_primary.items()},
    }
    return forms, gold


def summary(forms, gold) -> dict:
    from collections import Counter

    rel = Counter(gold["relations"].values())
    traps = Counter(gold["trap_kinds"].values())
    kinds = Counter(p["kind"] for p in gold["duplicate_pairs"])
    return {
        "forms": len(forms),
        "fields": sum(len(f["fields"]) for f in forms),
        "relations": dict(sorted(rel.items())),
        "trap_kinds": dict(sorted(traps.items())),
        "duplicate_pairs": dict(kinds),
        "rejected": len(gold["rejected"]),
        "answered_from_data": len(gold["answered_from_data"]),
        "duty_null": sum(1 for f in forms if f["duty_item"] is None),
        "elements_covered": len({v["element"] for v in gold["fields"].values() if v}),
    }


def write(forms, gold, forms_path: Path, labels_path: Path):
    forms_path.write_text(json.dumps(forms, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    labels_path.write_text(json.dumps(gold, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
