"""Visit tiers configured per tag, with `none`; the broad age bands carry none; visit outcome
(met / not met) and limits on a visit's text (issue 12: visits due by risk)."""

import django.core.validators
from django.db import migrations, models

# The broad age-derived tags: every child, every resident of 60 or more. They say who someone
# is, not that they need visiting (DOMAIN.md: the priority populations carry the tiers). 80+
# (高龄) is a priority population and keeps its tier.
BROAD_AGE_TAGS = ["elderly_60", "minor"]


def broad_age_tags_carry_no_tier(apps, schema_editor):
    TagDef = apps.get_model("grids", "TagDef")
    TagDef.objects.filter(code__in=BROAD_AGE_TAGS, age_derived=True).update(visit_tier="none")


def broad_age_tags_general_again(apps, schema_editor):
    TagDef = apps.get_model("grids", "TagDef")
    TagDef.objects.filter(code__in=BROAD_AGE_TAGS, visit_tier="none").update(visit_tier="general")
    # A tier the older code does not know is read as general.
    TagDef.objects.filter(visit_tier="none").update(visit_tier="general")


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0007_updated_at"),
    ]

    operations = [
        migrations.AlterField(
            model_name="tagdef",
            name="visit_tier",
            field=models.CharField(
                choices=[
                    ("high", "High risk"),
                    ("key", "Key"),
                    ("general", "General"),
                    ("none", "No visits"),
                ],
                default="general",
                help_text="How often holders of this tag are visited; “No visits” sets no cadence.",
                max_length=16,
                verbose_name="visit tier",
            ),
        ),
        migrations.AddField(
            model_name="visit",
            name="outcome",
            field=models.CharField(
                choices=[("met", "Met in person"), ("not_met", "Not met")],
                default="met",
                help_text="A visit that did not meet the person is recorded but does not count.",
                max_length=16,
                verbose_name="outcome",
            ),
        ),
        migrations.AlterField(
            model_name="visit",
            name="findings",
            field=models.TextField(
                blank=True,
                max_length=2000,
                validators=[
                    django.core.validators.MaxLengthValidator(
                        2000, "The findings are too long (at most %(limit_value)d characters)."
                    )
                ],
                verbose_name="findings",
            ),
        ),
        migrations.AlterField(
            model_name="visitneed",
            name="description",
            field=models.TextField(
                blank=True,
                max_length=500,
                validators=[
                    django.core.validators.MaxLengthValidator(
                        500,
                        "The need's details are too long (at most %(limit_value)d characters).",
                    )
                ],
                verbose_name="description",
            ),
        ),
        migrations.RunPython(broad_age_tags_carry_no_tier, broad_age_tags_general_again),
    ]
