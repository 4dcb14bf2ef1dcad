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
    """A name prefix, or an exact ID number or phone (through their keyed hashes).

    `name >= search` adds nothing to the match (a name starting with the prefix never sorts
    before it) but lets the ordered B-tree on `name` start at the prefix: for a common prefix
    such as a surname, PostgreSQL pages `ORDER BY name LIMIT 20` by walking that index, which
    without a bound starts at the first name in the table (docs/performance.md).
    """
    from django.db.models import Q

    field_id = Resident._meta.get_field("id_number")
    field_phone = Resident._meta.get_field("phone")
    q = Q(name__startswith=search, name__gte=search)
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


def resident_id_number_holder(*, actor, id_number: str, exclude_pk: int | None = None):
    """Whether an ID number is already registered, and its holder if the actor may see them.

    Returns `(taken, resident_or_None)`. The same ID number entered again must lead to the
    existing resident, never to a second one; a holder outside the actor's scope is reported
    only as taken, so the caller can refuse without revealing who or where they are.
    """
    field = Resident._meta.get_field("id_number")
    holders = Resident.objects.filter(id_number_hash=field.hash_of(citizen_id_normalize(id_number)))
    if exclude_pk is not None:
        holders = holders.exclude(pk=exclude_pk)
    holder_pk = holders.values_list("pk", flat=True).first()
    if holder_pk is None:
        return False, None
    visible = Resident.objects.visible_to(actor).filter(pk=holder_pk).first()
    return True, visible


def resident_probable_duplicates(
    *, actor, name: str, birth_date=None, phone: str = "", exclude_pk: int | None = None, limit=10
):
    """Residents the actor may see who are probably the same person as the one being entered.

    Same name and birth date, or the same phone (through its keyed hash). Residents outside the
    actor's scope are never listed.
    """
    from django.db.models import Q

    q = Q()
    if name and birth_date:
        q |= Q(name=name.strip(), birth_date=birth_date)
    if phone:
        q |= Q(phone_hash=Resident._meta.get_field("phone").hash_of(mobile_normalize(phone)))
    if not q:
        return Resident.objects.none()
    queryset = Resident.objects.visible_to(actor).filter(q)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.select_related("household__grid").order_by("name", "id")[:limit]


def grid_current_workers(*, grid_ids, on) -> dict[int, int]:
    """Each grid's worker on `on` (user id), in one query: full-time before part-time,
    longest-serving first. The choice is made in Python, so it runs on SQLite too."""
    from grids.models import GridAssignment

    if not grid_ids:
        return {}
    rows = (
        GridAssignment.objects.current(on=on)
        .filter(
            grid_id__in=grid_ids,
            post__in=[GridAssignment.Post.FULL_TIME, GridAssignment.Post.PART_TIME],
            person__is_active=True,
        )
        .order_by("grid_id", "post", "start_date", "pk")
        .values_list("grid_id", "person_id")
    )
    workers: dict[int, int] = {}
    for grid_id, person_id in rows:
        workers.setdefault(grid_id, person_id)
    return workers


def grid_current_worker(*, grid_id: int | None, on):
    """The grid's worker on `on` (see grid_current_workers), as a user, or None."""
    from portal.models import User

    person_id = grid_current_workers(grid_ids={grid_id}, on=on).get(grid_id) if grid_id else None
    return User.objects.get(pk=person_id) if person_id else None
