"""A judge on a 390 px phone scores every contestant, one page each, one field per indicator;
after the organiser closes the contest the same page is frozen."""

from decimal import Decimal

import pytest

from partybuilding.contests import writes
from partybuilding.contests.models import Score
from tests.browser import conftest as browser_conftest
from tests.browser.conftest import PHONE, screenshot
from tests.partybuilding.factories import (
    ContestantFactory,
    ContestAspectFactory,
    ContestFactory,
    ContestIndicatorFactory,
    ContestJudgeFactory,
    PartyMemberFactory,
)

# serialized_rollback: the flush after a transactional test would also wipe the rows the data
# migrations install (thresholds, meeting requirements), which later tests may rely on.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# The browser fixtures live in tests/browser/conftest.py; this test sits with its room.
browser = browser_conftest.browser
phone_page = browser_conftest.phone_page


def test_a_judge_scores_on_a_phone(live_server, phone_page, secretary, branch_a, party_officer):
    contest = ContestFactory(title="社区书记擂台赛")
    aspect = ContestAspectFactory(contest=contest, name="抓党建")
    for name in ("组织建设", "服务群众", "基层治理"):
        ContestIndicatorFactory(aspect=aspect, name=name)
    for name in ("书记甲", "书记乙"):
        ContestantFactory(contest=contest, member=PartyMemberFactory(name=name, org=branch_a))
    ContestJudgeFactory(contest=contest, user=secretary)

    page = phone_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(secretary.username)
    page.get_by_label("密码").fill("Portal-Test-2026")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    page.goto(f"{live_server.url}/party/contests/")
    page.get_by_test_id("judge-button").first.click()
    page.get_by_test_id("judge-contestant").first.click()
    for _ in range(2):
        fields = page.locator("input[inputmode=decimal]")
        assert fields.count() == 3
        for i in range(3):
            fields.nth(i).fill(str(7 + i))
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, "judge-score-phone")
        page.get_by_test_id("save-scores").click()
        page.wait_for_load_state()
    page.wait_for_url(f"**/party/contests/{contest.pk}/judge/")
    assert page.get_by_test_id("judge-contestant").count() == 2
    assert Score.objects.count() == 6
    assert sorted({s.value for s in Score.objects.all()}) == [Decimal(7), Decimal(8), Decimal(9)]

    writes.contest_close(actor=party_officer, contest=contest)
    page.get_by_test_id("judge-contestant").first.click()
    page.get_by_test_id("frozen").wait_for()
    assert page.get_by_test_id("save-scores").count() == 0
