"""Regenerate the labelled sets: python tests/reporting/devset/build_sets.py [dev|holdout|extra|all]."""

import json
import sys
from pathlib import Path

from _dsl import build, summary, write

HERE = Path(__file__).resolve().parent


def main(which: str = "all") -> None:
    if which in ("extra", "all"):
        from extra_forms import FORMS as EXTRA

        forms, gold = build(EXTRA)
        write(forms, gold, HERE / "forms_extra.json", HERE / "labels_extra.json")
        print("extra", json.dumps(summary(forms, gold), ensure_ascii=False))
    if which in ("dev", "all"):
        from dev_forms import FORMS

        forms, gold = build(FORMS)
        write(forms, gold, HERE / "forms_dev.json", HERE / "labels_dev.json")
        print("dev", json.dumps(summary(forms, gold), ensure_ascii=False))
    if which in ("holdout", "all"):
        try:
            from holdout_forms import FORMS as HOLD
        except ImportError:
            return
        forms, gold = build(HOLD)
        write(forms, gold, HERE / "forms_holdout.json", HERE / "labels_holdout.json")
        print("holdout", json.dumps(summary(forms, gold), ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "all")
