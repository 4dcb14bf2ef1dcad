"""A referral carries its resident's jurisdiction columns: `scope_grid` and `scope_community`.

A grid worker's or a community cadre's referral list filtered `resident_id IN (residents of the
jurisdiction)`: PostgreSQL hashed the jurisdiction's residents and read every referral of the
district to count them (20,000 referrals: 3.9 ms for a grid of 540), and walked the street's
newest referrals one by one, probing each resident, to fill a page. With the columns on the
referral, `(scope_grid, created_at, id)` and `(scope_community, created_at, id)` give both the
count and the page from the jurisdiction's own index range.

The columns are kept by the database, as the resident's are (grids migration 0010): a trigger
copies them from the resident whenever a referral is written (whatever Django writes there is
overwritten), and a statement-level trigger on residents refreshes the referrals of every
resident whose jurisdiction changed — which the resident's own triggers do whenever a household
changes grid or dwelling, a grid or a building changes community, a dwelling changes building.
A referral is written after its resident (the form and the API take an existing one); one
inserted by hand before its resident, in the same transaction, is seen by the street alone
until it is next written. SQLite (`make run`): row-level triggers.
"""

from django.db import migrations, models

from services.migrations import _resident_scope_copy as resident_scope_copy

# The triggers' SQL (services/migrations/_resident_scope_copy.py, shared with the deliveries)
forwards, backwards = resident_scope_copy.operations("referral")


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0011_scope_triggers_set_difference"),
        ("services", "0011_activity_enrolment"),
    ]

    operations = [
        migrations.AddField(
            model_name="referral",
            name="scope_community",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="referral",
            name="scope_grid",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                fields=["scope_grid", "-created_at", "-id"], name="referral_grid_newest"
            ),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                fields=["scope_community", "-created_at", "-id"], name="referral_community_newest"
            ),
        ),
    ]
