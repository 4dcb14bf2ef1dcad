"""In-app notifications: sent once per key, shown in the bell and the list, only to their owner."""

import pytest
from django.core import mail
from django.urls import reverse

from portal.models import Notification
from portal.notifications import notification_send
from tests.helpers import assert_constant_queries, login

pytestmark = pytest.mark.django_db


def test_the_same_key_sends_once(grid_worker):
    first, created_first = notification_send(
        recipient=grid_worker, title="走访逾期", dedup_key="visit:1:2026-11-28"
    )
    again, created_again = notification_send(
        recipient=grid_worker, title="走访逾期", dedup_key="visit:1:2026-11-28"
    )
    assert (created_first, created_again) == (True, False)
    assert first.pk == again.pk
    assert Notification.objects.filter(recipient=grid_worker).count() == 1


def test_without_a_key_every_call_sends(grid_worker):
    notification_send(recipient=grid_worker, title="通知一")
    notification_send(recipient=grid_worker, title="通知二")
    assert Notification.objects.filter(recipient=grid_worker).count() == 2


def test_email_goes_out_after_commit_and_only_once(grid_worker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(
            recipient=grid_worker, title="合同即将到期", body="请续签", dedup_key="k", email=True
        )
        notification_send(
            recipient=grid_worker, title="合同即将到期", body="请续签", dedup_key="k", email=True
        )
    assert [m.subject for m in mail.outbox] == ["合同即将到期"]
    assert mail.outbox[0].to == [grid_worker.email]
    assert Notification.objects.get(recipient=grid_worker).emailed_at is not None


def test_bell_shows_the_unread_count(client, grid_worker):
    for i in range(3):
        notification_send(recipient=grid_worker, title=f"提醒{i}")
    login(client, grid_worker)
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="unread-count">3<' in page


def test_the_list_shows_only_my_notifications(client, grid_worker, other_grid_worker):
    notification_send(recipient=grid_worker, title="给甲的提醒")
    notification_send(recipient=other_grid_worker, title="给乙的提醒")
    login(client, grid_worker)
    page = client.get(reverse("notifications")).content.decode()
    assert "给甲的提醒" in page
    assert "给乙的提醒" not in page


def test_marking_read_touches_only_my_own(client, grid_worker, other_grid_worker):
    mine, _ = notification_send(recipient=grid_worker, title="甲")
    theirs, _ = notification_send(recipient=other_grid_worker, title="乙")
    login(client, grid_worker)
    response = client.post(reverse("notifications-read"), {"id": [mine.pk, theirs.pk]})
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None
    assert theirs.read_at is None
    assert 'data-testid="unread-count"' not in client.get(reverse("home")).content.decode()


def test_notification_list_queries_do_not_grow_with_rows(client, grid_worker):
    login(client, grid_worker)

    def add(n):
        for i in range(n):
            notification_send(recipient=grid_worker, title=f"提醒{i}")

    assert_constant_queries(add_rows=add, fetch=lambda: client.get(reverse("notifications")))
