"""Benchmark of the burden-reduction review: fields reviewed per second against the catalogue.

    .venv/bin/python bench/review_bench.py            # 1,000 / 10,000 / 20,000 fields
    .venv/bin/python bench/review_bench.py --fields 10000

Pure Python (the review engine of reporting/review needs no database): builds the catalogue
from reporting/catalogue_data (or ../shared/reporting), then reviews batches of forms made by
varying real department wordings — the labels of the development set when it is present, or a
built-in list — with noise (brackets, qualifiers, numerals, typos) so that the caches do not
see the same label twice: the caches are cleared before each batch and work within it as they
do in production (a batch of department forms repeats many labels). Prints a Markdown table: fields, forms, seconds, fields per second,
and the growth against the smallest batch (near-linear is 1.0 per doubling of the ratio).

The issue's target: 10,000 fields in at most 2 s on the project's machine (2 cores).
"""

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reporting.review import Catalogue, review_forms  # noqa: E402
from reporting.review.normalise import normalise  # noqa: E402
from reporting.review.reading import read_label  # noqa: E402

BUILT_IN_LABELS = [
    "本街道八十周岁以上独居老人（人）", "高龄老人数", "签约家医的居民人数", "辖区独局老人数",
    "底边户数", "65周岁以上老年人数", "农村低保户数", "本月新增低保户数", "入户走访次数",
    "严重精神障碍在册患者数", "1-本月累计助餐人次", "户均人口", "老龄化率",
    "空巢（不含独居）老年人数", "低保、低边户总数", "情况说明", "老年食堂数量", "填报单位",
    "80岁以上独居老人名单（姓名、住址、联系电话）", "双报到党员人数", "三会一课次数",
    "科普课堂参加人次", "服务转介办结率", "其中：党支部", "持证残疾人数（户籍）", "重残人数",
]  # fmt: skip
QUALIFIERS = ["", "本街道", "辖区内", "全街道", "辖区"]
UNITS = ["", "（人）", "(人)", " ", "（个）", "（次）"]


def catalogue() -> Catalogue:
    for folder in (ROOT / "reporting" / "catalogue_data", ROOT.parent / "shared" / "reporting"):
        if (folder / "data_elements.json").exists():
            return Catalogue.from_files(folder / "data_elements.json", folder / "duty_list.json")
    raise SystemExit("no catalogue found")


def labels() -> list[str]:
    devset = ROOT / "tests" / "reporting" / "devset" / "forms_dev.json"
    if devset.exists():
        forms = json.loads(devset.read_text(encoding="utf-8"))
        found = [field["label"] for form in forms for field in form["fields"]]
        if found:
            return found
    return BUILT_IN_LABELS


def forms_of(count: int, pool: list[str], rng: random.Random) -> list[dict]:
    forms, made = [], 0
    while made < count:
        size = min(rng.randint(4, 12), count - made)
        fields = []
        for index in range(size):
            label = rng.choice(QUALIFIERS) + rng.choice(pool) + rng.choice(UNITS)
            label += "\u200b" * rng.randint(0, 3) + " " * rng.randint(0, 2)  # defeat the caches
            fields.append({"id": f"B{len(forms):05d}-{index:02d}", "label": label})
        forms.append({
            "id": f"B{len(forms):05d}", "department": "某局", "title": "测试表",
            "period": rng.choice(["monthly", "quarterly", "annual"]), "due_days": 5,
            "duty_item": rng.choice(["D06", "D08", None, "D26"]), "fields": fields,
        })  # fmt: skip
        made += size
    return forms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fields", type=int, nargs="*", default=[1000, 10000, 20000])
    args = parser.parse_args()
    cat = catalogue()
    pool = labels()
    rng = random.Random(20261204)  # noqa: S311 — reproducible test data
    rows = []
    for count in args.fields:
        batch = forms_of(count, pool, rng)
        normalise.cache_clear()
        read_label.cache_clear()
        started = time.perf_counter()
        review_forms(batch, cat)
        seconds = time.perf_counter() - started
        rows.append((count, len(batch), seconds))
    base = rows[0]
    print("| fields | forms | seconds | fields/s | time ÷ smallest ÷ size ratio |")
    print("|---:|---:|---:|---:|---:|")
    for count, forms, seconds in rows:
        growth = (seconds / base[2]) / (count / base[0])
        print(f"| {count:,} | {forms:,} | {seconds:.2f} | {count / seconds:,.0f} | {growth:.2f} |")


if __name__ == "__main__":
    main()
