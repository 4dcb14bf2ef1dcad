"""A delivery carries its resident's jurisdiction columns: `scope_grid` and `scope_community`.

As referrals do (migration 0012), and for the same reason: a community's or a grid's
deliveries were found by `resident_id IN (residents of the jurisdiction)`, which PostgreSQL
answered by hashing the jurisdiction's residents and reading every delivery of the district
(the community dashboard's months: 100,000 deliveries read for 9,814 kept, 27 ms). With the
columns on the delivery, `(scope_grid, delivered_at, id)` and `(scope_community, delivered_at,
id)` give the lists and the months from the jurisdiction's own index range.

Kept by the database: a trigger copies the columns from the resident whenever a delivery is
written (whatever Django writes there is overwritten; bulk inserts of a meal import included),
and a statement-level trigger on residents refreshes the deliveries of every resident whose
jurisdiction changed. SQLite (`make run`): row-level triggers.
"""

from django.db import migrations, models

from services.migrations import _resident_scope_copy as resident_scope_copy

# The triggers' SQL (services/migrations/_resident_scope_copy.py, shared with the referrals)
forwards, backwards = resident_scope_copy.operations("delivery")


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0014_referral_event_answers"),
    ]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="scope_community",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="delivery",
            name="scope_grid",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(
                fields=["scope_grid", "-delivered_at", "-id"], name="delivery_grid_newest"
            ),
        ),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(
                fields=["scope_community", "-delivered_at", "-id"],
                name="delivery_community_newest",
            ),
        ),
    ]
