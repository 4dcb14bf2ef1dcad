"""The configurable tables' defaults: required meeting frequencies, yearly training hours and
the point rule for serving hours. The street changes them in the admin afterwards; running
this again (or after an edit) changes nothing that exists."""

from decimal import Decimal

from django.db import migrations

MEETING_REQUIREMENTS = [
    # (meeting kind, period) for every kind of organisation ("" = any)
    ("branch_committee", "month"),  # 支委会
    ("group_meeting", "month"),  # 党小组会
    ("general_assembly", "quarter"),  # 党员大会
    ("party_lecture", "quarter"),  # 党课
    ("theme_day", "month"),  # 主题党日
]
TRAINING_THRESHOLDS = [("member", Decimal("32")), ("secretary", Decimal("56"))]


def defaults_install(apps, schema_editor):
    MeetingRequirement = apps.get_model("partybuilding", "MeetingRequirement")
    TrainingThreshold = apps.get_model("partybuilding", "TrainingThreshold")
    PointRule = apps.get_model("partybuilding", "PointRule")
    for kind, period in MEETING_REQUIREMENTS:
        MeetingRequirement.objects.get_or_create(
            kind=kind, org_kind="", defaults={"period": period}
        )
    for position, hours in TRAINING_THRESHOLDS:
        TrainingThreshold.objects.get_or_create(
            position=position, defaults={"yearly_hours": hours}
        )
    PointRule.objects.get_or_create(
        code="serving_hours",
        defaults={
            "name": "服务时长",
            "points_per_hour": Decimal("1"),
            "points_per_item": Decimal("0"),
            "evidence_required": True,
            "active": True,
        },
    )


def defaults_remove(apps, schema_editor):
    """Going back leaves the rows: the tables themselves go with 0001."""


class Migration(migrations.Migration):
    dependencies = [("partybuilding", "0001_initial")]

    operations = [migrations.RunPython(defaults_install, defaults_remove)]
