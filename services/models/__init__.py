"""The models of services/, one module per concern, all importable from `services.models`."""

from services.models.activities import Activity, ActivityAttendance, ActivityQuerySet
from services.models.aid import (
    AidBundle,
    AidBundleLine,
    AidCase,
    AidCaseQuerySet,
    AidItem,
    Disbursement,
    Funder,
)
from services.models.contracts import FamilyDoctorContract, FamilyDoctorContractQuerySet
from services.models.deliveries import Delivery, DeliveryQuerySet, MealImport, MealLog
from services.models.partners import (
    Partner,
    PartnerQuerySet,
    PartnerUserObjectPermission,
    ResidentServiceQuerySet,
    ServiceItem,
    partner_staff_ids,
    partners_of,
    residents_in_scope,
)
from services.models.referrals import (
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
