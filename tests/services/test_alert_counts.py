"""The referral alarm figures read the same on the home page and the dashboard: one selector."""

from datetime import timedelta

import pytest
from django.utils import timezone

from services.dashboards.selectors import referral_alerts
from services.models import Referral
from tests.helpers import login

Status = Referral.Status
pytestmark = pytest.mark.django_db


def _card_notes(response) -> str:
    return " ".join(str(card.note) for card in response.context["cards"])


def test_home_and_dashboard_show_the_same_overdue_and_escalated_figures(
    client, english, make_referral, street_cadre
):
    now = timezone.now()
    for _ in range(4):
        make_referral(Status.ESCALATED, stage_deadline=None)
    make_referral(Status.ASSIGNED, stage_deadline=now - timedelta(hours=1))
    make_referral(Status.SUBMITTED, stage_deadline=now + timedelta(days=1))
    login(client, street_cadre)

    alerts = referral_alerts(actor=street_cadre)
    assert alerts == {"overdue": 1, "escalated": 4}

    home = client.get("/")
    assert "4 escalated" in _card_notes(home)
    assert "1 referral past its deadline" in _card_notes(home)

    dashboard = client.get("/services/dashboard/")
    assert dashboard.context["alerts"] == alerts
    html = dashboard.content.decode()
    assert 'data-testid="total-escalated">4<' in html
    assert 'data-testid="total-overdue">1<' in html


def test_the_figures_stay_inside_the_users_scope(
    client, make_referral, partner_staff, partner_q, street_cadre
):
    now = timezone.now()
    make_referral(Status.ASSIGNED, stage_deadline=now - timedelta(hours=1))
    make_referral(Status.ASSIGNED, stage_deadline=now - timedelta(hours=1), partner=partner_q)

    assert referral_alerts(actor=street_cadre)["overdue"] == 2
    assert referral_alerts(actor=partner_staff)["overdue"] == 1
