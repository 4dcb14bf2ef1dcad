"""Who may change the catalogue (departments, duty items, data elements, aliases) — one gate per
action, one condition per line. The street (administrator and cadres) edits it, through its
role's permission; `actor=None` is the system (the data migration, the demo loader, the review
learning an alias from a cadre's confirmation, whose own gate was asked first)."""

from django.utils.translation import gettext_lazy as _

from portal.policy import deny_unless, require_active, require_perm

MAY_NOT_EDIT = _("You may not edit the reporting catalogue.")


def access_catalogue_view(actor, obj=None) -> None:
    require_perm(actor, "reporting.view_dataelement")


def access_element_create(actor, obj=None) -> None:
    if actor is None:
        return  # the demo loader
    require_active(actor)
    deny_unless(actor.has_perm("reporting.add_dataelement"), MAY_NOT_EDIT)


def access_element_change(actor, element=None) -> None:
    if actor is None:
        return  # the demo loader
    require_active(actor)
    deny_unless(actor.has_perm("reporting.change_dataelement"), MAY_NOT_EDIT)


def access_duty_create(actor, obj=None) -> None:
    if actor is None:
        return
    require_active(actor)
    deny_unless(actor.has_perm("reporting.add_dutyitem"), MAY_NOT_EDIT)


def access_duty_change(actor, duty=None) -> None:
    if actor is None:
        return
    require_active(actor)
    deny_unless(actor.has_perm("reporting.change_dutyitem"), MAY_NOT_EDIT)


def access_alias_change(actor, alias=None) -> None:
    """Add, change or remove an alias by hand, or learn one from a confirmed review."""
    if actor is None:
        return
    require_active(actor)
    deny_unless(actor.has_perm("reporting.change_indicatoralias"), MAY_NOT_EDIT)


def access_department_create(actor, obj=None) -> None:
    """A department is recorded the first time one of its forms arrives (an integration's too)."""
    if actor is None:
        return
    require_active(actor)
    deny_unless(
        actor.has_perm("reporting.add_department")
        or actor.has_perm("reporting.add_reporttemplate"),
        MAY_NOT_EDIT,
    )
