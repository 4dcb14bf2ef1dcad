"""Score a batch answer of the reporting review against a gold labelling.

The rules are those of ``../shared/reporting/README.md`` ("How it is judged"):

* a field mapped by the answer is *right* when its gold relation is ``same`` and the element is
  the gold element, or ``derivable`` and the element is the primary element or any input of the
  derivation; any mapping of a ``new``, ``different_basis`` (look-alike trap) or ``header`` field
  is wrong;
* **precision** is over every mapped field of the batch (a mapping anywhere must be right);
  **recall** is over the same/derivable fields of forms that are *not* rejected in the gold (a
  rejected form is never answered, so an engine may leave its fields unmapped);
* duplicate pairs are unordered and compared per kind (``full`` / ``partial``);
* ``answered_from_data`` false positives are forms the answer answers from data that the gold
  does not (they needed people, or were rejected): must be 0;
* ``wrong_prefill`` counts every field the answer maps to an element that is not acceptable for
  it (wrong element, trap, new, header), anywhere in the batch: must be 0.

Pure Python, no Django. CLI: ``python tests/reporting/scorer.py ANSWER.json GOLD.json FORMS.json``.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path


def _ratio(num: int, den: int, empty: float = 1.0) -> float:
    return round(num / den, 4) if den else empty


def _element_of(entry) -> str | None:
    """The element an answer entry maps to (``None`` for unmapped)."""
    if entry is None:
        return None
    if isinstance(entry, str):
        return entry or None
    return entry.get("element") or None


def acceptable_elements(field_id: str, gold: dict) -> set[str]:
    """The elements a mapping of this field may name to count as right."""
    g = gold["fields"].get(field_id)
    if not g:
        return set()
    relation = gold.get("relations", {}).get(field_id, g.get("relation"))
    if relation == "same":
        return {g["element"]}
    if relation == "derivable":
        return {g["element"], *gold.get("inputs", {}).get(field_id, [])}
    return set()


def _gold_relation(field_id: str, gold: dict) -> str:
    rel = gold.get("relations", {}).get(field_id)
    if rel:
        return rel
    g = gold["fields"].get(field_id)
    return g["relation"] if g else "new"


def _pairs(items, kind: str) -> set[frozenset]:
    return {frozenset((p["a"], p["b"])) for p in items or [] if p.get("kind") == kind}


def _pr(found: set, gold: set) -> tuple[float, float]:
    hit = len(found & gold)
    return _ratio(hit, len(found)), _ratio(hit, len(gold))


def score(answer: dict, gold: dict, forms: list) -> dict:
    field_form = {f["id"]: form["id"] for form in forms for f in form["fields"]}
    labels = {f["id"]: f["label"] for form in forms for f in form["fields"]}
    gold_rejected = set(gold.get("rejected", []))
    ans_fields = answer.get("fields", {}) or {}

    missing = sorted(fid for fid in field_form if fid not in ans_fields)
    unknown = sorted(fid for fid in ans_fields if fid not in field_form)

    mapped = correct = 0
    recall_den = recall_hit = 0
    wrong: list[dict] = []
    missed: list[dict] = []
    rel_mapped = Counter()
    trap_total = Counter()
    trap_mapped = Counter()
    trap_lookalike = 0
    for fid, form_id in field_form.items():
        el = _element_of(ans_fields.get(fid))
        rel = _gold_relation(fid, gold)
        ok_set = acceptable_elements(fid, gold)
        if el is not None:
            mapped += 1
            rel_mapped[rel] += 1
            if el in ok_set:
                correct += 1
            else:
                wrong.append(
                    {
                        "field": fid,
                        "label": labels[fid],
                        "mapped": el,
                        "gold_relation": rel,
                        "acceptable": sorted(ok_set),
                    }
                )
        if rel in ("same", "derivable") and form_id not in gold_rejected:
            recall_den += 1
            if el in ok_set:
                recall_hit += 1
            else:
                missed.append(
                    {"field": fid, "label": labels[fid], "gold": sorted(ok_set), "got": el}
                )
        if rel == "different_basis":
            kind = gold.get("trap_kinds", {}).get(fid, "?")
            trap_total[kind] += 1
            if el is not None:
                trap_mapped[kind] += 1
                if el == gold.get("looks_like", {}).get(fid):
                    trap_lookalike += 1

    traps_n = sum(trap_total.values())
    traps_m = sum(trap_mapped.values())

    full_p, full_r = _pr(
        _pairs(answer.get("duplicate_pairs"), "full"), _pairs(gold.get("duplicate_pairs"), "full")
    )
    part_p, part_r = _pr(
        _pairs(answer.get("duplicate_pairs"), "partial"),
        _pairs(gold.get("duplicate_pairs"), "partial"),
    )
    any_found = {frozenset((p["a"], p["b"])) for p in answer.get("duplicate_pairs") or []}
    any_gold = {frozenset((p["a"], p["b"])) for p in gold.get("duplicate_pairs") or []}
    any_p, any_r = _pr(any_found, any_gold)

    rej_p, rej_r = _pr(set(answer.get("rejected", []) or []), gold_rejected)

    ans_afd = set(answer.get("answered_from_data", []) or [])
    gold_afd = set(gold.get("answered_from_data", []) or [])
    afd_fp = sorted(ans_afd - gold_afd)

    per_kind = {
        kind: {
            "traps": n,
            "mapped": trap_mapped[kind],
            "left_unmapped_share": _ratio(n - trap_mapped[kind], n),
        }
        for kind, n in sorted(trap_total.items())
    }
    return {
        "fields": len(field_form),
        "missing_fields": len(missing),
        "unknown_fields": len(unknown),
        "mapped": mapped,
        "mapping_precision": _ratio(correct, mapped),
        "mapping_recall": _ratio(recall_hit, recall_den),
        "traps": traps_n,
        "traps_left_unmapped_share": _ratio(traps_n - traps_m, traps_n),
        "traps_mapped_share": _ratio(traps_m, traps_n, empty=0.0),
        "lookalike_mapping_rate": _ratio(trap_lookalike, traps_n, empty=0.0),
        "traps_by_kind": per_kind,
        "new_fields_mapped": rel_mapped["new"],
        "header_fields_mapped": rel_mapped["header"],
        "full_pairs_precision": full_p,
        "full_pairs_recall": full_r,
        "partial_pairs_precision": part_p,
        "partial_pairs_recall": part_r,
        "any_pairs_precision": any_p,
        "any_pairs_recall": any_r,
        "rejections_precision": rej_p,
        "rejections_recall": rej_r,
        "answered_from_data_false_positives": len(afd_fp),
        "answered_from_data_recall": _ratio(len(ans_afd & gold_afd), len(gold_afd)),
        "wrong_prefill": len(wrong),
        "details": {
            "missing_fields": missing,
            "unknown_fields": unknown,
            "wrong_mappings": wrong,
            "missed_fields": missed,
            "answered_from_data_false_positives": afd_fp,
            "answered_from_data_missed": sorted(gold_afd - ans_afd),
            "rejections_missed": sorted(gold_rejected - set(answer.get("rejected", []) or [])),
            "rejections_extra": sorted(set(answer.get("rejected", []) or []) - gold_rejected),
            "full_pairs_missed": sorted(
                sorted(p)
                for p in _pairs(gold.get("duplicate_pairs"), "full")
                - _pairs(answer.get("duplicate_pairs"), "full")
            ),
            "partial_pairs_missed": sorted(
                sorted(p)
                for p in _pairs(gold.get("duplicate_pairs"), "partial")
                - _pairs(answer.get("duplicate_pairs"), "partial")
            ),
            "partial_pairs_extra": sorted(
                sorted(p)
                for p in _pairs(answer.get("duplicate_pairs"), "partial")
                - _pairs(gold.get("duplicate_pairs"), "partial")
            ),
            "full_pairs_extra": sorted(
                sorted(p)
                for p in _pairs(answer.get("duplicate_pairs"), "full")
                - _pairs(gold.get("duplicate_pairs"), "full")
            ),
        },
    }


def format_scores(scores: dict, verbose: bool = False) -> str:
    lines = []
    for key, value in scores.items():
        if key == "details":
            continue
        if key == "traps_by_kind":
            for kind, d in value.items():
                lines.append(f"  trap {kind:<11} {d['mapped']}/{d['traps']} mapped")
            continue
        lines.append(f"{key:<38} {value}")
    if verbose:
        details = scores["details"]
        by_rel = defaultdict(list)
        for w in details["wrong_mappings"]:
            by_rel[w["gold_relation"]].append(w)
        for rel, items in by_rel.items():
            lines.append(f"-- wrong mappings of {rel} fields ({len(items)})")
            lines += [
                f"   {w['field']} {w['label']} -> {w['mapped']} (ok: {w['acceptable']})"
                for w in items
            ]
        lines.append(f"-- missed fields ({len(details['missed_fields'])})")
        lines += [
            f"   {m['field']} {m['label']} gold {m['gold']} got {m['got']}"
            for m in details["missed_fields"]
        ]
        for key in (
            "answered_from_data_false_positives",
            "answered_from_data_missed",
            "rejections_missed",
            "rejections_extra",
            "full_pairs_missed",
            "full_pairs_extra",
            "partial_pairs_missed",
            "partial_pairs_extra",
        ):
            if details[key]:
                lines.append(f"-- {key}: {details[key]}")
    return "\n".join(lines)


def _load(path: str):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in argv
    argv = [a for a in argv if a != "-v"]
    if len(argv) != 3:
        print(
            "usage: python tests/reporting/scorer.py ANSWER.json GOLD.json FORMS.json [-v]",
            file=sys.stderr,
        )
        return 2
    answer, gold, forms = (_load(p) for p in argv)
    print(format_scores(score(answer, gold, forms), verbose=verbose))
    return 0


if __name__ == "__main__":
    sys.exit(main())
