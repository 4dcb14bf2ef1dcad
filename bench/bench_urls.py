"""The portal's URLs plus `/bench/bare/<name>/`: a bare Django view returning captured bytes.

The bytes are the bodies of the measured API responses, captured by bench/registry_bench.py in
the same run and written to BENCH_BYTES_DIR. Served through the same gunicorn, middleware and
request handling, the bare view is the ceiling for a response of that size: an endpoint's
requests per second relative to it show what the endpoint's own work (authentication, scope,
queries, serialisation) costs.
"""

import os
from pathlib import Path

from django.http import Http404, HttpResponse
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns

_bodies: dict[str, bytes] = {}


def bare(request, name: str):
    body = _bodies.get(name)
    if body is None:
        directory = os.environ.get("BENCH_BYTES_DIR", "")
        file = Path(directory) / f"{name}.json"
        if not directory or not file.is_file():
            raise Http404
        body = _bodies[name] = file.read_bytes()
    return HttpResponse(body, content_type="application/json")


urlpatterns = [path("bench/bare/<slug:name>/", bare), *portal_urlpatterns]
