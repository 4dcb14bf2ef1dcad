"""`Idempotency-Key` on every POST of the API: a retried request does its work once.

- The first request with a key inserts an `IdempotencyKey` row in its own transaction before
  the view runs (the unique constraint on user and key admits one), then runs the view inside
  a transaction that holds the row locked and stores the answer in it (2xx and 4xx only):
  the write and its stored answer commit together.
- A replay (same principal, same key, same method, path and body) answers the stored status
  and body with `Idempotent-Replayed: true` and runs nothing.
- The same key with another request is a 422; while the first is still running (its row
  locked), a duplicate is a 409. A first request that died (5xx, a killed worker) left its row
  unanswered and unlocked: the next retry runs the view.
"""

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from portal.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("This Idempotency-Key was used for another request.")
    default_code = "idempotency_key_reused"


class KeyInFlight(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("A request with this Idempotency-Key is still being processed.")
    default_code = "idempotency_key_in_flight"


def fingerprint(request) -> str:
    """SHA-256 of method, path with query and body; uploads by their parsed fields and files."""
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b"\n" + request.get_full_path().encode() + b"\n")
    if (request.content_type or "").startswith("multipart/"):
        fields = sorted((key, request.data.getlist(key)) for key in request.data)
        for key, values in fields:
            for value in values:
                if hasattr(value, "chunks"):
                    digest.update(f"{key}=file:{value.name}:{value.size}:".encode())
                    for chunk in value.chunks():
                        digest.update(chunk)
                    value.seek(0)
                else:
                    digest.update(f"{key}={value}\n".encode())
    else:
        digest.update(request._request.body)
    return digest.hexdigest()


def _claim(user, key: str, print_: str) -> IdempotencyKey:
    """The key's row: inserted now (its own transaction) or the one already there."""
    now = timezone.now()
    # An expired row is as good as none (beat purges them; one may linger until then).
    IdempotencyKey.objects.filter(user=user, key=key, expires_at__lte=now).delete()
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                user=user,
                key=key,
                fingerprint=print_,
                expires_at=now + timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS),
            )
    except IntegrityError:
        return IdempotencyKey.objects.get(user=user, key=key)


def _replay(record: IdempotencyKey) -> Response:
    return Response(record.body, status=record.status_code, headers={REPLAYED_HEADER: "true"})


def _jsonable(data):
    try:
        return json.loads(json.dumps(data, cls=JSONEncoder))
    except (TypeError, ValueError):
        return None


def _store(record: IdempotencyKey, response) -> None:
    record.status_code = response.status_code
    record.body = _jsonable(getattr(response, "data", None))
    record.save(update_fields=["status_code", "body"])


def storable(response) -> bool:
    """2xx and 4xx are answers; a 5xx is not (the retry may succeed)."""
    return response.status_code < 500


def guard(view, request, handler):
    """Wrap the POST handler of `view` when the request carries an Idempotency-Key."""
    key = request.headers.get(HEADER)
    if key is None:
        return handler
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii():
        raise exceptions.ValidationError({HEADER: [_("Give a key of 1 to 255 ASCII characters.")]})
    print_ = fingerprint(request)
    record = _claim(request.user, key, print_)
    if record.fingerprint != print_:
        raise KeyReused()
    if record.status_code is not None:
        return lambda *args, **kwargs: _replay(record)

    def run(request, *args, **kwargs):
        with transaction.atomic():
            try:
                with transaction.atomic():
                    locked = IdempotencyKey.objects.select_for_update(nowait=True).get(pk=record.pk)
            except OperationalError:
                raise KeyInFlight() from None  # the first is running: not ours to answer
            if locked.status_code is not None:  # another request finished it meanwhile
                return _replay(locked)
            # From here the answer is ours: stored with the write, or by finish() for a 4xx
            # raised out of the view (its transaction rolled back, nothing written).
            view._idempotency_record = locked
            response = handler(request, *args, **kwargs)
            if storable(response):
                _store(locked, response)
                view._idempotency_record = None
            return response

    return run


def finish(view, response) -> None:
    """After an error answered outside the view's transaction: store a 4xx, leave a 5xx."""
    record = getattr(view, "_idempotency_record", None)
    view._idempotency_record = None
    if record is None or not storable(response):
        return
    IdempotencyKey.objects.filter(pk=record.pk, status_code__isnull=True).update(
        status_code=response.status_code, body=_jsonable(getattr(response, "data", None))
    )
