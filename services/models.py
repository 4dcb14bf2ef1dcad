"""The models of services/, one module per concern, all importable from `services.models`."""

from services.activities.models import Activity, ActivityAttendance, ActivityQuerySet
from services.aid.models import (
    AidBundle,
    AidBundleLine,
    AidCase,
    AidCaseQuerySet,
    AidItem,
    Disbursement,
    Funder,
)
from services.catalogue.models import (
    Partner,
    PartnerQuerySet,
    PartnerUserObjectPermission,
    ResidentServiceQuerySet,
    ServiceItem,
    partner_staff_ids,
    partners_of,
    residents_in_scope,
)
from services.contracts.models import FamilyDoctorContract, FamilyDoctorContractQuerySet
from services.deliveries.models import Delivery, DeliveryQuerySet, MealImport, MealLog
from services.referrals.models import (
    FollowUpTask,
    FollowUpTaskQuerySet,
    Referral,
    ReferralEvent,
    ReferralQuerySet,
)

__all__ = [
    "Activity",
    "ActivityAttendance",
    "ActivityQuerySet",
    "AidBundle",
    "AidBundleLine",
    "AidCase",
    "AidCaseQuerySet",
    "AidItem",
    "Delivery",
    "DeliveryQuerySet",
    "Disbursement",
    "FamilyDoctorContract",
    "FamilyDoctorContractQuerySet",
    "FollowUpTask",
    "FollowUpTaskQuerySet",
    "Funder",
    "MealImport",
    "MealLog",
    "Partner",
    "PartnerQuerySet",
    "PartnerUserObjectPermission",
    "Referral",
    "ReferralEvent",
    "ReferralQuerySet",
    "ResidentServiceQuerySet",
    "ServiceItem",
    "partner_staff_ids",
    "partners_of",
    "residents_in_scope",
]
