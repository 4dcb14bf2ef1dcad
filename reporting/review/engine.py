"""A department's forms reviewed: the duty gate, every field matched, duplicates, the outcome.

Rules (the shared README, "What follows from a review"):
- a form citing a `withdrawn` duty is rejected with that duty's basis — first, before anything;
  a rejected form is never answered and takes no part in duplicate pairs;
- a form citing no duty needs a case-by-case filing (备案), which is not a rejection;
- a field is answerable when it is same or derivable and every element it needs is computable;
- a form is answered from data when it is not rejected and every field is answerable (the
  standard header and footer are not fields);
- duplicates among forms not rejected, on E(F), the elements of F's same and derivable fields:
  `full` when E(A) = E(B) with at least 2 elements, `partial` when not full, they share at
  least 2 and 2·|shared| ≥ min(|E(A)|, |E(B)|).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from .catalogue import Catalogue, DutySpec
from .lexicon import COUNTING_WORD, SUB_ITEM
from .matching import RELATION_DERIVABLE, RELATION_HEADER, RELATION_SAME, FieldVerdict, Matcher


@dataclass
class FormVerdict:
    form_id: str
    title: str = ""
    rejected: bool = False
    duty: DutySpec | None = None
    rejection_basis: str = ""
    filing_needed: bool = False
    fields: list[FieldVerdict] = field(default_factory=list)
    answered_from_data: bool = False

    @property
    def elements(self) -> set[str]:
        return {
            f.element
            for f in self.fields
            if f.element and f.relation in (RELATION_SAME, RELATION_DERIVABLE)
        }

    @property
    def data_fields(self) -> list[FieldVerdict]:
        return [f for f in self.fields if f.relation != RELATION_HEADER]


@dataclass
class DuplicatePair:
    a: str
    b: str
    kind: str  # full | partial
    shared: list[str]


@dataclass
class BatchReview:
    forms: list[FormVerdict]
    duplicate_pairs: list[DuplicatePair]

    def to_answer(self) -> dict:
        """The batch answer of the shared README."""
        fields = {}
        for form in self.forms:
            for verdict in form.fields:
                if verdict.element and verdict.relation in (RELATION_SAME, RELATION_DERIVABLE):
                    fields[verdict.field_id] = {
                        "element": verdict.element,
                        "relation": verdict.relation,
                    }
                else:
                    fields[verdict.field_id] = None
        return {
            "fields": fields,
            "duplicate_pairs": [
                {"a": pair.a, "b": pair.b, "kind": pair.kind} for pair in self.duplicate_pairs
            ],
            "answered_from_data": [f.form_id for f in self.forms if f.answered_from_data],
            "rejected": [f.form_id for f in self.forms if f.rejected],
        }


def review_form(form: dict, catalogue: Catalogue, *, matcher: Matcher | None = None) -> FormVerdict:
    """Review one form in the shared shape (see the module's docstring)."""
    matcher = matcher or Matcher(catalogue)
    verdict = FormVerdict(form_id=str(form.get("id", "")), title=form.get("title", ""))
    duty_id = form.get("duty_item")
    duty = catalogue.duty_by_id.get(duty_id) if duty_id else None
    verdict.duty = duty
    if duty is not None and duty.type == "withdrawn":
        verdict.rejected = True
        verdict.rejection_basis = duty.basis
    verdict.filing_needed = duty_id in (None, "")
    parent_label = ""
    after_sub_item = False
    for item in form.get("fields", []):
        label = item.get("label", "")
        text = catalogue.normalise(label)
        is_sub_item = bool(SUB_ITEM.match(text))
        # a bare line after a 其中 line (视力残疾 / 听力残疾 ...) is its sibling, not a new parent
        is_sibling = not is_sub_item and after_sub_item and not COUNTING_WORD.search(text)
        if not is_sub_item and not is_sibling:
            parent_label = label
        after_sub_item = is_sub_item or is_sibling
        is_sub_item = is_sub_item or is_sibling
        verdict.fields.append(
            matcher.match(
                str(item.get("id", "")),
                SUB_ITEM.sub("", text) if is_sub_item else label,
                parent=parent_label if is_sub_item else "",
                title=verdict.title,
                form_period=form.get("period", ""),
            )
        )
    data_fields = verdict.data_fields
    verdict.answered_from_data = (
        not verdict.rejected and bool(data_fields) and all(f.answerable for f in data_fields)
    )
    return verdict


def find_duplicates(forms: list[FormVerdict]) -> list[DuplicatePair]:
    """Full and partial duplicate pairs among the forms not rejected (README rule)."""
    live = [f for f in forms if not f.rejected]
    elements = {f.form_id: f.elements for f in live}
    holders = defaultdict(list)
    for form in live:
        for element in elements[form.form_id]:
            holders[element].append(form.form_id)
    shared_counts: dict[tuple[str, str], int] = defaultdict(int)
    for ids in holders.values():
        for a, b in combinations(ids, 2):
            shared_counts[(a, b)] += 1
    order = {f.form_id: index for index, f in enumerate(live)}
    pairs = []
    for (a, b), count in shared_counts.items():
        if count < 2:
            continue
        ea, eb = elements[a], elements[b]
        if order[a] > order[b]:
            a, b = b, a
        shared = sorted(ea & eb)
        if ea == eb:
            pairs.append(DuplicatePair(a, b, "full", shared))
        elif 2 * len(shared) >= min(len(ea), len(eb)):
            pairs.append(DuplicatePair(a, b, "partial", shared))
    pairs.sort(key=lambda p: (p.kind != "full", order[p.a], order[p.b]))
    return pairs


def review_forms(forms: list[dict], catalogue: Catalogue) -> BatchReview:
    """Review a batch of forms in the shared shape and find the duplicates among them."""
    matcher = Matcher(catalogue)
    verdicts = [review_form(form, catalogue, matcher=matcher) for form in forms]
    return BatchReview(forms=verdicts, duplicate_pairs=find_duplicates(verdicts))
