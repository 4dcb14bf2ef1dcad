from django.contrib import admin

from grids.models import Grid, GridAssignment, Region, TagDef


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("name", "code")


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "community", "household_cap")
    list_filter = ("kind", "community")
    search_fields = ("name", "code")


@admin.register(GridAssignment)
class GridAssignmentAdmin(admin.ModelAdmin):
    list_display = ("grid", "person", "post", "start_date", "end_date")
    list_filter = ("post",)


@admin.register(TagDef)
class TagDefAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "group", "visit_tier", "age_derived")
    list_filter = ("group", "visit_tier")
