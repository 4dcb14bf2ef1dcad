"""一数一源: where a prefilled figure comes from, so a wrong one is corrected in its record.

The element's `source` note names the records it counts (residents, households, grids, visits,
referrals, Party members ...); the link opens that list in the registry or the module that owns
it, narrowed to the community (and to the population type or tag the note names, when the
list filters by it). Only URL names are used: reporting never writes another module's rows.
"""

import re
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

POPULATION_TYPES = ("registered", "resident", "floating")
LISTS = (
    (re.compile(r"\bhouseholds?\b"), "grids:household-list", True),
    (re.compile(r"\bvisits?\b"), "grids:visit-list", False),
    (re.compile(r"\bgrids?\b|assignment"), "grids:grid-list", True),
    (
        re.compile(r"referral|service|meal|deliver|contract|doctor|aid|activit"),
        "services:referral-list",
        False,
    ),
    (re.compile(r"party|member|branch|volunteer"), "partybuilding:party-org-list", False),
    (re.compile(r"resident|people|person|elderly|child"), "grids:resident-list", True),
)


def source_url(element, community=None) -> str:
    """The list where the records behind `element` are corrected ('' when none is known)."""
    note = (element.source or "").lower() if element is not None else ""
    for pattern, name, by_community in LISTS:
        if not pattern.search(note):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        params = {}
        if by_community and community is not None:
            params["community"] = community.pk
        if name == "grids:resident-list":
            found = re.search(r"population_type\s*=\s*(\w+)", note)
            if found and found.group(1) in POPULATION_TYPES:
                params["population_type"] = found.group(1)
        return f"{url}?{urlencode(params)}" if params else url
    return ""
