"""The models of reporting/, one module per room, all importable from `reporting.models`.

- catalogue: Department, DutyItem (职责清单), DataElement (数据元), IndicatorAlias
- intake: ReportTemplate (a department's form), TemplateField, FieldReview (the review of each
  field: the engine's proposal and the cadre's decision), TemplateDuplicate
- dashboards: BurdenRule (the configurable rule of hours saved)
- flow: ReportTask (one period, the state machine), TaskEvent, ReportAssignment (a community's
  share), AssignmentValue, FieldDelegation (a field handed to a grid worker)

Who sees which rows is each room's `querysets.py`.
"""

from reporting.catalogue.models import DataElement, Department, DutyItem, IndicatorAlias, Relation
from reporting.dashboards.models import BurdenRule
from reporting.flow.models import (
    AssignmentValue,
    FieldDelegation,
    ReportAssignment,
    ReportTask,
    TaskEvent,
)
from reporting.intake.models import FieldReview, ReportTemplate, TemplateDuplicate, TemplateField

__all__ = [
    "AssignmentValue",
    "BurdenRule",
    "DataElement",
    "Department",
    "DutyItem",
    "FieldDelegation",
    "FieldReview",
    "IndicatorAlias",
    "Relation",
    "ReportAssignment",
    "ReportTask",
    "ReportTemplate",
    "TaskEvent",
    "TemplateDuplicate",
    "TemplateField",
]
