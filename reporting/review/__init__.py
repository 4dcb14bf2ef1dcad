"""The review of incoming forms: pure Python, no Django (see engine.py for the rules).

cat = Catalogue.from_files(elements_path, duties_path, aliases=[...])
batch = review_forms(forms, cat)
batch.to_answer()
"""

from .catalogue import AliasSpec, Catalogue, DutySpec, ElementSpec
from .engine import (
    BatchReview,
    DuplicatePair,
    FormVerdict,
    find_duplicates,
    review_form,
    review_forms,
)
from .matching import Derivation, FieldVerdict, Matcher

__all__ = [
    "AliasSpec",
    "BatchReview",
    "Catalogue",
    "Derivation",
    "DuplicatePair",
    "DutySpec",
    "ElementSpec",
    "FieldVerdict",
    "FormVerdict",
    "Matcher",
    "find_duplicates",
    "review_form",
    "review_forms",
]
