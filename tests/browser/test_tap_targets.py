"""On a 390 px phone: a home card is one tap target (the whole card, not its 14 × 34 px number),
and a button's label sits in the middle of its 44 px."""

import pytest

from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LABEL_OFFSET = """(button) => {
  const range = document.createRange();
  range.selectNodeContents(button);
  const text = range.getBoundingClientRect();
  const box = button.getBoundingClientRect();
  return {height: box.height,
          offset: (text.top + text.height / 2) - (box.top + box.height / 2)};
}"""


def test_home_cards_and_buttons_on_a_phone(live_server, phone_page, grid_worker, resident_a):
    page = phone_page
    log_in(page, live_server.url, grid_worker)
    card = page.get_by_test_id("home-card").first
    box = card.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 150, box
    assert card.evaluate("(e) => e.tagName") == "A"
    screenshot(page, "help-home-cards-390")

    page.goto(f"{live_server.url}/grids/residents/")
    button = page.locator("main .btn").first
    measure = button.evaluate(LABEL_OFFSET)
    assert measure["height"] >= 44
    assert abs(measure["offset"]) <= 2, measure
