"""Settings of the benchmark: the portal's own, with a URLconf that adds one bare view."""

from portal.settings import *  # noqa: F403 - the portal's settings, unchanged

ROOT_URLCONF = "bench.bench_urls"
