"""The catalogue the review reads against: elements, duties, confirmed aliases (plain data).

The Django models of reporting/catalogue hold the street's editable catalogue; they build a
`Catalogue` with `Catalogue(elements=..., duties=..., aliases=...)`. The batch command and the
tests may build one from the shared JSON files with `Catalogue.from_files()`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .normalise import normalise
from .reading import Reading, read_label

AGE_RULES = {">=60": (60, None), ">=80": (80, None), "<18": (None, 17), "<16": (None, 15)}


@dataclass(frozen=True)
class ElementSpec:
    id: str
    name: str
    definition: str = ""
    unit: str = "人"
    basis: str | None = None
    age_rule: str | None = None
    kind: str = "count"
    period: str = "stock"
    computable: bool = True
    source: str = ""

    @property
    def age(self):
        if not self.age_rule:
            return None
        if self.age_rule in AGE_RULES:
            return AGE_RULES[self.age_rule]
        op, number = self.age_rule[:2].strip("0123456789"), int(self.age_rule.lstrip("<>="))
        return {">=": (number, None), ">": (number + 1, None), "<": (None, number - 1)}.get(
            op, (None, number)
        )


@dataclass(frozen=True)
class DutySpec:
    id: str
    name: str
    type: str
    basis: str = ""


@dataclass(frozen=True)
class AliasSpec:
    """A mapping a person confirmed: this label (under this parent, if any) is this element."""

    label: str
    element_id: str | None
    relation: str = "same"
    parent_label: str = ""


# The words a homophone typo is most often made in (独局 → 独居, 底边 → 低边, 志原 → 志愿).
DOMAIN_WORDS = (
    "家庭",
    "独居",
    "空巢",
    "留守",
    "失能",
    "失智",
    "低保",
    "低边",
    "特困",
    "困境",
    "志愿",
    "残疾",
    "高龄",
    "孤儿",
    "计生",
    "探访",
    "走访",
    "助餐",
    "助洁",
    "家医",
    "签约",
    "转介",
    "矫正",
    "户籍",
    "常住",
    "实有",
    "流动",
    "网格",
    "培训",
    "纠纷",
    "矛盾",
    "抚养",
    "儿童",
    "视力",
    "听力",
    "言语",
    "肢体",
    "智力",
    "精神",
    "多重",
    "重度",
    "科普",
    "心理",
    "辅导",
    "资助",
    "救助",
    "供养",
    "退役",
    "失业",
    "医保",
    "养老",
    "津贴",
    "补贴",
    "失独",
    "分离",
    "学时",
    "党员",
    "支部",
    "化解",
    "排查",
    "空巢",
    "监护",
    "困难",
    "关爱",
    "边缘",
    "保障",
    "老年",
)

# Elements whose name alone does not say everything the matcher needs.
SIGNATURE_OVERRIDES: dict[str, frozenset[str]] = {
    "DE001": frozenset({"population"}),
    "DE002": frozenset({"population"}),
    "DE005": frozenset({"household"}),
    "DE012": frozenset({"elderly", "empty_nest"}),
    "DE019": frozenset({"elderly", "spec_old"}),
    "DE039": frozenset({"visit", "spec_old", "elderly", "on_time"}),
    "DE044": frozenset({"family_doctor"}),
    "DE045": frozenset({"family_doctor"}),
    "DE055": frozenset({"double_report"}),
    "DE057": frozenset({"three_meetings"}),
    "DE058": frozenset({"training"}),
    "DE059": frozenset({"training", "below"}),
    "DE056": frozenset({"party_org"}),
    "DE040": frozenset({"meal"}),
}


@dataclass
class Catalogue:
    elements: list[ElementSpec]
    duties: list[DutySpec] = field(default_factory=list)
    aliases: list[AliasSpec] = field(default_factory=list)

    @classmethod
    def from_json(cls, elements: list[dict], duties: list[dict], aliases=()) -> Catalogue:
        fields = set(ElementSpec.__dataclass_fields__)
        return cls(
            elements=[ElementSpec(**{k: v for k, v in e.items() if k in fields}) for e in elements],
            duties=[
                DutySpec(id=d["id"], name=d["name"], type=d["type"], basis=d.get("basis", ""))
                for d in duties
            ],
            aliases=list(aliases),
        )

    @classmethod
    def from_files(cls, elements_path, duties_path, aliases=()) -> Catalogue:
        elements = json.loads(Path(elements_path).read_text(encoding="utf-8"))
        duties = json.loads(Path(duties_path).read_text(encoding="utf-8"))
        return cls.from_json(elements, duties, aliases)

    @cached_property
    def by_id(self) -> dict[str, ElementSpec]:
        return {element.id: element for element in self.elements}

    @cached_property
    def duty_by_id(self) -> dict[str, DutySpec]:
        return {duty.id: duty for duty in self.duties}

    @cached_property
    def vocabulary(self) -> tuple[str, ...]:
        """Two-character domain words that typos are corrected against (normalise.py)."""
        return DOMAIN_WORDS

    def normalise(self, label: str) -> str:
        return normalise(label, self.vocabulary)

    @cached_property
    def signatures(self) -> dict[str, Reading]:
        """Each element's reading of its own name, with the overrides above."""
        from .matching import canonical_concepts

        result = {}
        for element in self.elements:
            reading = read_label(self.normalise(element.name))
            concepts = SIGNATURE_OVERRIDES.get(element.id) or canonical_concepts(reading)
            result[element.id] = reading.with_concepts(concepts)
        return result

    @cached_property
    def by_concepts(self) -> dict[frozenset[str], list[ElementSpec]]:
        index: dict[frozenset[str], list[ElementSpec]] = {}
        for element in self.elements:
            index.setdefault(self.signatures[element.id].concepts, []).append(element)
        return index

    @cached_property
    def alias_index(self) -> dict[tuple[str, str], AliasSpec]:
        index = {}
        for alias in self.aliases:
            key = (self.normalise(alias.label), self.normalise(alias.parent_label or ""))
            index[key] = alias
        return index
