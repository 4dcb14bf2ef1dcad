"""Who sees the catalogue: it is the street's reference list, not personal data, so everyone
whose role may read it (portal/roles.py, declared in reporting/apps.py: street staff, and the
district's integrations, which cite duty items and element codes) reads all of it."""

from portal.querysets import ScopedQuerySet


class CatalogueQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        return self.all()
