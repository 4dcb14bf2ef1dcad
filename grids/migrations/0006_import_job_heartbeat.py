from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("grids", "0005_record_ranges"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="heartbeat_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="last heartbeat"
            ),
        ),
    ]
