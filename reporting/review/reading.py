"""One label, read into its dimensions: population, age, basis, unit, time, subset.

`read_label(text)` takes a normalised label (normalise.py) and returns a `Reading`. The
reading consumes what it understands; `residue` is what is left, which the matcher treats as
"the label says something more" and holds the field back for a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from . import lexicon as lx

AgeRange = tuple[int | None, int | None]  # inclusive bounds in whole years; None = open


@dataclass(frozen=True)
class Reading:
    text: str
    concepts: frozenset[str] = frozenset()
    age: AgeRange | None = None
    age_said: str = ""
    basis: str | None = None
    unit: str | None = None
    time: str = "period"  # period | window | date | change | growth | gross
    time_said: str = ""
    ratio: bool = False
    per: bool = False
    joined: bool = False
    excluded: frozenset[str] = frozenset()
    excluded_said: str = ""
    is_list: bool = False
    list_columns: tuple[str, ...] = ()
    narrative: bool = False
    header: bool = False
    residue: str = ""
    order: tuple[str, ...] = ()  # the concepts in the order the label says them
    notes: tuple[str, ...] = field(default_factory=tuple)

    def with_concepts(self, concepts) -> Reading:
        return replace(self, concepts=frozenset(concepts))


_BRACKET_UNIT = re.compile(
    r"\((人|户|次|人次|户次|场|场次|个|件|起|单|元|万元|小时|学时|课时|h|%|‰|名|家|项|天|条|处|所|支|座)\)$"
)
_UNIT_OF_BRACKET = {
    "人": "人", "名": "人", "户": "户", "家": "户", "次": "次", "人次": "人次", "场": "场",
    "场次": "场", "个": "个", "件": "个", "元": "元", "万元": "元", "小时": "小时",
    "学时": "小时", "课时": "小时", "%": "%", "‰": "%", "h": "小时", "起": "个", "单": "个",
    "条": "次",
}  # fmt: skip

_AGE_PATTERNS: list[tuple[re.Pattern, str]] = [
    (re.compile(r"(\d+)(?:周岁|岁)?[-至到](\d+)(?:周岁|岁)(?:之间|以内)?(?:\(含\))?"), "band"),
    (re.compile(r"(?:超过|大于|高于|多于)(\d+)(?:周岁|岁)"), "gt"),
    (re.compile(r"(\d+)(?:周岁|岁)以上\(不含(?:\d+(?:周岁|岁))?\)"), "gt"),
    (re.compile(r"(?:年满|已满|满)?(\d+)(?:周岁|岁)(?:\(含\)|\(含\d+(?:周岁|岁)\))?(?:及|或|和)?以上(?:\(含(?:\d+(?:周岁|岁))?\))?"), "ge"),
    (re.compile(r"(?:年满|已满)(\d+)(?:周岁|岁)"), "ge"),
    (re.compile(r"(\d+)(?:周岁|岁)\+"), "ge"),
    (re.compile(r"(\d+)(?:周岁|岁)以下\(不含(?:\d+(?:周岁|岁))?\)"), "lt"),
    (re.compile(r"(?:未满|不满|不足|小于|低于|未达)(\d+)(?:周岁|岁)"), "lt"),
    (re.compile(r"(\d+)(?:周岁|岁)(?:\(含\))?(?:及|或|和)?以下"), "le"),
    (re.compile(r"(\d+)(?:周岁|岁)(?:\+|及?以上)?(?=老|长者|高龄)"), "ge"),
    (re.compile(r"(\d+)后"), "cohort"),
    (re.compile(r"(\d+)(?:周岁|岁)"), "exact"),
]  # fmt: skip

_BASIS_PATTERNS: list[tuple[re.Pattern, str]] = [
    (re.compile(r"农村户籍|农业户籍|农村户口|农业户口|农村"), "农村"),
    (re.compile(r"城乡"), "城乡"),
    (re.compile(r"城市|城镇|非农户籍"), "城市"),
    (re.compile(r"户籍(?:在本街道|在本地|在本辖区)?|本地户籍|户口在本地|户籍地"), "户籍"),
    (re.compile(r"常住|居住半年以上|半年以上"), "常住"),
    (
        re.compile(
            r"实有|实际居住|现居住|现居|居住在本?(?:辖区|街道|社区)|在本?(?:辖区|街道|社区)内?居住"
        ),
        "实有",
    ),
]


def _age_from(kind: str, match: re.Match) -> AgeRange | None:
    first = int(match.group(1))
    if kind == "band":
        return (first, int(match.group(2)))
    if kind == "ge":
        return (first, None)
    if kind == "gt":
        return (first + 1, None)
    if kind == "le":
        return (None, first)
    if kind == "lt":
        return (None, first - 1)
    if kind == "exact":
        return (first, first)
    return (-1, -1)  # a cohort (80后): no catalogue age


def _consume(text: str, match: re.Match) -> str:
    return text[: match.start()] + "□" + text[match.end() :]


@lru_cache(maxsize=65536)
def read_label(text: str, *, form_period: str = "") -> Reading:
    """Read one normalised label (see the module's docstring)."""
    if lx.HEADER_LABELS.match(text):
        return Reading(text=text, header=True)
    rest = text
    notes: list[str] = []

    unit = None
    bracket = _BRACKET_UNIT.search(rest)
    if bracket:
        unit = _UNIT_OF_BRACKET.get(bracket.group(1), bracket.group(1))
        if bracket.group(1) == "万元":
            notes.append("万元")
        rest = rest[: bracket.start()]

    # list columns: 名单(姓名、性别...) or 名单:姓名、...
    is_list = bool(lx.LIST_MARKERS.search(rest))
    columns: tuple[str, ...] = ()
    if is_list:
        cols = re.search(r"(?:名单|花名册|明细|清单|台账|信息表|一览表)[(:]?(.+?)\)?$", rest)
        if cols and re.search(r"[、,]", cols.group(1)):
            columns = tuple(c for c in re.split(r"[、,;]", cols.group(1).strip("()")) if c)
            rest = rest[: cols.start(1)]
        rest = lx.LIST_MARKERS.sub("□", rest)
        unit = "名单"

    time, time_said = "period", ""
    for kind, pattern in (
        ("gross", lx.GROSS_FLOW_WORDS),
        ("change", lx.CHANGE_WORDS),
        ("growth", lx.GROWTH_WORDS),
        ("date", lx.DATE_WORDS),
        ("window", lx.WINDOW_WORDS),
    ):
        match = pattern.search(rest)
        if match:
            if time == "period":
                time, time_said = kind, match.group(0)
            rest = _consume(rest, match)
            while match := pattern.search(rest):
                rest = _consume(rest, match)
    if time == "window" and _window_is_own_period(time_said, form_period):
        time, time_said = "period", ""
    if time == "date" and _date_is_own_end(time_said, form_period):
        time, time_said = "period", ""

    excluded: set[str] = set()
    excluded_said = ""
    age = None
    age_said = ""
    for pattern, kind in _AGE_PATTERNS:
        match = pattern.search(rest)
        if match:
            age, age_said = _age_from(kind, match), match.group(0)
            rest = _consume(rest, match)
            break

    # exclusions: 不含独居 / 非独居 / 除独居外
    exclusion = re.search(
        r"(?:不含|不包括|除去?|剔除|扣除)([^()□]{1,8}?)(?:外|以外|之外)?(?=\)|$|□|的|老|人|户)",
        rest,
    )
    if exclusion is None:
        exclusion = re.search(
            r"非((?:独居|空巢|重度|重残|低保|低边|特困|留守|失能|失智|户籍|常住)+)", rest
        )
    if exclusion:
        excluded_said = exclusion.group(1)
        excluded = set(_concepts_in(excluded_said))
        rest = _consume(rest, exclusion)

    # inclusions: (含独居) restate a definition; they narrow nothing
    rest = re.sub(r"\((?:含|包括|包含)[^)]*\)", "", rest)
    # a bracket restating the element's formula: (签约人数÷常住人口)
    rest = re.sub(r"\([^)]*[÷/×][^)]*\)", "", rest)

    basis = None
    for pattern, name in _BASIS_PATTERNS:
        while match := pattern.search(rest):
            basis = basis or name
            rest = _consume(rest, match)

    if unit is None:
        unit = _unit_of(rest.replace("□", ""))
    # a bracket that restates what the population is made of: (正式+预备), (独居、空巢、留守…)
    rest = (
        re.sub(r"\([^()]*(?:\+|、)[^()]*\)", "□", rest)
        if re.search(r"[\u4e00-\u9fff]{2}\(", rest)
        else rest
    )
    ratio = bool(lx.RATIO_WORDS.search(rest))
    per = bool(lx.PER_WORDS.search(rest))
    if per:
        rest = lx.PER_WORDS.sub("□", rest)
    joined = bool(lx.JOINERS.search(rest))

    concepts: list[str] = []
    for pattern, names in (
        (lx.CONCEPTS_AT_ONCE, lx.CONCEPT_OF_GROUP),
        (lx.QUALIFIERS_AT_ONCE, lx.QUALIFIER_OF_GROUP),
    ):
        pieces, last = [], 0
        for match in pattern.finditer(rest):
            concepts.append(names[match.lastgroup])
            pieces.append(rest[last : match.start()] + "□")
            last = match.end()
        rest = "".join(pieces) + rest[last:]

    narrative = bool(lx.NEW_MARKERS.search(rest))
    residue = lx.NOISE.sub("", rest).replace("□", "")
    return Reading(
        text=text,
        concepts=frozenset(concepts),
        order=tuple(concepts),
        age=age,
        age_said=age_said,
        basis=basis,
        unit=unit,
        time=time,
        time_said=time_said,
        ratio=ratio,
        per=per,
        joined=joined,
        excluded=frozenset(excluded),
        excluded_said=excluded_said,
        is_list=is_list,
        list_columns=columns,
        narrative=narrative,
        residue=residue,
        notes=tuple(notes),
    )


def _concepts_in(text: str) -> list[str]:
    found = []
    for concept, pattern in lx.COMPILED_CONCEPTS:
        if pattern.search(text):
            found.append(concept)
            text = pattern.sub("□", text)
    return found


def _unit_of(text: str) -> str | None:
    """The unit a label's wording implies, from its last counting word."""
    stripped = re.sub(r"\([^)]*\)$", "", text).rstrip(":：")
    for candidate in (
        stripped,
        re.sub(r"(?:总数|合计|总计|之和|总和|总量|数量|数)$", "", stripped),
    ):
        for unit, pattern in lx.COMPILED_UNITS:
            if pattern.search(candidate):
                return unit
    return None


_OWN_WINDOWS = {
    "monthly": ("上月",),
    "quarterly": (),
    "annual": ("本年", "本年度", "全年", "当年", "年度", "本年累计", "本年度累计", "年度累计", "全年累计", "本年以来", "今年以来"),
}  # fmt: skip


def _window_is_own_period(said: str, form_period: str) -> bool:
    if said in ("本年", "本年度", "当年", "年度", "全年"):
        return form_period in ("annual", "")
    return said in _OWN_WINDOWS.get(form_period, ()) and form_period == "annual"


def _date_is_own_end(said: str, form_period: str) -> bool:
    """本月末, 期末... are the period's own end; 年末 is, on an annual form (or one of unknown period)."""
    if said.startswith("本") or said == "期末":
        return True
    if said == "12月31日":
        return form_period in ("annual", "")
    own = {"年末": "annual", "年底": "annual", "月末": "monthly", "月底": "monthly",
           "季末": "quarterly", "季度末": "quarterly"}  # fmt: skip
    return said in own and (own[said] == form_period or not form_period)
