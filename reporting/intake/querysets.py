"""Who sees the forms that arrived:

- street staff: every form, field, review and duplicate;
- a district integration: the forms it sent itself (and their fields, reviews, duplicates);
- a community cadre: the forms of the tasks issued to their communities (and their fields);
- everyone else (grid staff, partners, Party roles): nothing here (a grid worker reads only
  the fields delegated to them, through reporting/flow/).
"""

from django.apps import apps
from django.db.models import Q

from portal.querysets import ScopedQuerySet
from reporting.scope import my_communities


def _template_scope(user, path: str = "") -> Q:
    """Q for rows whose form (reached by `path`) the user sees; one subquery, no join."""
    prefix = f"{path}__" if path else ""
    if user.is_integration:
        return Q(**{f"{prefix}created_by": user})
    if user.is_community_cadre:
        assignments = apps.get_model("reporting", "ReportAssignment").objects
        issued = assignments.filter(community__in=my_communities(user)).values("task__template")
        return Q(**{f"{prefix}{'pk' if not path else 'id'}__in": issued})
    return Q(pk__in=[])


class ReportTemplateQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        return self.filter(_template_scope(user))


class TemplateFieldQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        return self.filter(_template_scope(user, "template"))


class FieldReviewQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        if user.is_integration:
            return self.filter(field__template__created_by=user)
        return self.none()


class TemplateDuplicateQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        if user.is_integration:
            return self.filter(template__created_by=user)
        return self.none()
