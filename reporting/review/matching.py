"""One field against the catalogue: same, derivable, different basis (a look-alike) or new.

The rule a careful statistician follows, and so does this module: a figure is only proposed
when every dimension of the label agrees with one element (population, age, basis, unit,
stock or flow, subset) or is a stated function of elements; anything the label says that the
vocabulary does not understand holds the field back. A wrong figure is worse than a question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from .catalogue import Catalogue, ElementSpec
from .reading import Reading, read_label

ELDERLY_TAGS = {
    "lives_alone", "empty_nest", "left_behind_elderly", "disabled_elderly", "disabled_only",
    "dementia_only", "partly_disabled", "fully_disabled", "spec_old", "old_age_high",
    "centenarian",
}  # fmt: skip
CHILD_TAGS = {"child_difficulty", "de_facto_orphan", "left_behind_child", "orphan"}
DISABILITY_MARKS = {
    "severe", "grade_3_4", "grade_other", "cat_visual", "cat_hearing", "cat_speech", "cat_physical",
    "cat_intellectual", "cat_mental", "cat_multiple",
}  # fmt: skip
HEAD_NOUNS = {"population", "household"}
# Concepts that narrow a population but name none: a label made only of them reads its form's
# title for the population (化解率 in a 矛盾纠纷 form).
DEPENDENT_CONCEPTS = frozenset({"resolved", "closed", "below", "on_time", "cancelled"})
# Concepts with no element of their own, and the element a label carrying them looks like.
LOOK_ALIKES = {
    "mental_disorder": "DE035",
    "followup": "DE037",
    "theme_day": "DE057",
    "meeting_part": "DE057",
    "grid_instructor": "DE008",
    "grid_leader": "DE008",
    "part_time": "DE008",
    "micro_grid": "DE006",
    "grid_base": "DE006",
    "grid_dedicated": "DE006",
    "bereaved": "DE018",
    "two_subsidies": "DE070",
    "disabled_living_subsidy": "DE070",
    "temporary_relief": "DE024",
    "partly_disabled": "DE016",
    "fully_disabled": "DE016",
    "disabled_only": "DE016",
    "dementia_only": "DE016",
    "separated_away": "DE004",
    "separated_here": "DE004",
    "probationary": "DE054",
    "full_member": "DE054",
    "floating_member": "DE054",
    "branch": "DE056",
    "general_branch": "DE056",
    "committee": "DE056",
    "centenarian": "DE010",
    "signed": "DE044",
}
# Units an element of a given unit accepts from a label; per element where the catalogue's
# own definition says more (a science class counts sessions, not attendees).
UNIT_ACCEPTS = {
    "人": {"人"},
    "户": {"户"},
    "次": {"次", "人次"},
    "个": {"个"},
    "元": {"元"},
    "小时": {"小时"},
    "%": {"%"},
    "名单": {"名单"},
}
UNIT_ACCEPTS_BY_ELEMENT = {
    "DE049": {"次", "个"},
    "DE050": {"次", "个"},
    "DE048": {"次", "场"},
    "DE057": {"次", "场"},
    "DE040": {"次", "人次"},
    "DE060": {"个", "次"},
    "DE061": {"个", "次"},
}

RELATION_SAME = "same"
RELATION_DERIVABLE = "derivable"
RELATION_TRAP = "different_basis"
RELATION_NEW = "new"
RELATION_HEADER = "header"

DIMENSION_NAMES = {
    "population": "对象",
    "age": "年龄",
    "basis": "口径",
    "unit": "计量单位",
    "time": "时点/时期",
    "subset": "范围",
    "definition": "定义",
    "columns": "名单字段",
    "wording": "表述",
}


@dataclass
class Derivation:
    kind: str  # window | date | change | growth | ratio | sum | difference | scale
    elements: list[str]
    window: str | None = None

    def as_dict(self) -> dict:
        return {"kind": self.kind, "elements": list(self.elements), "window": self.window}


@dataclass
class FieldVerdict:
    field_id: str
    label: str
    element: str | None = None
    relation: str = RELATION_NEW
    looks_like: str | None = None
    derivation: Derivation | None = None
    agrees: list[str] = field(default_factory=list)
    differs: list[str] = field(default_factory=list)
    reason: str = ""
    answerable: bool = False
    confidence: float = 0.0

    @property
    def inputs(self) -> list[str]:
        if self.derivation:
            return list(self.derivation.elements)
        return [self.element] if self.element else []


def canonical_concepts(reading: Reading) -> frozenset[str]:
    """The concepts of a reading after the catalogue's own definitions are applied."""
    concepts = set(reading.concepts)
    if "care_visit" in concepts:  # 探访 is the 探访关爱 of the special-difficulty elderly
        concepts -= {"care_visit"}
        concepts |= {"visit", "spec_old"}
    if "signed" in concepts:  # the catalogue's only 签约 is the family doctor's
        concepts.discard("signed")
        concepts.add("family_doctor")
    if {"grid_leader", "full_time", "part_time"} <= concepts | {"grid_worker"} and reading.joined:
        concepts -= {"grid_leader", "full_time", "part_time"}  # the posts that make up 网格员总数
        concepts.add("grid_worker")
    if "visit" in concepts and concepts & {"grid_worker", "grid"}:
        concepts -= {"grid_worker", "grid"}  # grid workers file the visits
    if "dispute" in concepts:
        concepts.discard("visit")  # disputes are flagged on visits
        if "resolved" in concepts:
            concepts.discard("closed")  # 化解办结: resolved is the closing of a dispute
    if {"grid_base", "grid_dedicated"} <= concepts and reading.joined:
        concepts -= {"grid_base", "grid_dedicated"}  # base and dedicated grids make up 网格数
        concepts.add("grid")
    if concepts & {"grid_base", "grid_dedicated"}:
        concepts.discard("grid")
    if "severe_care_subsidy" in concepts:
        concepts -= {"disabled", "severe"}  # the subsidy is for the severely disabled
    if {"committee", "general_branch", "branch"} <= concepts and reading.joined:
        concepts -= {"committee", "general_branch", "branch"}  # the kinds that make up 党组织
        concepts.add("party_org")
    if concepts == {"resolved"}:
        concepts.add("dispute")  # 化解 / 调解成功: the catalogue resolves only disputes
    if concepts & ELDERLY_TAGS:
        concepts.add("elderly")
    if concepts & CHILD_TAGS:
        concepts.add("child")
    if concepts & DISABILITY_MARKS:
        concepts.add("disabled")
    if {"lives_alone", "empty_nest"} <= concepts:
        # 空巢 includes 独居: "空巢、独居老人" is the 空巢 count, "其中：独居" under 空巢 is 独居
        concepts.discard("empty_nest" if not reading.joined else "lives_alone")
    if "spec_old" in concepts and concepts & (ELDERLY_TAGS - {"spec_old", "old_age_high"}):
        concepts.discard("spec_old")
    if "old_age_high" in concepts:
        concepts.discard("old_age_high")
    if "centenarian" in concepts:
        concepts.discard("centenarian")
    if "double_report" in concepts:
        concepts -= {"serving_member", "party_member"}
    if concepts & {"training", "three_meetings"}:
        concepts -= {"party_member", "branch"}
    if "family_doctor" in concepts:
        concepts.discard("signed")
    if "grid_worker" in concepts:
        concepts.discard("grid")
    if (
        reading.age
        and reading.age[0] is not None
        and reading.age[0] >= 60
        and reading.age[1] is None
    ):
        concepts.add("elderly")
    if (
        reading.age
        and reading.age[0] is None
        and reading.age[1] is not None
        and reading.age[1] <= 17
    ):
        concepts.add("child")
    if concepts & {"meal", "cleaning"} and reading.age is None:
        concepts.discard("elderly")  # 老年助餐 / 老人助洁: the services are for the elderly
    if concepts - HEAD_NOUNS - {"female", "male", "below"} and concepts - HEAD_NOUNS:
        concepts -= HEAD_NOUNS
    return frozenset(concepts)


def effective_age(reading: Reading, concepts) -> tuple | None:
    if reading.age is not None:
        return reading.age
    if "centenarian" in reading.concepts:
        return (100, None)
    if "old_age_high" in reading.concepts:
        return (80, None)
    if "elderly" in concepts:
        return (60, None)
    if "left_behind_child" in concepts:
        return (None, 15)
    if "child" in concepts:
        return (None, 17)
    return UNSAID


UNSAID = ("unsaid",)  # the label says no age and names no population that carries one


def _unit_agrees(element: ElementSpec, unit: str | None) -> bool:
    if unit is None:
        return element.unit not in ("名单", "%")
    accepts = UNIT_ACCEPTS_BY_ELEMENT.get(element.id) or UNIT_ACCEPTS.get(
        element.unit, {element.unit}
    )
    return unit in accepts


def _basis_agrees(element: ElementSpec, basis: str | None) -> bool:
    if basis is None or basis == "城乡":
        return True
    return element.basis == basis


def _columns_agree(element: ElementSpec, columns) -> bool:
    definition = re.sub(r"[()（）]|脱敏|号码|码", "", element.definition)
    for column in columns:
        plain = re.sub(r"[()（）]|脱敏|号码|码", "", column)
        if plain and plain not in definition and not _loosely_in(plain, definition):
            return False
    return True


def _numbers_of_definition(residue: str, element: ElementSpec) -> bool:
    """A residue of numbers only, each stated in the element's definition (不足32学时)."""
    numbers = re.findall(r"\d+", residue)
    return (
        bool(numbers)
        and re.sub(r"\d+", "", residue) == ""
        and all(n in element.definition for n in numbers)
    )


def _loosely_in(column: str, definition: str) -> bool:
    synonyms = {"住址": "居住地址", "地址": "居住地址", "电话": "联系电话", "手机": "联系电话",
                "社区": "所属社区", "网格": "网格", "身份证": "身份证号", "年龄": "出生日期",
                "出生年月": "出生日期", "监护人": "监护人", "探访日期": "探访日期",
                "最近探访": "最近一次探访", "类型": "类型"}  # fmt: skip
    return any(key in column and target in definition for key, target in synonyms.items())


class Matcher:
    """Matches readings against one catalogue (built once per review batch)."""

    def __init__(self, catalogue: Catalogue):
        self.catalogue = catalogue

    # ---------------------------------------------------------------- entry point
    def match(self, field_id: str, label: str, *, parent: str = "", title: str = "",
              form_period: str = "") -> FieldVerdict:  # fmt: skip
        verdict = FieldVerdict(field_id=field_id, label=label)
        text = self.catalogue.normalise(label)
        parent_text = self.catalogue.normalise(parent) if parent else ""
        alias = self.catalogue.alias_index.get(
            (text, parent_text)
        ) or self.catalogue.alias_index.get((text, ""))
        if alias is not None:
            return self._from_alias(verdict, alias)

        reading = read_label(text, form_period=form_period)
        if reading.header:
            verdict.relation = RELATION_HEADER
            verdict.reason = "表头表尾信息，不是数据项"
            verdict.confidence = 1.0
            return verdict
        if parent_text:
            reading = self._with_parent(reading, read_label(parent_text, form_period=form_period))
        if reading.narrative:
            verdict.relation = RELATION_NEW
            verdict.reason = "文字说明、材料或签章，须由基层填写"
            verdict.confidence = 0.95
            return verdict
        concepts = canonical_concepts(reading)
        if (
            concepts <= DEPENDENT_CONCEPTS and (concepts or (reading.unit and not reading.residue))
        ) and title:
            concepts = self._with_title(concepts, title, form_period)
        if concepts == {"ageing"}:
            return self._derive(verdict, reading, concepts) or self._nearest_trap(
                verdict, reading, concepts
            )
        if not concepts:
            verdict.reason = "目录中没有这个指标"
            verdict.confidence = 0.8
            return verdict
        return self._match_concepts(verdict, reading, concepts)

    # ---------------------------------------------------------------- parts
    def _with_title(self, concepts, title: str, form_period: str):
        """A field that names no population (化解率, 上年同期发放金额) takes its form's title's."""
        title_reading = read_label(self.catalogue.normalise(title), form_period=form_period)
        own = canonical_concepts(title_reading) - DEPENDENT_CONCEPTS - HEAD_NOUNS
        if len(own) != 1 and own not in self.catalogue.by_concepts:
            return concepts
        return frozenset(concepts | own)

    def _from_alias(self, verdict, alias) -> FieldVerdict:
        verdict.element = (
            alias.element_id if alias.relation in (RELATION_SAME, RELATION_DERIVABLE) else None
        )
        verdict.relation = alias.relation
        verdict.looks_like = alias.element_id if verdict.element is None else None
        if verdict.element:
            verdict.derivation = (
                None
                if alias.relation == RELATION_SAME
                else Derivation("confirmed", [alias.element_id])
            )
        verdict.reason = "与已确认的别名一致"
        verdict.agrees = ["wording"]
        verdict.confidence = 1.0
        return self._answerable(verdict)

    def _with_parent(self, child: Reading, parent: Reading) -> Reading:
        """A `其中：` line read under its parent: the parent's population, narrowed by the child.

        A child that names a whole element by itself (其中：专职网格员) keeps its own population
        and takes from the parent only what it does not say (age, basis, unit, time).
        """
        own = canonical_concepts(child)
        parent_own = canonical_concepts(parent)
        if child.concepts and own in self.catalogue.by_concepts and own & parent_own:
            concepts = set(child.concepts)
        else:
            concepts = set(parent.concepts) | set(child.concepts)
        return replace(
            child,
            concepts=frozenset(concepts),
            age=child.age if child.age is not None else parent.age,
            age_said=child.age_said or parent.age_said,
            basis=child.basis or parent.basis,
            unit=child.unit or parent.unit,
            time=child.time if child.time != "period" else parent.time,
            time_said=child.time_said or parent.time_said,
            is_list=child.is_list or parent.is_list,
            ratio=child.ratio,
            joined=False,
            narrative=child.narrative,
        )

    def _candidates(self, concepts, reading: Reading) -> list[ElementSpec]:
        elements = self.catalogue.by_concepts.get(concepts, [])
        if reading.is_list:
            return [e for e in elements if e.unit == "名单"]
        return [e for e in elements if e.unit != "名单"]

    def _match_concepts(self, verdict, reading: Reading, concepts) -> FieldVerdict:
        candidates = self._candidates(concepts, reading)
        if not candidates and reading.is_list:
            counts = self.catalogue.by_concepts.get(concepts, [])
            if counts:
                return self._trap(verdict, counts[0], ["unit"], "目录中没有这个名单")
        if candidates:
            return self._judge(verdict, reading, concepts, candidates)
        derived = self._derive(verdict, reading, concepts)
        if derived is not None:
            return derived
        return self._nearest_trap(verdict, reading, concepts)

    def _judge(self, verdict, reading, concepts, candidates) -> FieldVerdict:
        if (reading.ratio or reading.per) and all(e.unit != "%" for e in candidates):
            derived = self._derive(verdict, reading, concepts)
            if derived is not None:
                return derived
        age = effective_age(reading, concepts)
        scored = []
        for element in candidates:
            differs = []
            if age is not UNSAID and age != element.age:
                differs.append("age")
            if not _basis_agrees(element, reading.basis):
                differs.append("basis")
            if not _unit_agrees(element, reading.unit) and not (
                reading.ratio and element.unit == "%"
            ):
                differs.append("unit")
            if reading.unit is None and reading.ratio and element.unit != "%":
                differs.append("unit")
            if element.period == "stock" and reading.time == "gross":
                differs.append("time")
            if reading.list_columns and not _columns_agree(element, reading.list_columns):
                differs.append("columns")
            scored.append((element, differs))
        agreeing = [element for element, differs in scored if not differs]
        if len(agreeing) > 1:
            agreeing = [
                e for e in agreeing if reading.basis and e.basis == reading.basis
            ] or agreeing
        if len(agreeing) == 1:
            element = agreeing[0]
            if reading.ratio and element.unit != "%":
                return self._ratio(verdict, reading, concepts, element)
            if reading.residue and not _numbers_of_definition(reading.residue, element):
                return self._trap(verdict, element, ["wording"],
                                  f"标签中“{reading.residue}”含义不明，请人工确认")  # fmt: skip
            if reading.excluded:
                return self._difference(verdict, reading, concepts, element)
            return self._found(verdict, reading, element)
        if len(agreeing) > 1:
            names = "、".join(e.name for e in agreeing)
            verdict.relation = RELATION_TRAP
            verdict.looks_like = agreeing[0].id
            verdict.reason = f"可能是 {names}，口径未说明，请人工确认"
            verdict.confidence = 0.4
            return verdict
        band = self._age_band(verdict, reading, candidates, scored)
        if band is not None:
            return band
        element, differs = min(scored, key=lambda pair: len(pair[1]))
        return self._trap(verdict, element, differs)

    def _age_band(self, verdict, reading, candidates, scored):
        """60至79周岁 = the 60+ element − the 80+ element, when both are in the catalogue."""
        age = reading.age
        if not age or age[0] is None or age[1] is None or reading.residue:
            return None
        if any(set(differs) - {"age"} for _e, differs in scored):
            return None
        lower = [e for e in candidates if e.age == (age[0], None)]
        upper = [e for e in candidates if e.age == (age[1] + 1, None)]
        if len(lower) != 1 or len(upper) != 1:
            return None
        base, removed = lower[0], upper[0]
        verdict.element = base.id
        verdict.relation = RELATION_DERIVABLE
        verdict.derivation = Derivation("difference", [base.id, removed.id])
        verdict.reason = f"由“{base.name}”减“{removed.name}”"
        verdict.agrees = ["population", "basis", "unit"]
        verdict.confidence = 0.85
        return self._answerable(verdict)

    def _found(self, verdict, reading, element) -> FieldVerdict:
        verdict.element = element.id
        verdict.agrees = ["population", "age", "basis", "unit", "time"]
        if reading.time_said and reading.time_said in element.name:
            reading = replace(
                reading, time="period", time_said=""
            )  # 年度…未达标: the element's own window
        if reading.time in ("period",) and not reading.notes:
            verdict.relation = RELATION_SAME
            verdict.reason = f"与“{element.name}”各维度一致"
            verdict.confidence = 0.95
        else:
            kind = reading.time if reading.time != "gross" else "window"
            if reading.time == "period":
                kind = "scale"
            verdict.relation = RELATION_DERIVABLE
            verdict.derivation = Derivation(kind, [element.id], reading.time_said or None)
            said = reading.time_said or "万元"
            verdict.reason = f"由“{element.name}”按“{said}”推算"
            verdict.agrees = ["population", "age", "basis", "unit"]
            verdict.differs = ["time"] if reading.time != "period" else []
            verdict.confidence = 0.9
        return self._answerable(verdict)

    def _trap(self, verdict, element, differs, reason: str = "") -> FieldVerdict:
        verdict.relation = RELATION_TRAP
        verdict.element = None
        verdict.looks_like = element.id if element else None
        verdict.differs = list(differs)
        verdict.agrees = [
            d for d in ("population", "age", "basis", "unit", "time") if d not in differs
        ]
        names = "、".join(DIMENSION_NAMES.get(d, d) for d in differs)
        verdict.reason = reason or (
            f"看似“{element.name}”，但{names}不同，不能套用" if element else "口径与目录不符"
        )
        verdict.confidence = 0.85
        return verdict

    def _nearest_trap(self, verdict, reading, concepts) -> FieldVerdict:
        for concept in sorted(concepts):
            if concept in LOOK_ALIKES:
                element = self.catalogue.by_id.get(LOOK_ALIKES[concept])
                if element:
                    return self._trap(verdict, element, ["definition" if concept in {"mental_disorder", "followup", "theme_day", "grid_instructor", "micro_grid", "two_subsidies", "disabled_living_subsidy", "temporary_relief"} else "subset"])  # fmt: skip
        best, best_overlap = None, 0
        for signature_concepts, elements in self.catalogue.by_concepts.items():
            if signature_concepts and signature_concepts <= concepts:
                overlap = len(signature_concepts)
                if overlap > best_overlap:
                    best, best_overlap = elements[0], overlap
        if best is not None:
            return self._trap(verdict, best, ["subset"])
        verdict.relation = RELATION_NEW
        verdict.reason = "目录中没有这个指标"
        verdict.confidence = 0.7
        return verdict

    # ---------------------------------------------------------------- derivations
    def _derive(self, verdict, reading, concepts):
        if concepts == {"disabled", "grade_3_4"}:  # grades run 1–4: 三、四级 = all − 一、二级
            base, severe = self.catalogue.by_id.get("DE028"), self.catalogue.by_id.get("DE029")
            if (
                base
                and severe
                and _unit_agrees(base, reading.unit)
                and _basis_agrees(base, reading.basis)
            ):
                verdict.element = base.id
                verdict.relation = RELATION_DERIVABLE
                verdict.derivation = Derivation("difference", [base.id, severe.id])
                verdict.reason = f"由“{base.name}”减“{severe.name}”"
                verdict.agrees = ["population", "basis", "unit"]
                verdict.confidence = 0.85
                return self._answerable(verdict)
        if reading.excluded:
            base = self._single(reading, concepts)
            if base is not None:
                return self._difference(verdict, reading, concepts, base)
        if reading.joined:
            parts = self._sum_parts(reading, concepts)
            if parts:
                verdict.element = parts[0].id
                verdict.relation = RELATION_DERIVABLE
                verdict.derivation = Derivation("sum", [p.id for p in parts])
                verdict.reason = "由" + "、".join(f"“{p.name}”" for p in parts) + "相加"
                verdict.agrees = ["population", "age", "basis", "unit"]
                verdict.confidence = 0.85
                return self._answerable(verdict)
        ratio = self._known_ratio(reading, concepts)
        if ratio is not None:
            numerator, denominator = ratio
            verdict.element = numerator.id
            verdict.relation = RELATION_DERIVABLE
            verdict.derivation = Derivation("ratio", [numerator.id, denominator.id])
            verdict.reason = f"由“{numerator.name}”÷“{denominator.name}”计算"
            verdict.agrees = ["population", "basis"]
            verdict.confidence = 0.85
            return self._answerable(verdict)
        return None

    def _single(self, reading, concepts) -> ElementSpec | None:
        candidates = self._candidates(concepts, reading)
        age = effective_age(reading, concepts)
        fitting = [
            e for e in candidates
            if (age is UNSAID or e.age == age) and _basis_agrees(e, reading.basis) and _unit_agrees(e, reading.unit)
            and not (e.period == "stock" and reading.time == "gross")
        ]  # fmt: skip
        return fitting[0] if len(fitting) == 1 else None

    def _difference(self, verdict, reading, concepts, base) -> FieldVerdict:
        with_excluded = canonical_concepts(
            replace(reading, concepts=frozenset(concepts | reading.excluded), joined=False)
        )
        removed = self._single(reading, with_excluded)
        if removed is not None and removed.id != base.id:
            verdict.element = base.id
            verdict.relation = RELATION_DERIVABLE
            verdict.derivation = Derivation("difference", [base.id, removed.id])
            verdict.reason = f"由“{base.name}”减“{removed.name}”"
            verdict.agrees = ["population", "age", "basis", "unit"]
            verdict.confidence = 0.85
            return self._answerable(verdict)
        plain_definition = base.definition.replace("“", "").replace("”", "")
        if reading.excluded_said and f"不含{reading.excluded_said}" in plain_definition:
            return self._found(verdict, replace(reading, excluded=frozenset()), base)
        return self._trap(
            verdict, base, ["subset"], f"“不含{reading.excluded_said}”的口径目录中没有，请人工确认"
        )

    def _sum_parts(self, reading, concepts) -> list[ElementSpec] | None:
        shared = {c for c in concepts if c in {"elderly", "child", "disabled", "party_member"}}
        position = {c: i for i, c in reversed(list(enumerate(reading.order)))}
        specific = sorted(
            (c for c in concepts if c not in shared), key=lambda c: position.get(c, 99)
        )
        if len(specific) < 2:
            return None
        parts = []
        for concept in specific:
            element = self._single(
                reading,
                frozenset(shared | {concept})
                if concept not in DISABILITY_MARKS
                else frozenset({"disabled", concept}),
            )
            if element is None:
                return None
            parts.append(element)
        if len({p.id for p in parts}) != len(parts):
            return None
        return parts

    def _known_ratio(self, reading, concepts):
        by_id = self.catalogue.by_id
        text = reading.text
        if "ageing" in concepts and reading.basis in (None, "户籍"):
            return by_id.get("DE009"), by_id.get("DE001")
        if (
            reading.per
            and concepts == {"population"}
            and reading.basis in (None, "户籍")
            and "户均" in text
        ):
            return by_id.get("DE001"), by_id.get("DE005")
        if reading.per and concepts == {"training"} and re.search(r"人均|平均每", text):
            return by_id.get("DE058"), by_id.get("DE054")
        if reading.ratio and concepts == {"referral", "closed"}:
            return by_id.get("DE050"), by_id.get("DE049")
        if reading.ratio and concepts == {"dispute", "resolved"}:
            return by_id.get("DE061"), by_id.get("DE060")
        if reading.ratio and "占" in text:
            head, _, tail = text.partition("占")
            top = self._plain(head)
            bottom = self._plain(tail)
            if top is not None and bottom is not None and top.id != bottom.id:
                return top, bottom
        return None

    def _plain(self, text: str) -> ElementSpec | None:
        text = re.sub(r"\([^)]*\)$", "", text)
        reading = read_label(re.sub(r"(?:的)?(?:比例|比重|占比|百分比|率)$", "", text))
        if reading.residue or reading.narrative:
            return None
        concepts = canonical_concepts(reading)
        candidates = self._candidates(concepts, replace(reading, is_list=False))
        age = effective_age(reading, concepts)
        fitting = [
            e
            for e in candidates
            if (age is UNSAID or e.age == age) and _basis_agrees(e, reading.basis) and e.unit != "%"
        ]
        return fitting[0] if len(fitting) == 1 else None

    def _ratio(self, verdict, reading, concepts, element) -> FieldVerdict:
        ratio = self._known_ratio(reading, concepts)
        if ratio is not None:
            return self._derive(verdict, reading, concepts)
        return self._trap(
            verdict, element, ["unit"], f"“{element.name}”是人数，比率的分母没有说明，请人工确认"
        )

    # ---------------------------------------------------------------- answerability
    def _answerable(self, verdict) -> FieldVerdict:
        inputs = verdict.inputs
        verdict.answerable = (
            bool(inputs)
            and all(self.catalogue.by_id[i].computable for i in inputs if i in self.catalogue.by_id)
            and all(i in self.catalogue.by_id for i in inputs)
        )
        if verdict.element and not verdict.answerable:
            verdict.reason += "（门户不掌握该数据，只用于查重，不预填）"
        return verdict
