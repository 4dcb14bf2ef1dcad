"""Small fixes of issue 12 on the portal's frame: a home card is one link (the whole card the
tap target), and a button's label sits in the middle of its 44 px on a phone."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.helpers import login


@pytest.mark.django_db
def test_a_home_card_with_a_page_is_one_link(client, grid_worker, resident_a):
    login(client, grid_worker)
    page = client.get(reverse("home")).content.decode()
    cards = re.findall(
        r'<a class="card [^"]*home-link" href="([^"]+)" data-testid="home-card">'
        r"(.*?)</a>",
        page,
        re.S,
    )
    assert cards, "no home card is a link"
    for _href, body in cards:
        assert "fs-3" in body  # the number is inside the link, not the link itself
    assert "stretched-link" not in page


def test_button_labels_are_centred_in_their_44_px_on_a_phone():
    css = (Path(settings.BASE_DIR) / "static" / "portal" / "portal.css").read_text()
    phone = re.search(r"@media \(max-width: 576px\) \{(.*?)\n\}", css, re.S).group(1)
    button = re.search(r"^\s*\.btn \{([^}]*)\}", phone, re.M).group(1)
    assert "align-items: center" in button and "inline-flex" in button
