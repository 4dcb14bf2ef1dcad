from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartybuildingConfig(AppConfig):
    """Party building (党建引领): organisations, members, meetings, training, contests."""

    name = "partybuilding"
    verbose_name = _("Party building")
