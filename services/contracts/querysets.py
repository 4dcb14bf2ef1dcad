"""Who sees which family-doctor contracts."""

from services.catalogue.querysets import ResidentServiceQuerySet


class FamilyDoctorContractQuerySet(ResidentServiceQuerySet):
    """Street: all; the clinic's staff: its contracts; local staff: their residents' contracts."""

    def active(self):
        return self.filter(status=self.model.Status.ACTIVE)
