"""`ETag` on detail reads and updates, `If-Match` on PUT, PATCH and DELETE.

The ETag is the SHA-256 of the object's read representation (the retrieve serializer, as
JSON with sorted keys): it changes whenever anything the client can read changes, also on
models without an `updated_at`. A request with `If-Match` runs only if the object, locked
for the write, still has that tag; a stale tag is a 412 and nothing is written. Without
`If-Match` the write goes ahead as before (last writer wins).
"""

import hashlib
import json

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.utils.encoders import JSONEncoder

CONDITIONAL_METHODS = frozenset({"PUT", "PATCH", "DELETE"})


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("The object was changed since you read it; read it again.")
    default_code = "precondition_failed"


def etag_of(data) -> str:
    encoded = json.dumps(data, cls=JSONEncoder, sort_keys=True, ensure_ascii=False)
    return '"' + hashlib.sha256(encoded.encode()).hexdigest() + '"'


def parse_if_match(header: str) -> set[str]:
    """The tags of an If-Match header; a weak tag compares by its value."""
    tags = set()
    for part in header.split(","):
        tag = part.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag:
            tags.add(tag)
    return tags


def current_etag(view, obj) -> str:
    """The tag of `obj` as the detail read shows it now."""
    action = view.action
    view.action = "retrieve"
    try:
        return etag_of(view.etag_representation(obj))
    finally:
        view.action = action


def guard(view, request, handler):
    """Wrap a PUT/PATCH/DELETE handler when the request carries If-Match."""
    header = request.headers.get("If-Match")
    if header is None or not view.detail:
        return handler
    tags = parse_if_match(header)

    def run(request, *args, **kwargs):
        with transaction.atomic():
            obj = view.get_object()  # outside the scope: 404, as without the header
            # Lock the row for the check and the write: a change between them cannot slip in.
            list(type(obj)._default_manager.select_for_update().filter(pk=obj.pk).values("pk"))
            if "*" not in tags and current_etag(view, view.get_object()) not in tags:
                raise PreconditionFailed()
            return handler(request, *args, **kwargs)

    return run


def tag_response(view, request, response) -> None:
    """ETag on a detail read and on the answer to an update."""
    if not (200 <= response.status_code < 300) or response.has_header("ETag"):
        return
    if view.action == "retrieve" and request.method in ("GET", "HEAD"):
        if isinstance(getattr(response, "data", None), dict):
            response["ETag"] = etag_of(response.data)
    elif (
        request.method in ("PUT", "PATCH")
        and view.detail
        and view.action
        in (
            "update",
            "partial_update",
        )
    ):
        try:
            obj = view.get_object()
        except (Http404, PermissionDenied, exceptions.APIException):
            return  # the update moved it out of the caller's scope: no tag to give
        response["ETag"] = current_etag(view, obj)
