"""Demo accounts have a published password: no demo data in production unless forced."""

import io

import pytest
from django.core.management import CommandError, call_command

from portal.models import User

pytestmark = pytest.mark.django_db


def test_demo_data_refuses_to_load_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_data")
    assert not User.objects.filter(username="admin").exists()


def test_demo_data_loads_in_production_only_when_forced(settings):
    settings.DEBUG = False
    call_command("demo_data", "--force", stdout=io.StringIO())
    assert User.objects.filter(username="admin").exists()
