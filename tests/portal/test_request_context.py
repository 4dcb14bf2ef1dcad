"""The audit trail's client IP: REMOTE_ADDR, or what our own proxy appended, never what a client made up."""

import pytest
from django.test import RequestFactory

from portal.request_context import client_ip


@pytest.mark.parametrize(
    ("proxies", "forwarded", "remote", "expected"),
    [
        (0, "1.2.3.4", "10.0.0.5", "10.0.0.5"),  # no proxy configured: the header is ignored
        (1, "1.2.3.4", "10.0.0.5", "1.2.3.4"),  # one proxy: its entry is the client
        (1, "6.6.6.6, 1.2.3.4", "10.0.0.5", "1.2.3.4"),  # a forged first entry is skipped
        (2, "1.2.3.4", "10.0.0.5", "10.0.0.5"),  # fewer hops than proxies: fall back
        (1, "not-an-ip", "10.0.0.5", None),
    ],
)
def test_client_ip(settings, proxies, forwarded, remote, expected):
    settings.FORWARDED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)
    assert client_ip(request) == expected
