"""Who sees what of the registry — the one place scope is decided for grids/.

- street administrator, street cadre: the whole street;
- community cadre: the communities granted to them (`grids.work_in_region`);
- grid leader, grid worker: the grids granted to them (`grids.work_in_grid`);
- anyone holding `grids.view_resident` on one resident: that case;
- partner staff, Party officers, integrations without grants: nothing (their roles carry no
  registry permission, so `visible_to` stops before it gets here).
"""

import operator
from dataclasses import dataclass
from functools import cache, reduce

from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Q

from portal.querysets import ScopedQuerySet, objects_granted
from portal.scope_cache import scope_memo


def _model(name):
    return apps.get_model("grids", name)


def granted_communities(user):
    """Communities in the user's jurisdiction: granted directly, or under a granted street
    (a lazy subquery, read by the scope's resolution and by gates)."""
    Region = _model("Region")
    granted = objects_granted(user, "grids.work_in_region", Region)
    return Region.objects.filter(
        Q(pk__in=granted) | Q(parent__in=granted) | Q(parent__parent__in=granted),
        level=Region.Level.COMMUNITY,
    ).values("pk")


def granted_grids(user):
    return objects_granted(user, "grids.work_in_grid", _model("Grid"))


@dataclass(frozen=True)
class RegistryScope:
    """What a community, grid or shared-case user's registry scope comes down to: id lists.

    PostgreSQL plans `grid_id = ANY('{...}')` on an indexed column with real estimates; the
    nested grant subqueries it replaced were guessed at, and a street's household count read
    the whole district. Resolved once per request (`registry_scope`), never stale
    (portal/scope_cache.py).
    """

    communities: tuple[int, ...]  # granted, directly or under a granted street
    granted_grids: tuple[int, ...]
    grids_beyond: tuple[int, ...]  # the granted grids outside those communities
    grids: tuple[int, ...]  # granted, or inside a granted community
    # Households not (yet) placed in a grid belong to the community of their building, so the
    # community cadre still sees them — exactly the gap the coverage report must show.
    ungridded_households: tuple[int, ...]
    home_communities: tuple[int, ...]  # granted communities and those of the granted grids
    regions: tuple[int, ...]  # the home communities and the regions above them
    shared_residents: dict  # action → ids of residents shared for it (`grids.<action>_resident`)

    def households_q(self, household_path: str = "") -> Q:
        """Q for rows whose household lies in the jurisdiction.

        On the household itself: `grid_id = ANY(grids)`, with `OR id = ANY(ungridded)` only
        when there are ungridded households (both index scans, one BitmapOr). Elsewhere: a
        semi-join on that household condition, so no OR spans two tables.
        """
        own = Q(grid_id__in=self.grids)
        if self.ungridded_households:
            own |= Q(pk__in=self.ungridded_households)
        if not household_path:
            return own
        households = _model("Household").objects.filter(own).values("pk")
        return Q(**{f"{household_path}__in": households})

    def residents_q(self, action: str = "view", *, resident: str = "pk", through: str = "") -> Q:
        """Q on residents: those of the jurisdiction's households, and the cases shared.

        Read from the resident's own jurisdiction columns (kept by the database from its
        household, grids migration 0010), so a scoped search is one index range per
        community or grid — `(scope_community, name)`, `(scope_grid, name)` — and its count
        reads the jurisdiction's names only, however large the district. The same rows as
        `households_q("household")`: a household's community is its grid's, or, not yet in a
        grid, its building's.

        A table that carries a copy of its resident's columns (referrals, services migration
        0012) takes the same Q with `resident` naming its resident column (`resident_id`); a
        table reached through one (a referral's history and follow-ups) names the way there in
        `through` (`"referral__"`).
        """
        parts = []
        if self.communities:
            parts.append(Q(**{f"{through}scope_community__in": self.communities}))
        if self.grids_beyond:
            parts.append(Q(**{f"{through}scope_grid__in": self.grids_beyond}))
        shared = self.shared_residents.get(action, ())
        if shared:
            parts.append(Q(**{f"{through}{resident}__in": shared}))
        return reduce(operator.or_, parts) if parts else Q(pk__in=[])


def registry_scope(user) -> RegistryScope:
    """The user's registry scope, resolved in one query per request (see RegistryScope)."""
    return scope_memo(user, "grids.registry", lambda: _registry_scope_resolve(user))


def _registry_scope_resolve(user) -> RegistryScope:
    ids: dict[str, set[int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(_resolution_sql(), [user.pk, user.pk, user.pk])
        for kind, ref in cursor.fetchall():
            ids.setdefault(kind, set()).add(ref)

    def sorted_ids(kind):
        return tuple(sorted(ids.get(kind, ())))

    return RegistryScope(
        communities=sorted_ids("community"),
        granted_grids=sorted_ids("granted_grid"),
        grids_beyond=sorted_ids("grid_beyond"),
        grids=sorted_ids("grid"),
        ungridded_households=sorted_ids("ungridded"),
        home_communities=sorted_ids("home"),
        regions=sorted_ids("region"),
        shared_residents={
            action: sorted_ids(f"{action}_resident") for action in ("view", "change", "delete")
        },
    )


@cache
def _resolution_sql() -> str:
    """One statement for the whole RegistryScope: the user's grants (the guardian tables'
    direct foreign keys, as `objects_granted` reads them) and what follows from them, as
    (kind, id) rows.

    Written out rather than composed from querysets: the ORM form nested the communities'
    subquery in five places and took longer to compile (about 6 ms) than to run (about 1 ms,
    200,000 residents). Plain SQL, so SQLite (`make run`) runs it as PostgreSQL does.
    """
    Region, Grid, Household = _model("Region"), _model("Grid"), _model("Household")
    tables = {
        "region": Region._meta.db_table,
        "grid": Grid._meta.db_table,
        "household": Household._meta.db_table,
        "dwelling": _model("Dwelling")._meta.db_table,
        "building": _model("Building")._meta.db_table,
        "region_grant": _model("RegionUserObjectPermission")._meta.db_table,
        "grid_grant": _model("GridUserObjectPermission")._meta.db_table,
        "resident_grant": _model("ResidentUserObjectPermission")._meta.db_table,
        "permission": Permission._meta.db_table,
        "content_type": ContentType._meta.db_table,
    }
    quoted = {name: connection.ops.quote_name(table) for name, table in tables.items()}
    community = Region.Level.COMMUNITY.value
    return """
WITH perm AS (
    SELECT p.id, p.codename FROM {permission} p
    JOIN {content_type} ct ON ct.id = p.content_type_id
    WHERE ct.app_label = 'grids'
),
region_grant AS (
    SELECT g.content_object_id AS id FROM {region_grant} g
    JOIN perm ON perm.id = g.permission_id AND perm.codename = 'work_in_region'
    WHERE g.user_id = %s
),
grid_grant AS (
    SELECT g.content_object_id AS id FROM {grid_grant} g
    JOIN perm ON perm.id = g.permission_id AND perm.codename = 'work_in_grid'
    WHERE g.user_id = %s
),
community AS (
    SELECT r.id FROM {region} r
    LEFT JOIN {region} up ON up.id = r.parent_id
    WHERE r.level = '{community}' AND (
        r.id IN (SELECT id FROM region_grant)
        OR r.parent_id IN (SELECT id FROM region_grant)
        OR up.parent_id IN (SELECT id FROM region_grant)
    )
),
home AS (
    SELECT id FROM community
    UNION SELECT community_id FROM {grid} WHERE id IN (SELECT id FROM grid_grant)
)
SELECT 'community', id FROM community
UNION ALL SELECT 'granted_grid', id FROM grid_grant
UNION ALL SELECT 'grid_beyond', id FROM {grid}
    WHERE id IN (SELECT id FROM grid_grant) AND community_id NOT IN (SELECT id FROM community)
UNION ALL SELECT 'grid', id FROM {grid}
    WHERE community_id IN (SELECT id FROM community) OR id IN (SELECT id FROM grid_grant)
UNION ALL SELECT 'ungridded', h.id FROM {household} h
    JOIN {dwelling} d ON d.id = h.dwelling_id
    JOIN {building} b ON b.id = d.building_id
    WHERE h.grid_id IS NULL AND b.community_id IN (SELECT id FROM community)
UNION ALL SELECT 'home', id FROM home
UNION ALL SELECT 'region', r.id FROM {region} r
    WHERE r.id IN (SELECT id FROM home)
        OR r.id IN (SELECT parent_id FROM {region} WHERE id IN (SELECT id FROM home))
        OR r.id IN (
            SELECT up2.parent_id FROM {region} c JOIN {region} up2 ON up2.id = c.parent_id
            WHERE c.id IN (SELECT id FROM home)
        )
UNION ALL SELECT perm.codename, g.content_object_id FROM {resident_grant} g
    JOIN perm ON perm.id = g.permission_id
    WHERE g.user_id = %s
""".format(community=community, **quoted)  # noqa: S608 - our quoted table names; user id a parameter


def _fields_touched(update_fields, *names) -> bool:
    return update_fields is None or any(
        name in update_fields or f"{name}_id" in update_fields for name in names
    )


def registry_scope_watch() -> None:
    """Connect the writes that can change a resolved RegistryScope (called from ready()).

    Grants and staffing always; regions and grids always (a community created under a granted
    street, a grid created or moved into a granted community). Ungridded households only
    when a household may join or leave them, or its dwelling or building changes community —
    a household created inside a grid changes nobody's scope, so adding rows keeps memos.
    """
    from portal.scope_cache import scope_models_watch

    scope_models_watch(
        _model("Region"),
        _model("Grid"),
        _model("GridAssignment"),
        _model("RegionUserObjectPermission"),
        _model("GridUserObjectPermission"),
        _model("ResidentUserObjectPermission"),
    )
    scope_models_watch(
        _model("Household"),
        when=lambda household, created, update_fields: (
            household.grid_id is None
            if created
            else _fields_touched(update_fields, "grid", "dwelling")
        ),
    )
    scope_models_watch(
        _model("Dwelling"),
        when=lambda dwelling, created, update_fields: (
            not created and _fields_touched(update_fields, "building")
        ),
    )
    scope_models_watch(
        _model("Building"),
        when=lambda building, created, update_fields: (
            not created and _fields_touched(update_fields, "community")
        ),
    )


class RegionQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        # A community and the regions above it are visible to those who work inside it.
        return self.filter(pk__in=registry_scope(user).regions)


class GridQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        return self.filter(pk__in=registry_scope(user).grids)


class GridAssignmentQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        return self.filter(grid_id__in=registry_scope(user).grids)

    def current(self, *, on):
        return self.filter(Q(start_date__lte=on), Q(end_date__isnull=True) | Q(end_date__gte=on))


class BuildingQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        scope = registry_scope(user)
        # Two id lists on the building's own indexed columns: a BitmapOr of two index scans.
        return self.filter(
            Q(community_id__in=scope.communities) | Q(grid_id__in=scope.granted_grids)
        )


class HouseholdQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        return self.filter(registry_scope(user).households_q())


class ResidentQuerySet(ScopedQuerySet):
    def visible_to(self, user, action: str = "view"):
        """A case shared with someone outside its jurisdiction is theirs to see; to change (or
        delete) it they need that action's own grant on the case (`grids.change_resident`,
        given by `resident_share(change=True)`)."""
        queryset = super().visible_to(user, action)
        if action == "view" or user is None or not user.is_authenticated:
            return queryset
        if user.is_superuser or user.is_street_staff:
            return queryset
        return queryset.filter(registry_scope(user).residents_q(action))

    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        return self.filter(registry_scope(user).residents_q())


class ResidentTagQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        return self.filter(resident__in=_model("Resident").objects.scoped_for(user).values("pk"))


class MicroGridQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        return self.filter(grid_id__in=registry_scope(user).grids)


class DwellingQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        return self.filter(building__in=_model("Building").objects.scoped_for(user).values("pk"))


class VisitQuerySet(ScopedQuerySet):
    """Visits follow the household's grid; a visitor always sees the visits they filed."""

    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        return self.filter(registry_scope(user).households_q("household") | Q(visitor=user))


class VisitNeedQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        return self.filter(registry_scope(user).households_q("visit__household") | Q(assignee=user))


class ImportJobQuerySet(ScopedQuerySet):
    """An import holds a whole spreadsheet of personal data: its uploader and street roles only."""

    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        return self.filter(uploaded_by=user)


class TagDefQuerySet(ScopedQuerySet):
    """The tag catalogue is one list for the whole street: all of it, for roles that may view tags."""

    def scoped_for(self, user):
        return self.all()
