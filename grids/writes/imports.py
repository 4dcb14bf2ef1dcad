"""Spreadsheet imports: upload, check (the dry run), commit — each step once, all or nothing.

A job moves uploaded → checking → checked → committing → committed (or failed). Every step
takes the job's row lock and looks at the status first, so a step run twice (a double click,
a task delivered twice) does nothing the second time. Files up to settings.IMPORT_INLINE_ROWS
rows are checked and committed during the request; larger ones by a Celery worker
(grids/tasks/imports.py), queued on commit.

The commit checks the file again inside its transaction (locking the households and residents
it changes) and writes with bulk operations: a file may hold 50,000 rows, and one
`resident_create` per row would also write 50,000 audit events. New rows go in by `COPY` on
PostgreSQL (bulk_create elsewhere), changed ones by bulk_update, heads by one UPDATE per batch:
a constant number of queries per 1,000 rows (bench/import_bench.py measures it against a plain
`COPY`). Each object passes the model's own validation (`full_clean`, in the check) and the
database constraints: a new resident in the dry run, if the commit runs the same day (the same
cells give the same answer; `imports.CheckedBefore`), otherwise in the commit's check again.
The import writes one audit event with its counts.

Faults (tests/reliability/test_worker_killed.py): the job row is the outbox and the record of
the work. A step that runs beats a heartbeat on the job (`heartbeat_at`, every
IMPORT_HEARTBEAT_SECONDS from a thread of its own); queueing a step stamps it too. If the
broker is down when a step is queued, the request still succeeds and the job waits. Beat's
`import_jobs_sweep` (every minute) re-queues a queued job whose step never started, and marks
failed — with a message, nothing having been written, as the commit is one transaction — a job
"checking" or "importing" whose heartbeat stopped for IMPORT_STALE_SECONDS: its worker was
killed, or the server stopped, mid-step. The uploader sees the message and uploads again.
"""

import io
import logging
import operator
import threading
import time
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from grids import imports
from grids.age_tags import age_tags_apply_many, age_tags_of_new
from grids.models import Building, Dwelling, Household, ImportJob, Resident, ResidentTag
from grids.policy import (
    access_import_job_check,
    access_import_job_commit,
    access_import_job_create,
    access_import_job_sweep,
)
from portal.audit import audit_record
from portal.scope_cache import scope_changed
from portal.spreadsheets import SheetRow, read_sheet, read_upload

logger = logging.getLogger(__name__)

_WRITE_BATCH = 1_000


def import_job_create(*, actor, uploaded_file) -> ImportJob:
    """Store an uploaded spreadsheet as a job and start its check.

    Refuses (ValidationError on `file`) a file of another type, one above IMPORT_MAX_BYTES
    (default 20 MB), without the layout's headers, or with more than IMPORT_MAX_ROWS rows.
    A small file is checked at once; a larger one is queued for a worker.
    """
    access_import_job_create(actor)
    upload = read_upload(
        uploaded_file,
        columns=imports.COLUMNS,
        max_bytes=getattr(settings, "IMPORT_MAX_BYTES", imports.DEFAULT_MAX_FILE_BYTES),
        max_rows=settings.IMPORT_MAX_ROWS,
    )
    rows = len(upload.rows)
    inline = rows <= settings.IMPORT_INLINE_ROWS
    with transaction.atomic():
        job = ImportJob(
            uploaded_by=actor,
            original_name=upload.name[:200],
            total_rows=rows,
            heartbeat_at=timezone.now(),
        )
        job.file.save(upload.storage_name, uploaded_file, save=False)
        job.full_clean()
        job.save()
        audit_record(actor=actor, action="import.upload", obj=job, details={"rows": rows})
        if not inline:
            transaction.on_commit(partial(_queue, "check", job.pk))
    if inline:
        job = import_job_check(actor=actor, job=job)
    return job


def import_job_check(*, actor, job: ImportJob) -> ImportJob:
    """The dry run: check the file as its uploader would import it and keep the report.

    Writes nothing but the job (status, progress, report). Runs once per job. `actor` is the
    uploader during the upload, None (the system) in the worker.
    """
    access_import_job_check(actor, job)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportJob.Status.UPLOADED:
            return job
        job.status = ImportJob.Status.CHECKING
        job.processed_rows = 0
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "processed_rows", "heartbeat_at"])
    progress = _Progress(job)
    try:
        with _Heartbeat(job):
            plan = imports.import_check(actor=job.uploaded_by, rows=_rows(job), progress=progress)
    except Exception as exc:
        return _fail(job, exc)
    finally:
        progress.close()
    job.status = ImportJob.Status.CHECKED
    job.report = plan.report()
    job.processed_rows = job.total_rows = plan.total_rows
    job.save(update_fields=["status", "report", "processed_rows", "total_rows"])
    return job


def import_job_commit_start(*, actor, job: ImportJob) -> ImportJob:
    """The uploader imports a checked file without errors: now if small, else through a worker.

    Asking again while it is queued, running or done changes nothing.
    """
    access_import_job_commit(actor, job)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportJob.Status.CHECKED or job.report.get("commit_queued"):
            return job
        if job.report.get("error_count"):
            raise ValidationError(_("Correct the errors in the file and upload it again."))
        if job.total_rows > settings.IMPORT_INLINE_ROWS:
            job.report = {**job.report, "commit_queued": True}
            job.heartbeat_at = timezone.now()
            job.save(update_fields=["report", "heartbeat_at"])
            transaction.on_commit(partial(_queue, "commit", job.pk))
            return job
    return import_job_commit(actor=actor, job=job)


def import_job_commit(*, actor, job: ImportJob) -> ImportJob:
    """Write a checked file, all or nothing, as its uploader; runs once per job.

    The file is checked again inside the transaction: if anything changed since the dry run
    (a resident moved out of the uploader's scope, a grid was removed), nothing is written and
    the job shows the new errors. `actor` is the uploader (a small file, during the request)
    or None (the system: the worker).
    """
    access_import_job_commit(actor, job)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportJob.Status.CHECKED or job.report.get("error_count"):
            return job
        job.status = ImportJob.Status.COMMITTING
        job.processed_rows = 0
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "processed_rows", "heartbeat_at"])
    progress = _Progress(job)
    try:
        rows = _rows(job)
        with _Heartbeat(job), transaction.atomic():
            # Half of the bar for the check, half for the writing.
            plan = imports.import_check(
                actor=job.uploaded_by,
                rows=rows,
                lock=True,
                progress=lambda n: progress(n // 2),
                checked_before=imports.CheckedBefore.from_report(job.report),
            )
            if plan.errors:
                raise _DataChanged(plan)
            _write(plan, progress=lambda n: progress(len(rows) // 2 + n // 2))
            report = plan.report()
            report.pop("checked")  # what the commit needed from the dry run, done with
            audit_record(
                actor=job.uploaded_by,
                action="import.commit",
                obj=job,
                details={"rows": plan.total_rows, "counts": report["counts"]},
            )
            job.status = ImportJob.Status.COMMITTED
            job.report = report
            job.processed_rows = job.total_rows = plan.total_rows
            job.finished_at = timezone.now()
            job.save(
                update_fields=["status", "report", "processed_rows", "total_rows", "finished_at"]
            )
    except _DataChanged as changed:
        job.status = ImportJob.Status.CHECKED
        job.report = changed.plan.report()
        job.processed_rows = job.total_rows
        job.save(update_fields=["status", "report", "processed_rows"])
    except Exception as exc:
        return _fail(job, exc)
    finally:
        progress.close()
    return job


def import_jobs_sweep(*, actor=None, now=None) -> dict:
    """Beat's clean-up of jobs whose worker went away (see the module's docstring).

    A job checking or importing without a heartbeat for IMPORT_STALE_SECONDS is marked
    failed with a message saying nothing was written; a queued job whose step has not
    started after as long is queued again (a duplicate delivery does nothing). Returns the
    counts.
    """
    access_import_job_sweep(actor)
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.IMPORT_STALE_SECONDS)
    stale = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    failed = 0
    running = (ImportJob.Status.CHECKING, ImportJob.Status.COMMITTING)
    for job in ImportJob.objects.filter(stale, status__in=running).order_by("pk"):
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().filter(stale, pk=job.pk).first()
            if job is None or job.status not in running:
                continue  # it finished, or beat again, meanwhile
            if job.status == ImportJob.Status.COMMITTING:
                message = _(
                    "The import was interrupted (the server stopped while it ran) and nothing "
                    "was written. Upload the file again."
                )
            else:
                message = _(
                    "The check was interrupted (the server stopped while it ran). Upload the "
                    "file again."
                )
            logger.warning("import job %s lost its worker while %s", job.pk, job.status)
            job.status = ImportJob.Status.FAILED
            job.report = {**_settled(job.report), "failure": message, "interrupted": True}
            job.finished_at = now
            job.save(update_fields=["status", "report", "finished_at"])
            failed += 1
    requeued = 0
    waiting = ImportJob.objects.filter(stale).filter(
        Q(status=ImportJob.Status.UPLOADED)
        | Q(status=ImportJob.Status.CHECKED, report__commit_queued=True)
    )
    for job in waiting.order_by("pk"):
        step = "check" if job.status == ImportJob.Status.UPLOADED else "commit"
        if ImportJob.objects.filter(pk=job.pk, status=job.status).update(heartbeat_at=now):
            _queue(step, job.pk)
            requeued += 1
    return {"failed": failed, "requeued": requeued}


# --- Helpers ----------------------------------------------------------------------------


class _DataChanged(Exception):
    def __init__(self, plan):
        super().__init__("the check inside the commit found errors")
        self.plan = plan


def _rows(job: ImportJob) -> list[SheetRow]:
    with job.file.open("rb") as fileobj:
        return read_sheet(fileobj, filename=job.original_name, columns=imports.COLUMNS)


def _fail(job: ImportJob, exc: Exception) -> ImportJob:
    """Mark the job failed; the transaction that wrote anything has already rolled back."""
    if isinstance(exc, ValidationError):
        message = " ".join(exc.messages)
    else:
        logger.exception("import job %s failed", job.pk)
        message = _(
            "The import failed and nothing was written. Try again, or contact your street administrator."
        )
    job.status = ImportJob.Status.FAILED
    job.report = {**_settled(job.report), "failure": message}
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "report", "finished_at"])
    return job


def _settled(report: dict) -> dict:
    """The report without `commit_queued`: a failed job is no longer waiting for anything
    (the page would otherwise show its progress bar for ever)."""
    return {key: value for key, value in report.items() if key != "commit_queued"}


def _queue(step: str, job_id: int) -> None:
    """Hand the step to a worker. With the broker down the request still succeeds: the job
    waits, and import_jobs_sweep queues it again once it has waited IMPORT_STALE_SECONDS."""
    from grids.tasks import imports as tasks

    task = tasks.import_job_check_task if step == "check" else tasks.import_job_commit_task
    try:
        task.delay(job_id)
    except Exception:
        logger.exception("could not queue the %s of import job %s; the sweeper will", step, job_id)


class _Heartbeat:
    """While the block runs, a thread stamps the job's `heartbeat_at` every
    IMPORT_HEARTBEAT_SECONDS, on a connection of its own (autocommit): a step that is slow
    but alive is never taken for a dead one. It dies with the process, which is the point."""

    def __init__(self, job: ImportJob):
        self.job_id = job.pk
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"import-{job.pk}", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.done.set()
        self.thread.join(timeout=30)
        return False

    def _beat(self) -> None:
        try:
            while not self.done.wait(settings.IMPORT_HEARTBEAT_SECONDS):
                try:
                    ImportJob.objects.filter(pk=self.job_id, status__in=imports.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError:  # SQLite's single writer, a database restart: next beat
                    logger.info("heartbeat of import job %s skipped", self.job_id)
        finally:
            connections.close_all()  # this thread's connections only


class _Progress:
    """Writes `processed_rows` so that the progress bar moves while the work runs.

    Outside a transaction an UPDATE commits at once. Inside the commit's one transaction it
    would stay invisible until the end, so on PostgreSQL it goes through a second connection
    of its own (autocommit, a one-row UPDATE that the import never locks meanwhile). SQLite
    (`make run`) allows one writer at a time: there the bar jumps when the commit ends.
    """

    def __init__(self, job: ImportJob):
        self.job_id = job.pk
        self.last = -1
        self.side = None

    def __call__(self, processed: int) -> None:
        if processed == self.last:
            return
        self.last = processed
        if not connection.in_atomic_block:
            ImportJob.objects.filter(pk=self.job_id).update(processed_rows=processed)
            return
        if connection.vendor != "postgresql":
            return
        if self.side is None:
            self.side = connections.create_connection(DEFAULT_DB_ALIAS)
        table = self.side.ops.quote_name(ImportJob._meta.db_table)
        with self.side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET processed_rows = %s WHERE id = %s",  # noqa: S608 - our table
                [processed, self.job_id],
            )

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None


def _write(plan: imports.ImportPlan, *, progress) -> None:
    """Write a checked plan (inside the caller's transaction), parents before children."""
    _insert(Building, list(plan.buildings_new.values()))
    building_ids = plan.buildings_existing | {k: b.pk for k, b in plan.buildings_new.items()}
    for (building_key, _unit, _room), dwelling in plan.dwellings_new.items():
        dwelling.building_id = building_ids[building_key]
    _insert(Dwelling, list(plan.dwellings_new.values()))
    dwelling_ids = plan.dwellings_existing | {k: d.pk for k, d in plan.dwellings_new.items()}

    new_households, changed_households, household_fields = [], [], set()
    for item in plan.households.values():
        dwelling_id = dwelling_ids[item.dwelling_key] if item.dwelling_key else None
        if item.existing is None:
            new_households.append(
                Household(
                    number=item.number,
                    grid=item.grid,
                    kind=item.kind or Household.Kind.REGISTERED,
                    dwelling_id=dwelling_id,
                )
            )
            continue
        fields = set(item.changed) - {"head"}
        if not fields:
            continue
        household = item.existing
        household.grid = item.grid
        household.kind = item.kind or household.kind
        household.dwelling_id = dwelling_id if "dwelling" in fields else household.dwelling_id
        changed_households.append(household)
        household_fields |= fields
    _insert(Household, new_households)
    now = timezone.now()  # bulk_update skips auto_now: sync clients must see the change
    if changed_households:
        for household in changed_households:
            household.updated_at = now
        Household.objects.bulk_update(
            changed_households, sorted(household_fields | {"updated_at"}), batch_size=_WRITE_BATCH
        )
    scope_changed()  # bulk writes send no signals; a household may have left or joined a grid
    household_ids = {h.number: h.pk for h in new_households}
    household_ids |= {n: h.existing.pk for n, h in plan.households.items() if h.existing}

    done = 0
    for start in range(0, len(plan.residents), _WRITE_BATCH):
        batch = plan.residents[start : start + _WRITE_BATCH]
        new = [item.resident for item in batch if item.is_new]
        for item in batch:
            item.resident.household_id = household_ids[item.household_number]
        _insert(Resident, new)
        changed = [item for item in batch if not item.is_new and item.changed]
        if changed:
            fields = set().union(*(item.changed for item in changed))
            for item in changed:
                _refresh_hashes(item.resident, fields)
            fields |= {f"{name}_hash" for name in fields & {"id_number", "phone"}}
            for item in changed:
                item.resident.updated_at = now
            Resident.objects.bulk_update(
                [item.resident for item in changed], sorted(fields | {"updated_at"})
            )
        done += len(batch)
        progress(done)

    resident_ids = {item.id_hash: item.resident.pk for item in plan.residents}
    heads = [
        (household_ids[number], resident_ids[item.head_hash])
        for number, item in plan.households.items()
        if item.head_hash and (item.existing is None or "head" in item.changed)
    ]
    _heads_set(heads, now=now)
    # The age-derived tags now, as a resident saved on a page gets them, not after the night:
    # a new resident holds no tag rows, so its rows are known without a query and go in by
    # COPY; a changed one (a corrected birth date) goes through the set-wise rule.
    _insert(ResidentTag, age_tags_of_new(item.resident for item in plan.residents if item.is_new))
    age_tags_apply_many(item.resident.pk for item in plan.residents if not item.is_new)


def _insert(model, objs: list) -> None:
    """Insert new objects, as bulk_create would, through PostgreSQL's COPY where it can.

    bulk_create spends most of an import's writing time building its INSERT statements in
    Python; COPY takes the same values (each field's pre_save and database value: timestamps,
    normalised and encrypted ID numbers and phones with their blind indexes) as plain text.
    The primary keys are drawn from the table's sequence first, in one query, so the objects
    know them as after bulk_create. One COPY per _WRITE_BATCH objects; SQLite (`make run`)
    keeps bulk_create.
    """
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=_WRITE_BATCH)
        return
    meta = model._meta
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: it is asked once per value below
    table = db.ops.quote_name(meta.db_table)
    fields = meta.concrete_fields
    columns = ", ".join(db.ops.quote_name(field.column) for field in fields)
    cells = [_copy_cell(field, db) for field in fields]
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
        for start in range(0, len(objs), _WRITE_BATCH):
            lines = []
            for obj in objs[start : start + _WRITE_BATCH]:
                lines.append("\t".join([cell(obj) for cell in cells]))
                obj._state.adding = False
                obj._state.db = db.alias
            lines.append("")
            sql = f"COPY {table} ({columns}) FROM STDIN"
            started = time.monotonic()
            cursor.cursor.copy_expert(sql, io.StringIO("\n".join(lines)))
            if db.queries_logged:  # the raw cursor bypasses Django's log: query counts see it
                elapsed = f"{time.monotonic() - started:.3f}"
                db.queries_log.append({"sql": f"{sql} -- {len(lines) - 1} rows", "time": elapsed})


_COPY_AS_IS = frozenset(
    {
        models.BigAutoField,
        models.BooleanField,
        models.CharField,
        models.DateField,
        models.DateTimeField,
        models.DecimalField,
        models.ForeignKey,
    }
)
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_cell(field, db):
    """`obj` → the field's value in COPY's text format: its pre_save, then (encrypted text) its
    database value, as bulk_create would write it.

    Decided once per field rather than asked of each of a million values (bench, 30,000 rows:
    the COPY writing's CPU 2.0 → 1.8 s). Numbers, dates and times have nothing to escape;
    text does.
    """
    kind = type(field)
    if kind.pre_save is models.Field.pre_save:
        value_of = operator.attrgetter(field.attname)  # what Field.pre_save returns
    else:
        value_of = partial(field.pre_save, add=True)  # auto_now, normalised, hashed...
    if kind not in _COPY_AS_IS:
        prepare = partial(field.get_db_prep_save, connection=db)
        return lambda obj: _copy_text(prepare(value_of(obj)))
    if kind in _COPY_NOTHING_TO_ESCAPE:
        return lambda obj: "\\N" if (value := value_of(obj)) is None else str(value)
    if kind is models.CharField:
        return lambda obj: (
            "\\N" if (value := value_of(obj)) is None else str(value).translate(_COPY_ESCAPES)
        )
    return lambda obj: _copy_text(value_of(obj))  # a boolean


# Their text (digits, signs, ISO dates and times) holds no tab, newline or backslash.
_COPY_NOTHING_TO_ESCAPE = frozenset(
    {
        models.BigAutoField,
        models.DateField,
        models.DateTimeField,
        models.DecimalField,
        models.ForeignKey,
    }
)


def _copy_text(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    return str(value).translate(_COPY_ESCAPES)


def _heads_set(heads: list[tuple[int, int]], *, now) -> None:
    """Point each (household, resident) pair's household at its head.

    Every new household needs this second write (its members need it first). Django's
    bulk_update builds a CASE WHEN per row, which cost more than the rest of the import
    together (8 s for 10,000 households); on PostgreSQL one UPDATE … FROM (VALUES …) per
    batch does the same in milliseconds. SQLite (`make run`) keeps bulk_update.
    """
    if connection.vendor != "postgresql":
        households = [Household(pk=pk, head_id=head, updated_at=now) for pk, head in heads]
        Household.objects.bulk_update(households, ["head", "updated_at"], batch_size=_WRITE_BATCH)
        return
    table = connection.ops.quote_name(Household._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(heads), _WRITE_BATCH):
            batch = heads[start : start + _WRITE_BATCH]
            values = ", ".join(["(%s::bigint, %s::bigint)"] * len(batch))
            cursor.execute(
                f"UPDATE {table} AS h SET head_id = v.head_id, updated_at = %s "  # noqa: S608
                f"FROM (VALUES {values}) AS v(id, head_id) WHERE h.id = v.id",
                [now, *(value for pair in batch for value in pair)],
            )


def _refresh_hashes(resident: Resident, fields: set[str]) -> None:
    """bulk_update skips the fields' pre_save: normalise and hash the encrypted values here."""
    for name in fields & {"id_number", "phone"}:
        model_field = Resident._meta.get_field(name)
        value = getattr(resident, name)
        if value and model_field.normalize:
            value = model_field.normalize(value)
            setattr(resident, name, value)
        setattr(resident, model_field.hash_field, model_field.hash_of(value) if value else "")
