"""The household and resident lists of the API, serialised from `.values()` rows.

Through HouseholdSerializer and ResidentSerializer a page of 100 residents builds 100
Resident instances, a ResidentTag and a TagDef instance for every tag (the prefetch), and
walks 17 DRF fields per row (get_attribute, then to_representation). Here a page is one
`.values()` query (the selector's scope and filters, no model instances; the encrypted
columns are decrypted by their field as always), the tags one `values_list` query, and each
row one dict built in the serializer's field order: the same JSON, byte for byte
(tests/grids/test_fast_serializers.py compares both paths for every role). Detail reads and
writes keep the serializers.
"""

from django.db.models import OuterRef, Subquery
from rest_framework.response import Response

from grids import selectors
from grids.models import Household
from portal.api.pagination import cursor_columns
from portal.validators import mask_citizen_id, mask_mobile


def _iso(day):
    return day.isoformat() if day else None  # DRF's DateField: ISO 8601, None for no date


class FlatList:
    """A list answered from `.values()` rows: `columns` to select, `represent` for a page."""

    columns: tuple[str, ...] = ()

    def rows(self, queryset):
        """The rows to page: the columns, and those the cursor's order reads."""
        wanted = dict.fromkeys([*self.columns, *cursor_columns(queryset)])
        return queryset.prefetch_related(None).values(*wanted)

    def represent(self, rows) -> list[dict]:
        raise NotImplementedError


class HouseholdRows(FlatList):
    """HouseholdSerializer's read: related rows as their ids."""

    columns = ("id", "number", "kind", "grid_id", "dwelling_id", "head_id")

    def represent(self, rows) -> list[dict]:
        return [
            {
                "id": row["id"],
                "number": row["number"],
                "kind": row["kind"],
                "grid": row["grid_id"],
                "dwelling": row["dwelling_id"],
                "head": row["head_id"],
            }
            for row in rows
        ]


class ResidentRows(FlatList):
    """ResidentSerializer's read: the ID number and phone masked (Resident.id_number_masked,
    phone_masked), the household's grid, the tags' codes by group and code."""

    columns = (
        "id", "name", "id_type", "id_number", "sex", "birth_date", "phone", "ethnicity",
        "household_id", "household_grid_id", "relation_to_head", "population_type", "separated",
        "political_status", "deceased_date", "data_source", "verified_date",
    )  # fmt: skip

    def rows(self, queryset):
        # The household's grid by a subquery rather than a join: a join selected by
        # `.values()` stays in Django's count() of the list, which would then join every
        # visible resident to their household; the subquery runs for the page's rows only.
        grid = Household.objects.filter(pk=OuterRef("household_id")).order_by().values("grid_id")
        return super().rows(queryset.annotate(household_grid_id=Subquery(grid)))

    def represent(self, rows) -> list[dict]:
        tags = selectors.resident_tag_codes(resident_ids=[row["id"] for row in rows])
        return [
            {
                "id": row["id"],
                "name": row["name"],
                "id_type": row["id_type"],
                "id_number_masked": mask_citizen_id(row["id_number"] or ""),
                "sex": row["sex"],
                "birth_date": _iso(row["birth_date"]),
                "phone_masked": mask_mobile(row["phone"] or ""),
                "ethnicity": row["ethnicity"],
                "household": row["household_id"],
                "grid": row["household_grid_id"],
                "relation_to_head": row["relation_to_head"],
                "population_type": row["population_type"],
                "separated": row["separated"],
                "political_status": row["political_status"],
                "deceased_date": _iso(row["deceased_date"]),
                "data_source": row["data_source"],
                "verified_date": _iso(row["verified_date"]),
                "tags": tags.get(row["id"], []),
            }
            for row in rows
        ]


class FlatListMixin:
    """`list` from `flat_list` (a FlatList) instead of the serializer; the rest unchanged."""

    flat_list: FlatList

    def list(self, request, *args, **kwargs):
        rows = self.flat_list.rows(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(rows)
        if page is None:
            return Response(self.flat_list.represent(list(rows)))
        return self.get_paginated_response(self.flat_list.represent(page))
