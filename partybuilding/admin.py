"""The admin for what the street configures (point rules, meeting frequencies, training hours),
and a read-mostly look at organisations and members.

Organisations and members are created and moved by the write services (they keep the tree's
path, the audit trail and the grants consistent), so the admin adds and deletes none of them
and changes only descriptive fields.
"""

from django.contrib import admin

from partybuilding.models import (
    MeetingRequirement,
    PartyMember,
    PartyOrg,
    PointRule,
    TrainingThreshold,
)


@admin.register(PointRule)
class PointRuleAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "points_per_hour",
        "points_per_item",
        "evidence_required",
        "active",
    )
    list_filter = ("active", "evidence_required")
    search_fields = ("code", "name")


@admin.register(MeetingRequirement)
class MeetingRequirementAdmin(admin.ModelAdmin):
    list_display = ("kind", "org_kind", "period")
    list_filter = ("kind", "period")


@admin.register(TrainingThreshold)
class TrainingThresholdAdmin(admin.ModelAdmin):
    list_display = ("position", "yearly_hours")


class _ReadMostlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PartyOrg)
class PartyOrgAdmin(_ReadMostlyAdmin):
    list_display = ("name", "kind", "parent", "community", "secretary", "founded_on")
    list_filter = ("kind", "community")
    search_fields = ("name", "host_unit")
    list_select_related = ("parent", "community", "secretary")
    fields = (
        "name",
        "kind",
        "parent",
        "path",
        "community",
        "grid",
        "building",
        "host_unit",
        "host_unit_uscc",
        "secretary",
        "founded_on",
        "dissolved_on",
    )
    readonly_fields = (
        "kind",
        "parent",
        "path",
        "community",
        "grid",
        "building",
        "secretary",
    )


@admin.register(PartyMember)
class PartyMemberAdmin(_ReadMostlyAdmin):
    list_display = ("name", "org", "status", "serving", "reported_community", "phone_masked")
    list_filter = ("status", "serving", "reported_community")
    search_fields = ("name", "employer")
    list_select_related = ("org", "reported_community")
    fields = (
        "name",
        "org",
        "status",
        "joined_party_on",
        "serving",
        "employer",
        "employer_org",
        "phone_masked",
        "reported_community",
        "reported_on",
        "transferred_in_on",
        "transferred_out_on",
        "note",
    )
    # The phone is shown masked only (unmasking is a logged, reasoned act on the member page).
    readonly_fields = (
        "org",
        "phone_masked",
        "employer_org",
        "reported_community",
        "reported_on",
        "transferred_in_on",
        "transferred_out_on",
    )

    @admin.display(description=PartyMember._meta.get_field("phone").verbose_name)
    def phone_masked(self, obj):
        return obj.phone_masked
