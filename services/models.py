"""The models of services/, one module per room, all importable from `services.models`.

Who sees which rows is each room's `querysets.py`; `partners_of` (the organisations a partner's
staff act for, resolved once per request) is re-exported here because every room's scope uses it.
"""

from services.activities.models import Activity, ActivityAttendance
from services.aid.models import (
    AidBundle,
    AidBundleLine,
    AidCase,
    AidItem,
    Disbursement,
    Funder,
)
from services.catalogue.models import Partner, PartnerUserObjectPermission, ServiceItem
from services.catalogue.querysets import partners_of
from services.contracts.models import FamilyDoctorContract
from services.deliveries.models import Delivery, MealImport, MealLog
from services.referrals.models import FollowUpTask, Referral, ReferralEvent

__all__ = [
    "Activity",
    "ActivityAttendance",
    "AidBundle",
    "AidBundleLine",
    "AidCase",
    "AidItem",
    "Delivery",
    "Disbursement",
    "FamilyDoctorContract",
    "FollowUpTask",
    "Funder",
    "MealImport",
    "MealLog",
    "Partner",
    "PartnerUserObjectPermission",
    "Referral",
    "ReferralEvent",
    "ServiceItem",
    "partners_of",
]
