"""Settings of the benchmark: the portal's own, with a URLconf that adds one bare view."""

from portal.settings import *  # noqa: F403 - the portal's settings, unchanged

ROOT_URLCONF = "bench.bench_urls"

# A benchmark is one client sending thousands of requests a minute: the per-token throttle
# (docs/api.md) would answer 429 and measure the throttle, not the endpoint.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],  # noqa: F405
        "token": None,
        "user": None,
    },
}
