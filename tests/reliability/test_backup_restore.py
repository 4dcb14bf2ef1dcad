"""A `pg_dump -Fc` restored into a fresh database decrypts and counts the same.

The dump is taken as docs/operations.md says (custom format) from a live portal whose
residents carry encrypted ID numbers and phones; it is restored with `pg_restore` into a new,
empty database of the private cluster; the portal started on the restored database with the
same keys reads every resident's ID number and phone back, finds them by the blind index
(exact ID number or phone search), and counts the same rows in every table. The dump itself
holds no ID number or phone in clear.
"""

import subprocess

from tests.reliability.stack import Portal, _pg_bin, street_setup

RESIDENTS = 40

READ = """
from django.apps import apps
from django.db import connection
from grids.models import Resident
from grids.selectors import resident_search_q

tables = {}
for model in apps.get_models():
    if model._meta.managed and not model._meta.proxy:
        tables[model._meta.db_table] = model._base_manager.count()
people = {
    r.pk: [r.name, r.id_number, r.phone, r.birth_date.isoformat()]
    for r in Resident.objects.order_by("pk")
}
found = sum(
    Resident.objects.filter(resident_search_q(id_number)).filter(pk=pk).exists()
    and Resident.objects.filter(resident_search_q(phone)).filter(pk=pk).exists()
    for pk, (_name, id_number, phone, _birth) in people.items()
)
result = {"tables": tables, "people": people, "found": found}
"""


def test_pg_dump_restored_into_a_fresh_database_decrypts_and_counts_the_same(stack, faults):
    portal = stack.portal("fault_backup")
    street = street_setup(portal, residents=RESIDENTS)
    # Visits, audit events and the rest: a little of everything the street would hold.
    portal.python(
        "from grids.models import Resident, Visit\nfrom portal.models import User\n"
        "worker = User.objects.get(username='f_worker')\n"
        "for r in Resident.objects.all():\n"
        "    Visit.objects.create(resident=r, household=r.household, visitor=worker)\n"
    )
    before = portal.python(READ)
    assert len(before["people"]) == RESIDENTS
    assert before["found"] == RESIDENTS

    dump = stack.pg.dir / "portal.dump"  # pg_dump runs as the cluster's user
    stack.pg.dump("fault_backup", dump)
    stack.pg.create_database("fault_backup_restored")  # empty: template1 of a fresh cluster
    stack.pg.restore(dump, "fault_backup_restored")
    restored = Portal(stack.base, stack.pg, stack.redis, "fault_backup_restored", index=7)
    after = restored.python(READ)

    assert after["tables"] == before["tables"]
    assert after["people"] == before["people"]  # every ID number and phone decrypts the same
    assert after["found"] == RESIDENTS  # and the blind index still finds each of them
    assert sorted(after["people"][str(pk)][1] for pk in street["residents"]) == sorted(
        street["id_numbers"]
    )

    # The dump holds ciphertext only.
    sql = subprocess.run(
        [_pg_bin("pg_restore"), "-f", "-", str(dump)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "grids_resident" in sql
    leaked = [
        p for _n, id_number, phone, _b in before["people"].values() for p in (id_number, phone)
    ]
    assert not [value for value in leaked if value in sql]

    faults["survived"] += 1
    faults["notes"].append(
        f"pg_dump -Fc → pg_restore into a fresh database: {len(before['tables'])} tables "
        f"counted the same, {RESIDENTS} residents decrypted and found by the blind index"
    )
