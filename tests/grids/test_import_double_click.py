"""A double click on “import” writes the rows once (the job is locked) and says so once."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from grids.models import ImportJob, Resident
from tests.grids.test_import import _csv, _row
from tests.helpers import login

pytestmark = pytest.mark.django_db


def test_a_second_click_on_import_writes_nothing_and_says_nothing(client, community_cadre, grid_a):
    login(client, community_cadre)
    upload = client.post(reverse("grids:import-upload"), {"file": _csv([_row(grid_a, 0)])})
    assert upload.status_code == 302
    job = ImportJob.objects.get()
    commit = reverse("grids:import-commit", args=[job.pk])

    first = client.post(commit, follow=True)  # the page after the redirect shows the message
    said_first = [str(m) for m in get_messages(first.wsgi_request)]
    second = client.post(commit, follow=True)
    said_second = [str(m) for m in get_messages(second.wsgi_request)]

    assert Resident.objects.count() == 1
    assert len(said_first) == 1  # 已导入
    assert said_second == []
