"""Reads of the registry — the one read path for pages, API viewsets, exports and cards.

Each starts from `visible_to(actor)` (grids/querysets.py decides the scope) and owns its joins,
so a list of 20 rows costs the same queries as a list of 1. A count shown beside a row counts
only what the reader may see.
"""

from collections import defaultdict

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from grids.cadence import current_tags, residents_due, residents_with_due
from grids.models import (
    Building,
    Dwelling,
    Grid,
    GridAssignment,
    Household,
    MicroGrid,
    Region,
    RegionUserObjectPermission,
    Resident,
    ResidentTag,
    TagDef,
    Visit,
)
from portal.models import AuditEvent, User
from portal.validators import citizen_id_normalize, mobile_normalize


def _count(queryset: QuerySet, fk: str):
    """A correlated COUNT of `queryset` rows pointing at the outer row through `fk`."""
    counted = (
        queryset.filter(**{fk: OuterRef("pk")})
        .order_by()
        .values(fk)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


# --- The area tree and grids -------------------------------------------------------------------


def region_list(*, actor) -> QuerySet:
    """The area tree within the actor's jurisdiction (and the regions above it)."""
    return Region.objects.visible_to(actor)


def community_list(*, actor) -> QuerySet:
    """Communities the actor sees: the choices of every community field and filter."""
    return Region.objects.visible_to(actor).filter(level=Region.Level.COMMUNITY)


def grid_list(*, actor) -> QuerySet:
    return Grid.objects.visible_to(actor).select_related("community")


def grid_overview_list(*, actor, on) -> QuerySet:
    """Grids with the households the actor sees in each (`household_count`) and the staff in
    post on `on` (`current_staff`), by code: the grid list page."""
    return (
        grid_list(actor=actor)
        .annotate(household_count=_count(Household.objects.visible_to(actor), "grid"))
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=grid_staff_list(actor=actor, on=on),
                to_attr="current_staff",
            )
        )
        .order_by("code")
    )


def grid_staff_list(*, actor, grid: Grid | None = None, on=None) -> QuerySet:
    """Posts in grids the actor sees, with the person: those held on `on` when given (by post
    and seniority), else every post, newest first (the staffing history)."""
    queryset = GridAssignment.objects.visible_to(actor).select_related("person")
    if grid is not None:
        queryset = queryset.filter(grid=grid)
    if on is not None:
        return queryset.current(on=on).order_by("post", "start_date", "pk")
    return queryset.order_by("-start_date", "-pk")


def grid_assignment_list(*, actor) -> QuerySet:
    return GridAssignment.objects.visible_to(actor).select_related("person")


def grid_assignment_open_exists(*, grid: Grid, person, post: str) -> bool:
    """Whether `person` already holds an open `post` in `grid` (assigning again changes nothing)."""
    return GridAssignment.objects.filter(
        grid=grid, person=person, post=post, end_date__isnull=True
    ).exists()


def micro_grid_list(*, actor, grid: Grid) -> QuerySet:
    """The grid's micro-grids, each with the buildings the actor sees in it (`building_count`)."""
    return (
        MicroGrid.objects.visible_to(actor)
        .filter(grid=grid)
        .annotate(building_count=_count(Building.objects.visible_to(actor), "micro_grid"))
        .order_by("name")
    )


def grid_counts(*, actor, grid: Grid) -> dict[str, int]:
    """What the grid page counts, in the actor's scope: households, buildings, residents, and
    residents due for a visit (grids.cadence)."""
    residents = Resident.objects.visible_to(actor).filter(household__grid=grid)
    return {
        "household_count": Household.objects.visible_to(actor).filter(grid=grid).count(),
        "building_count": Building.objects.visible_to(actor).filter(grid=grid).count(),
        "resident_count": residents.count(),
        "due_count": residents_due(residents).count(),
    }


# --- Buildings, dwellings, households ----------------------------------------------------------


def building_list(*, actor) -> QuerySet:
    return Building.objects.visible_to(actor).select_related("community", "grid", "micro_grid")


def building_overview_list(*, actor) -> QuerySet:
    """Buildings with the households the actor sees in each (`household_count`): the list page.

    Counted in scope: a building of a grid worker's grid may hold households of another grid.
    """
    return (
        building_list(actor=actor)
        .annotate(household_count=_count(Household.objects.visible_to(actor), "dwelling__building"))
        .order_by("community__code", "name", "pk")
    )


def dwelling_list(*, actor, building: Building) -> QuerySet:
    return Dwelling.objects.visible_to(actor).filter(building=building).select_related("building")


def dwelling_households_list(*, actor, building: Building) -> QuerySet:
    """The building's dwellings, each with the households the actor sees living there
    (`visible_households`, with `member_count`): the building page."""
    households = (
        household_overview_list(actor=actor)
        .filter(dwelling__building=building)
        .order_by("dwelling__unit", "dwelling__room", "number")
    )
    return (
        Dwelling.objects.visible_to(actor)
        .filter(building=building)
        .prefetch_related(Prefetch("households", queryset=households, to_attr="visible_households"))
        .order_by("unit", "room")
    )


def household_list(*, actor) -> QuerySet:
    return Household.objects.visible_to(actor).select_related(
        "grid__community", "dwelling__building", "head"
    )


def household_overview_list(*, actor) -> QuerySet:
    """Households with the members the actor sees (`member_count`): the list page."""
    return (
        household_list(actor=actor)
        .annotate(member_count=_count(Resident.objects.visible_to(actor), "household"))
        .order_by("number", "pk")
    )


def household_members(*, actor, household: Household) -> list[tuple[Resident, tuple | None]]:
    """The members the actor sees, eldest first, each with `(due_at, is_overdue)` from
    grids.cadence (None for a member on no visiting cadence). Two queries."""
    members = Resident.objects.visible_to(actor).filter(household=household).order_by("birth_date")
    due = {
        pk: (due_at, overdue)
        for pk, due_at, overdue in residents_with_due(members).values_list(
            "pk", "due_at", "is_overdue"
        )
    }
    return [(member, due.get(member.pk)) for member in members]


# --- Residents and tags ------------------------------------------------------------------------


def resident_list(*, actor, search: str = "") -> QuerySet:
    """Residents the actor may see, searchable by name, exact ID number or exact phone."""
    queryset = Resident.objects.visible_to(actor).select_related("household__grid__community")
    search = search.strip()
    if search:
        queryset = queryset.filter(resident_search_q(search))
    return queryset


def resident_with_tags_list(*, actor) -> QuerySet:
    """Residents with their tags (ordered by group and code) and household: the API."""
    tags = ResidentTag.objects.select_related("tag").order_by("tag__group", "tag__code")
    return (
        Resident.objects.visible_to(actor)
        .select_related("household")
        .prefetch_related(Prefetch("tags", queryset=tags))
    )


def resident_tag_codes(*, resident_ids) -> dict[int, list[str]]:
    """The codes of the tags each resident holds, by resident id, ordered by group and code as
    `resident_with_tags_list` prefetches them: one query for a page of residents the caller
    already sees (none for an empty page). The API's flat resident list (grids/api/flat.py)."""
    codes: dict[int, list[str]] = defaultdict(list)
    if not resident_ids:
        return codes
    rows = (
        ResidentTag.objects.filter(resident_id__in=resident_ids)
        .order_by("tag__group", "tag__code")
        .values_list("resident_id", "tag__code")
    )
    for resident_id, code in rows:
        codes[resident_id].append(code)
    return codes


def resident_search_q(search: str) -> Q:
    """A name prefix, or an exact ID number or phone (through their keyed hashes).

    `name >= search` adds nothing to the match (a name starting with the prefix never sorts
    before it) but lets the ordered B-tree on `name` start at the prefix: for a common prefix
    such as a surname, PostgreSQL pages `ORDER BY name LIMIT 20` by walking that index, which
    without a bound starts at the first name in the table (docs/performance.md).
    """
    field_id = Resident._meta.get_field("id_number")
    field_phone = Resident._meta.get_field("phone")
    q = Q(name__startswith=search, name__gte=search)
    if len(search) >= 15:
        q |= Q(id_number_hash=field_id.hash_of(citizen_id_normalize(search)))
    if sum(c.isdigit() for c in search) >= 11:
        q |= Q(phone_hash=field_phone.hash_of(mobile_normalize(search)))
    return q


def resident_tag_list(*, actor, resident: Resident | None = None) -> QuerySet:
    """Tags on residents the actor sees, with the tag; one resident's, by group and code."""
    queryset = ResidentTag.objects.visible_to(actor).select_related("tag")
    if resident is not None:
        queryset = queryset.filter(resident=resident).order_by("tag__group", "tag__code")
    return queryset


def resident_tag_exists(*, resident: Resident, tag: TagDef) -> bool:
    """Whether the resident already holds the tag (adding it again updates it)."""
    return ResidentTag.objects.filter(resident=resident, tag=tag).exists()


def tag_def_list(*, actor) -> QuerySet:
    """The street's tag catalogue (the same for every role that may read tags)."""
    return TagDef.objects.visible_to(actor)


def tag_choices() -> QuerySet:
    """Every tag, by group and code: the catalogue is the street's, no one's personal data."""
    return TagDef.objects.order_by("group", "code")


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


def resident_visible_id_holder(*, actor, id_number: str) -> int | None:
    """The id of the resident holding `id_number`, when the actor may see them (else None)."""
    number_hash = Resident._meta.get_field("id_number").hash_of(id_number)
    return (
        Resident.objects.visible_to(actor)
        .filter(id_number_hash=number_hash)
        .values_list("pk", flat=True)
        .first()
    )


def resident_probable_duplicates(
    *, actor, name: str, birth_date=None, phone: str = "", exclude_pk: int | None = None, limit=10
):
    """Residents the actor may see who are probably the same person as the one being entered.

    Same name and birth date, or the same phone (through its keyed hash). Residents outside the
    actor's scope are never listed.
    """
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


# --- Visits ------------------------------------------------------------------------------------


def visits_due_list(*, actor, now=None) -> QuerySet:
    """Residents the actor may visit who are due or overdue, most urgent first (one query).

    Due dates come from grids.cadence, like everywhere else; this only adds scope and joins.
    """
    now = now or timezone.now()
    visible = (
        Resident.objects.visible_to(actor)
        .filter(pk__in=cadence_tag_holders(on=timezone.localtime(now).date()))
        .select_related("household__grid")
    )
    return residents_due(visible, now=now)


def cadence_tag_holders(*, on) -> QuerySet:
    """Ids of the residents holding a tag in force on `on` whose tier sets a visiting cadence:
    exactly those `grids.cadence.residents_with_due` can keep (it decides their due dates).

    Narrowing a set of residents to these first lets PostgreSQL join them set-wise before it
    computes due dates resident by resident: at 1,000,000 residents a fifth hold such a tag,
    and the reminder sweep's overdue query reads 7.7 million buffers instead of 9.8 million
    (15.7 s to 12.2 s under EXPLAIN ANALYZE; docs/scaling.md).
    """
    return (
        current_tags(on=on)
        .filter(tag__visit_tier__in=list(settings.VISIT_INTERVAL_DAYS))
        .values("resident")
    )


def visit_list(*, actor) -> QuerySet:
    return Visit.objects.visible_to(actor).select_related("household__grid", "resident", "visitor")


def visit_with_needs_list(*, actor) -> QuerySet:
    """Visits with the needs they raised (and each need's resident): the API and a visit's page."""
    return visit_list(actor=actor).prefetch_related("needs__resident")


# --- Staff -------------------------------------------------------------------------------------


def grid_current_workers(*, grid_ids, on) -> dict[int, int]:
    """Each grid's worker on `on` (user id), in one query: full-time before part-time,
    longest-serving first. The choice is made in Python, so it runs on SQLite too."""
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


def handover_candidates(*, grid: Grid) -> tuple[QuerySet, QuerySet]:
    """Who may hand the grid over (holders of an open post there) and who may take it over
    (active grid workers and leaders), by name: the handover form's choices."""
    from portal.models import User

    holders = User.objects.filter(
        grid_assignments__grid=grid, grid_assignments__end_date__isnull=True
    ).distinct()
    takers = User.objects.grid_staff()
    return holders.order_by("full_name", "username"), takers.order_by("full_name", "username")


def community_cadres() -> tuple[dict[int, list], dict[int, str]]:
    """Community cadres per community (their `grids.work_in_region` grants), from one query.

    Only people in the community-cadre role: integrations hold the same grant and get no mail.
    """
    cadres: dict[int, list] = defaultdict(list)
    names: dict[int, str] = {}
    grants = RegionUserObjectPermission.objects.filter(
        permission__codename="work_in_region",
        content_object__level=Region.Level.COMMUNITY,
        user__in=User.objects.community_cadres(),
    ).values_list("content_object_id", "content_object__name", "user_id")
    for community_id, community_name, user_id in grants:
        cadres[community_id].append(user_id)
        names[community_id] = community_name
    return cadres, names


# --- The resident's file and the household's (一人一档) ---------------------------------------
# One capped query per section (two with a prefetch); `file_capped` asks for one row more than
# it shows to know whether there are more, so the page's query count does not grow with rows.

FILE_ROWS_SHOWN = 10
FILE_ROWS_ALL = 200


def file_capped(queryset, limit: int) -> tuple[list, bool]:
    """The first `limit` rows of `queryset` and whether there are more (one query)."""
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


def resident_file_list(*, actor) -> QuerySet:
    """Residents the actor may see, with the address their file shows: household, dwelling,
    building, grid and community in the one query."""
    return Resident.objects.visible_to(actor).select_related(
        "household__dwelling__building", "household__grid__community", "household__head"
    )


def resident_file_visits(*, actor, resident: Resident, limit: int = FILE_ROWS_SHOWN):
    """Visits to the resident and to their whole household that the actor sees, newest
    first, each with its needs (and the need's resident): two queries."""
    person = Q(resident=resident)
    if resident.household_id:
        person |= Q(resident__isnull=True, household_id=resident.household_id)
    visits = (
        Visit.objects.visible_to(actor)
        .filter(person)
        .select_related("visitor", "resident")
        .prefetch_related("needs__resident")
        .order_by("-visited_at", "-id")
    )
    return file_capped(visits, limit)


def household_file_visits(*, actor, household: Household, limit: int = FILE_ROWS_SHOWN):
    """Visits to the household and its members that the actor sees, newest first, with their
    needs: two queries."""
    visits = (
        Visit.objects.visible_to(actor)
        .filter(household=household)
        .select_related("visitor", "resident")
        .prefetch_related("needs__resident")
        .order_by("-visited_at", "-id")
    )
    return file_capped(visits, limit)


def resident_file_tags(*, actor, resident: Resident) -> QuerySet:
    """The resident's tags with their history: current ones first, then ended ones, each
    newest first (valid from, source, certificate)."""
    return resident_tag_list(actor=actor, resident=resident).order_by(
        F("valid_to").desc(nulls_first=True), F("valid_from").desc(nulls_last=True), "-id"
    )


def resident_file_members(*, actor, resident: Resident) -> QuerySet:
    """The other members of the resident's household that the actor sees, eldest first."""
    if not resident.household_id:
        return Resident.objects.none()
    return (
        Resident.objects.visible_to(actor)
        .filter(household_id=resident.household_id)
        .exclude(pk=resident.pk)
        .order_by("birth_date", "pk")
    )


RESIDENT_FILE_READ_ACTIONS = ("resident.view", "reveal")


def resident_read_audit(*, actor, resident: Resident, limit: int = FILE_ROWS_SHOWN):
    """Who opened the resident's file or revealed their ID number or phone, newest first (the
    street administrator's view of the read audit); one query, capped."""
    events = AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Resident),
        object_id=str(resident.pk),
        action__in=RESIDENT_FILE_READ_ACTIONS,
    ).order_by("-occurred_at", "-id")
    return file_capped(events, limit)
