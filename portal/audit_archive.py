"""Audit retention: events older than the retention period move to verified archive files.

等保 asks for audit logs kept at least six months; the table would otherwise grow forever. So,
daily (beat: `portal.audit_archive`) or by hand (`manage.py audit_archive`):

1. events older than AUDIT_RETENTION_MONTHS (at least 6; a lower value is refused) are taken
   in id order, a batch at a time;
2. each batch is written as gzip-compressed JSON lines to a new file under AUDIT_ARCHIVE_DIR
   (written to a temporary name, flushed to disk, then renamed), and its SHA-256 recorded in
   an `AuditArchive` row;
3. the file is read back: its checksum, and every line against the event still in the table;
   only then is the archive marked verified;
4. the batch's events are deleted — the one DELETE the database trigger lets through: in a
   transaction that named this verified archive, for events within its id range and before
   its cutoff (portal/migrations/0006_audit_archive.py) — and the run itself is audited.

Steps 2–4 of a batch are one transaction under an advisory lock: a failure anywhere leaves
every event in the table (at worst an orphan file, never a lost event), and two runs at once
archive each event once. Nothing is ever deleted silently: every removed event is in a file
whose checksum the `AuditArchive` row holds.
"""

import gzip
import hashlib
import json
import os
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from portal.audit import audit_record
from portal.models import AuditArchive, AuditEvent

MINIMUM_RETENTION_MONTHS = 6
BATCH_SIZE = 50_000
_LOCK_KEY = 0x41554449  # "AUDI": one archiving run at a time

FIELDS = (
    "id",
    "occurred_at",
    "actor_id",
    "actor_username",
    "action",
    "content_type_id",
    "object_id",
    "object_repr",
    "ip_address",
    "user_agent",
    "outcome",
    "details",
)


class ArchiveVerificationError(Exception):
    """The file read back does not hold exactly the events of the batch: nothing is deleted."""


def retention_months() -> int:
    months = settings.AUDIT_RETENTION_MONTHS
    if months < MINIMUM_RETENTION_MONTHS:
        raise ImproperlyConfigured(
            f"AUDIT_RETENTION_MONTHS must be at least {MINIMUM_RETENTION_MONTHS}; got {months}"
        )
    return months


def months_before(moment: datetime, months: int) -> datetime:
    """The same moment `months` calendar months earlier (31 August - 6 months → 28/29 Feb)."""
    month_index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(month_index, 12)
    month += 1
    day = moment.day
    while True:
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1


def retention_cutoff(now: datetime | None = None) -> datetime:
    """Events before this moment have been kept long enough to be archived."""
    now = timezone.localtime(now or timezone.now())
    return months_before(now, retention_months())


def audit_archive_run(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> dict:
    """Archive every event older than the retention period; returns what was archived."""
    cutoff = retention_cutoff(now)
    directory = Path(settings.AUDIT_ARCHIVE_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    archives = []
    while True:
        archive = _archive_batch(cutoff=cutoff, directory=directory, batch_size=batch_size)
        if archive is None:
            break
        archives.append(archive)
    return {
        "cutoff": cutoff.isoformat(),
        "archives": [archive.file_name for archive in archives],
        "events": sum(archive.event_count for archive in archives),
    }


def _line(row: dict) -> bytes:
    values = dict(row)
    values["occurred_at"] = values["occurred_at"].isoformat()
    return (json.dumps(values, ensure_ascii=False, sort_keys=True) + "\n").encode()


def _rows(ids=None, *, cutoff=None, limit=None) -> list[dict]:
    queryset = AuditEvent.objects.order_by("id")
    if ids is not None:
        queryset = queryset.filter(id__in=ids)
    if cutoff is not None:
        queryset = queryset.filter(occurred_at__lt=cutoff)
    if limit is not None:
        queryset = queryset[:limit]
    return list(queryset.values(*FIELDS))


def _write(path: Path, lines: list[bytes]) -> str:
    """Write the compressed lines to `path` (via a temporary name, synced); return the SHA-256."""
    temporary = path.with_name(path.name + ".part")
    with open(temporary, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as compressed:
            for line in lines:
                compressed.write(line)
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(temporary, path)
    return _sha256(path)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verify(archive: AuditArchive, path: Path, expected: list[bytes]) -> None:
    if _sha256(path) != archive.sha256:
        raise ArchiveVerificationError(f"{path.name}: checksum differs")
    with gzip.open(path, "rb") as handle:
        lines = handle.readlines()
    if lines != expected:
        raise ArchiveVerificationError(f"{path.name}: content differs from the events")


def _archive_batch(*, cutoff: datetime, directory: Path, batch_size: int) -> AuditArchive | None:
    postgresql = connection.vendor == "postgresql"
    with transaction.atomic():
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        rows = _rows(cutoff=cutoff, limit=batch_size)
        if not rows:
            return None
        ids = [row["id"] for row in rows]
        lines = [_line(row) for row in rows]
        stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
        path = directory / f"audit-{ids[0]:012d}-{ids[-1]:012d}-{stamp}.jsonl.gz"
        archive = AuditArchive.objects.create(
            cutoff=cutoff,
            first_event_id=ids[0],
            last_event_id=ids[-1],
            event_count=len(ids),
            file_name=path.name,
            sha256=_write(path, lines),
        )
        # Read back: the file, and the events as they are in the table now.
        _verify(archive, path, [_line(row) for row in _rows(ids)])
        archive.verified_at = timezone.now()
        archive.save(update_fields=["verified_at"])

        with connection.cursor() as cursor:
            if postgresql:
                cursor.execute(
                    "SELECT set_config('portal.audit_archive', %s, true)", [str(archive.pk)]
                )
            # Exactly the batch: the events before the cutoff, by id, up to its last one.
            cursor.execute(
                "DELETE FROM portal_auditevent WHERE id BETWEEN %s AND %s AND occurred_at < %s",
                [ids[0], ids[-1], cutoff],
            )
            deleted = cursor.rowcount
            if postgresql:
                cursor.execute("SELECT set_config('portal.audit_archive', '', true)")
        if deleted != len(ids):
            raise ArchiveVerificationError(
                f"{path.name}: {deleted} events deleted, {len(ids)} archived"
            )
        archive.deleted_count = deleted
        archive.save(update_fields=["deleted_count"])
        audit_record(
            actor=None,
            action="audit.archive",
            obj=archive,
            details={
                "file": archive.file_name,
                "events": archive.event_count,
                "first": archive.first_event_id,
                "last": archive.last_event_id,
                "sha256": archive.sha256,
                "cutoff": cutoff.isoformat(),
            },
        )
    return archive


def audit_archive_read(archive: AuditArchive) -> list[dict]:
    """The events an archive holds (its checksum verified first), for an auditor's request."""
    path = Path(settings.AUDIT_ARCHIVE_DIR) / archive.file_name
    if _sha256(path) != archive.sha256:
        raise ArchiveVerificationError(f"{path.name}: checksum differs")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]
