"""Reads of the registry; each starts from visible_to and owns its joins."""

from grids.models import Grid, Household, Resident
from portal.validators import citizen_id_normalize, mobile_normalize


def resident_list(*, actor, search: str = ""):
    """Residents the actor may see, searchable by name, exact ID number or exact phone."""
    queryset = Resident.objects.visible_to(actor).select_related("household__grid__community")
    search = search.strip()
    if search:
        queryset = queryset.filter(resident_search_q(search))
    return queryset


def resident_search_q(search: str):
    from django.db.models import Q

    field_id = Resident._meta.get_field("id_number")
    field_phone = Resident._meta.get_field("phone")
    q = Q(name__startswith=search)
    if len(search) >= 15:
        q |= Q(id_number_hash=field_id.hash_of(citizen_id_normalize(search)))
    if sum(c.isdigit() for c in search) >= 11:
        q |= Q(phone_hash=field_phone.hash_of(mobile_normalize(search)))
    return q


def household_list(*, actor):
    return Household.objects.visible_to(actor).select_related("grid", "dwelling__building", "head")


def grid_list(*, actor):
    return Grid.objects.visible_to(actor).select_related("community")


def visits_due_list(*, actor, now=None):
    """Residents the actor may visit who are due or overdue, most urgent first (one query).

    Due dates come from grids.cadence, like everywhere else; this only adds scope and joins.
    """
    from grids.cadence import residents_due

    visible = Resident.objects.visible_to(actor).select_related("household__grid")
    return residents_due(visible, now=now)


def visit_list(*, actor):
    from grids.models import Visit

    return Visit.objects.visible_to(actor).select_related("household__grid", "resident", "visitor")
