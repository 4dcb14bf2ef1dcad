"""A user's resolved scope, memoised for one request and never served stale.

Scope written as nested subqueries over the grant tables is exact but opaque to PostgreSQL:
it cannot estimate how few grids a grant subquery selects, so a street-scoped count read the
whole district (docs/performance.md). The querysets therefore resolve a user's scope to plain
id lists (`grid_id = ANY(array)`) in one small query and keep them on the user object through
`scope_memo`. `visible_to` stays the one place scope is decided: this module only remembers
its answer, and decides nothing.

A memo is valid while two things hold:

- **the same request**: `request_started` opens a new epoch (per thread), so a user object that
  outlives its request (a test client's `force_authenticate`) resolves again in the next one;
  a Celery task or a command keeps its memo for the life of its user object;
- **no scope change since**: every save or delete of a model that decides scope (grants,
  regions, grids, assignments, and what places an ungridded household) bumps a process-wide
  generation at once, so the writer's own next read in the same transaction sees the new
  scope; writes that bypass signals (bulk imports) call `scope_changed()` themselves. A change
  made inside a transaction that is then rolled back bumps the generation again at the next
  read: Django drops the change's `on_commit` hook with the savepoint, and its absence is the
  sign.

Across requests, a process keeps what it resolved (`_across_requests`) for as long as nothing
that decides scope has changed since, anywhere, and at most SCOPE_CACHE_SECONDS (60 s; 0 turns
it off). "Anywhere" is the committed scope generation: one row (`portal.ScopeGeneration`) that
every scope change adds one to *inside its own transaction*, so another process sees the new
number exactly when it can see the change — never before the commit (it would resolve the old
scope under the new number), and never for a change rolled back. A request reads that number
once (one primary-key read, where resolving costs a planned join over the grant tables) and
reuses a value stored under the same number and the same local generation. Nothing is stored
while the thread's own transaction holds an uncommitted scope change, nor outside requests
(a Celery task resolves per user object, as before). The time limit bounds only what bypasses
the portal's writes (SQL typed by hand): every write through the ORM counts.

A request that began before a grant was committed elsewhere may finish with the scope it
started with — no staler than one database snapshot.
"""

import itertools
import threading
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_migrate, post_save

from portal.process_memory import ProcessMemory

T = TypeVar("T")

_lock = threading.Lock()
_generation = 0
_epochs = itertools.count(1)
_local = threading.local()  # request epoch and uncommitted changes: per thread, like connections
_MEMO_ATTRIBUTE = "_scope_memo"
DEFAULT_SECONDS = 60
_kept = ProcessMemory(size=4096)  # (key, user pk) → ((committed, local generation), value)


def scope_memo(user, key: str, resolve: Callable[[], T]) -> T:
    """`resolve()` once per request and scope generation for `user`, kept on the user object."""
    token = (scope_generation(), getattr(_local, "request_epoch", 0))
    memo = getattr(user, _MEMO_ATTRIBUTE, None)
    if memo is None or memo[0] != token:
        memo = (token, {})
        setattr(user, _MEMO_ATTRIBUTE, memo)
    values = memo[1]
    if key not in values:
        values[key] = _across_requests(user, key, resolve)
    return values[key]


def _across_requests(user, key: str, resolve: Callable[[], T]) -> T:
    """What this process resolved for `user` in an earlier request, if nothing that decides
    scope has changed since (see the module docstring); else `resolve()`, kept for the next."""
    seconds = getattr(settings, "SCOPE_CACHE_SECONDS", DEFAULT_SECONDS)
    epoch = getattr(_local, "request_epoch", 0)
    if seconds <= 0 or not epoch or user.pk is None or _pending():
        return resolve()  # off, outside a request, or this thread's scope change is uncommitted
    committed = _committed_generation(epoch)
    if committed is None:
        return resolve()
    validity = (committed, _generation)  # read before resolving: a change meanwhile voids it
    entry = _kept.get((key, user.pk), seconds)
    if entry is not None and entry[0] == validity:
        return entry[1]
    value = resolve()
    _kept.put((key, user.pk), (validity, value))
    return value


def scopes_forget() -> None:
    """Forget every scope kept across requests in this process (a test's data rolled back)."""
    _kept.clear()


def _committed_generation(epoch: int) -> int | None:
    """The committed scope generation, read once per request (None: no row, nothing is kept)."""
    known = getattr(_local, "committed", None)
    if known is not None and known[0] == epoch:
        return known[1]
    from portal.models import ScopeGeneration

    # Plain SQL: read on every scoped request, where the ORM's compiling would cost more
    # than the read itself.
    table = connections[DEFAULT_DB_ALIAS].ops.quote_name(ScopeGeneration._meta.db_table)
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        sql = f"SELECT generation FROM {table} WHERE id = %s"  # noqa: S608 - a model's table
        cursor.execute(sql, [ScopeGeneration.ROW_ID])
        row = cursor.fetchone()
    _local.committed = (epoch, row[0] if row else None)
    return _local.committed[1]


def _committed_bump(using: str) -> None:
    """One more on the committed generation, in the caller's transaction."""
    from portal.models import ScopeGeneration

    rows = ScopeGeneration.objects.using(using)
    if not rows.filter(pk=ScopeGeneration.ROW_ID).update(generation=F("generation") + 1):
        # The row is gone (a database flushed by hand or by a test): start it again.
        rows.bulk_create(
            [ScopeGeneration(pk=ScopeGeneration.ROW_ID, generation=1)], ignore_conflicts=True
        )


def scope_changed(*, using: str = DEFAULT_DB_ALIAS, **_signal_kwargs) -> None:
    """Invalidate every memo of this process: something that decides scope was written.

    A signal receiver (post_save / post_delete of the watched models) and a call for writes
    that send no signals (bulk_create, bulk_update, QuerySet.update).
    """
    _bump()
    connection = connections[using]
    if not connection.in_atomic_block:
        _committed_bump(using)
        return
    # Watch for a rollback of this change: Django drops the hooks registered inside a savepoint
    # (or a transaction) it rolls back; one that runs has seen its change committed. One hook
    # per savepoint stack is enough: later changes in the same stack share its fate, and the
    # committed generation counted for the first one counts for them (and is rolled back with it).
    pending = _pending()
    context = (using, tuple(connection.savepoint_ids))
    if context in pending and _hook_alive(*pending[context]):
        return
    _committed_bump(using)

    def committed():
        if pending.get(context, (None, None))[1] is committed:
            del pending[context]

    pending[context] = (using, committed)
    transaction.on_commit(committed, using=using)


def scope_generation() -> int:
    """The current generation, first counting any scope change since rolled back."""
    pending = _pending()
    if pending:
        rolled_back = [key for key, entry in pending.items() if not _hook_alive(*entry)]
        for key in rolled_back:
            del pending[key]
        if rolled_back:
            _bump()
    return _generation


def scope_models_watch(*models, when: Callable | None = None) -> None:
    """Bump the generation on every save and delete of `models`.

    `when(instance, created=..., update_fields=...)`, if given, tells which saves can change
    scope (a household created inside a grid cannot change anyone's ungridded households);
    deletes always count.
    """
    for model in models:
        post_delete.connect(_on_delete, sender=model, weak=False, dispatch_uid=f"scope-{model}")
        post_save.connect(_on_save(when), sender=model, weak=False, dispatch_uid=f"scope-{model}")


def _on_save(when):
    def receiver(sender, instance, created, update_fields=None, using=DEFAULT_DB_ALIAS, **kwargs):
        if when is None or when(instance, created=created, update_fields=update_fields):
            scope_changed(using=using)

    return receiver


def _on_delete(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
    scope_changed(using=using)


def _bump() -> None:
    global _generation
    with _lock:
        _generation += 1


def _hook_alive(using: str, hook: Callable) -> bool:
    return any(entry[1] is hook for entry in connections[using].run_on_commit)


def _pending() -> dict:
    if not hasattr(_local, "pending"):
        _local.pending = {}
    return _local.pending


def _request_started(**kwargs) -> None:
    _local.request_epoch = next(_epochs)


def _flushed(**kwargs) -> None:
    _bump()  # a database flushed or migrated: nothing resolved before describes it


def _request_finished(**kwargs) -> None:
    _local.request_epoch = 0  # what runs after it in this thread is outside any request


request_started.connect(_request_started, dispatch_uid="scope-request-epoch")
request_finished.connect(_request_finished, dispatch_uid="scope-request-epoch-end")
post_migrate.connect(_flushed, dispatch_uid="scope-flushed")
