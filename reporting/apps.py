from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    """Burden reduction (基层减负): reporting tasks checked against what the portal knows."""

    name = "reporting"
    verbose_name = _("Burden reduction")
