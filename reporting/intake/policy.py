"""Who may bring in a form and decide its review — one gate per action, one condition per line.

- a form (report template) arrives from the street's staff (page, upload, API) or from a
  district integration (API), through the role's `add_reporttemplate`;
- the review's decisions (confirm, correct, hold a field's mapping; record a case-by-case
  filing) are the street's: `change_fieldreview` / `change_reporttemplate`, which only street
  staff carry; the form must be one they see.

`actor=None` is the system (the demo loader, the `reporting_review` command writes nothing).
"""

from django.utils.translation import gettext_lazy as _

from portal.policy import deny_unless, require_active, require_in_scope, require_perm

MAY_NOT_SEND = _("You may not send forms to the street.")
MAY_NOT_REVIEW = _("You may not decide the review of this form.")


def access_template_list(actor, obj=None) -> None:
    """The forms received and their review pages: the reviewers' (street staff; an integration
    reads its own through the API). A community cadre reads a form through its assignment."""
    require_perm(actor, "reporting.view_fieldreview")


def access_template_create(actor, obj=None) -> None:
    if actor is None:
        return  # the demo loader
    require_active(actor)
    deny_unless(actor.has_perm("reporting.add_reporttemplate"), MAY_NOT_SEND)


def access_template_upload(actor, obj=None) -> None:
    """A spreadsheet or the page's form: people at the street office (not the API clients,
    whose forms arrive as JSON)."""
    access_template_create(actor)
    deny_unless(actor is None or actor.has_perm("reporting.change_reporttemplate"), MAY_NOT_SEND)


def access_field_review_confirm(actor, review=None) -> None:
    """Confirm, correct or hold back the proposed mapping of a field."""
    if actor is None:
        return  # the demo loader
    from reporting.intake.models import FieldReview

    require_active(actor)
    deny_unless(actor.has_perm("reporting.change_fieldreview"), MAY_NOT_REVIEW)
    if review is not None:
        require_in_scope(actor, FieldReview.objects, review, "change")


def access_template_file(actor, template=None) -> None:
    """Record the case-by-case filing (备案) of a form outside the duty list."""
    if actor is None:
        return
    from reporting.intake.models import ReportTemplate

    require_active(actor)
    deny_unless(actor.has_perm("reporting.change_reporttemplate"), MAY_NOT_REVIEW)
    if template is not None:
        require_in_scope(actor, ReportTemplate.objects, template, "change")
