"""The street's initial catalogue: the 70 data elements and the 32 duty items of
reporting/catalogue_data/ (the street's own lists). Rows already there are left as they are
(the street may have edited them); missing ones are added, so running it again adds nothing."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "catalogue_data"


def catalogue_install(apps, schema_editor):
    DataElement = apps.get_model("reporting", "DataElement")
    DutyItem = apps.get_model("reporting", "DutyItem")
    elements = json.loads((DATA / "data_elements.json").read_text(encoding="utf-8"))
    duties = json.loads((DATA / "duty_list.json").read_text(encoding="utf-8"))
    have = set(DataElement.objects.values_list("code", flat=True))
    DataElement.objects.bulk_create(
        DataElement(
            code=e["id"],
            name=e["name"],
            definition=e["definition"],
            unit=e["unit"],
            basis=e["basis"] or "",
            age_rule=e["age_rule"] or "",
            kind=e["kind"],
            period=e["period"],
            computable=e["computable"],
            source=e["source"] or "",
        )
        for e in elements
        if e["id"] not in have
    )
    have = set(DutyItem.objects.values_list("code", flat=True))
    DutyItem.objects.bulk_create(
        DutyItem(code=d["id"], name=d["name"], type=d["type"], basis=d["basis"])
        for d in duties
        if d["id"] not in have
    )


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_initial")]

    operations = [migrations.RunPython(catalogue_install, migrations.RunPython.noop)]
