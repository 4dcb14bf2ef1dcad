"""Overdue-visit reminders: the grid worker at once, then the grid leader, then the community.

Who is overdue is decided by grids.cadence.residents_overdue and nowhere else. Beat runs
`visit_reminders_send` every hour; delivery is at-least-once and a run may repeat any number
of times, so every reminder carries a `dedup_key` and the unique constraint on
(recipient, dedup_key) lets exactly one row exist.

Escalation, counted from the moment the visit fell due (`due_at`):

| level       | when                                           | to whom                          | one per |
|-------------|------------------------------------------------|----------------------------------|---------|
| `worker`    | overdue at all                                 | current full- and part-time grid | resident, due date |
|             |                                                | workers of the household's grid  |         |
| `leader`    | overdue ≥ VISIT_ESCALATE_LEADER_DAYS (3)       | current grid leaders of that grid| resident, due date |
| `community` | overdue ≥ VISIT_ESCALATE_COMMUNITY_DAYS (7)    | community cadres of the grid's   | community, day |
|             |                                                | community (`grids.work_in_region`)|        |

Keys: `visit-overdue:<resident>:<due date>:worker|leader` and
`visit-overdue:community:<community>:<day>`. A visit moves the due date: the resident leaves
the overdue set (nothing more is sent) or, overdue again later, starts a new key from the
worker level. A grid leader who is also a worker of the grid gets the worker reminder only.

Why a digest for the community: a community holds thousands of residents; a cadre who got one
notification per resident would get thousands and read none. So the community level is one
notification per cadre, community and day, giving the number of residents overdue by the
community threshold and the oldest due date, and linking to the "visits due" list (the cadre's
scope shows the community). It repeats daily while anyone stays that far overdue.

Set-wise, at any scale (1,000,000 residents: 20 s on two cores, docs/performance-scale.md):
one query fetches the overdue set with due date, grid and community (`values_list`, streamed
in chunks; narrowed first to the holders of a cadence tag, `grids.selectors.cadence_tag_holders`,
so due dates are computed for them only); one query each fetches the current grid staff and
the community cadres; the notifications are built in memory and written with
`bulk_create(ignore_conflicts=True)` in batches of `batch_size`, each batch preceded by one
query for the keys that already exist (so a repeated run inserts nothing and the counts it
returns are of new notifications). The number of queries grows with the number of batches,
never with the number of residents in a batch.
"""

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grids.cadence import residents_overdue
from grids.models import GridAssignment, Resident
from grids.selectors import cadence_tag_holders, community_cadres
from portal.models import Notification
from portal.notifications import notifications_send_many

WORKER = "worker"
LEADER = "leader"
COMMUNITY = "community"
LEVELS = (WORKER, LEADER, COMMUNITY)
DUE_TODAY = "due_today"  # the worker's text when the visit fell due earlier today

BATCH_SIZE = 1000

WORKER_POSTS = (GridAssignment.Post.FULL_TIME, GridAssignment.Post.PART_TIME)


def visit_reminders_send(*, now=None, batch_size: int = BATCH_SIZE) -> dict:
    """Send the reminders due now; returns residents overdue and notifications sent per level."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    leader_from = now - timedelta(days=settings.VISIT_ESCALATE_LEADER_DAYS)
    community_from = now - timedelta(days=settings.VISIT_ESCALATE_COMMUNITY_DAYS)

    workers, leaders = _grid_staff(today)
    cadres, community_names = community_cadres()

    sent = dict.fromkeys(LEVELS, 0)
    pending: list[tuple[str, Notification]] = []
    escalated: dict[int, list] = {}  # community id → [count, oldest due_at]
    overdue_count = 0
    resident_type = ContentType.objects.get_for_model(Resident)

    def flush():
        for level, count in _write(pending).items():
            sent[level] += count
        pending.clear()

    def add(level, notification):
        pending.append((level, notification))
        if len(pending) >= batch_size:
            flush()

    with translation.override(settings.LANGUAGE_CODE):
        text = _texts()
        gridded = Resident.objects.filter(
            household__grid__isnull=False, pk__in=cadence_tag_holders(on=today)
        )
        rows = (
            residents_overdue(gridded, now=now)
            .values_list(
                "pk",
                "name",
                "due_at",
                "household__grid_id",
                "household__grid__name",
                "household__grid__community_id",
            )
            .iterator(chunk_size=batch_size)
        )
        for pk, name, due_at, grid_id, grid_name, community_id in rows:
            overdue_count += 1
            due = timezone.localtime(due_at).date()
            values = {
                "name": name,
                "grid": grid_name,
                "date": due.isoformat(),
                # Calendar days since the due date: a visit due earlier today is "due today",
                # never "overdue 0 days".
                "days": (today - due).days,
            }
            url = reverse("grids:resident-detail", args=[pk])
            about = {"object_type": resident_type, "object_id": pk}
            key = f"visit-overdue:{pk}:{due.isoformat()}"
            grid_workers = workers.get(grid_id, set())
            worker_text = text[WORKER] if values["days"] > 0 else text[DUE_TODAY]
            for person in grid_workers:
                add(
                    WORKER,
                    _notification(person, worker_text, values, url, f"{key}:{WORKER}", **about),
                )
            if due_at <= leader_from:
                for person in leaders.get(grid_id, set()) - grid_workers:
                    add(
                        LEADER,
                        _notification(
                            person, text[LEADER], values, url, f"{key}:{LEADER}", **about
                        ),
                    )
            if due_at <= community_from:
                counted = escalated.setdefault(community_id, [0, due_at])
                counted[0] += 1
                counted[1] = min(counted[1], due_at)

        due_list = reverse("grids:visits-due")
        for community_id, (count, oldest) in escalated.items():
            values = {
                "count": count,
                "community": community_names.get(community_id, ""),
                "days": settings.VISIT_ESCALATE_COMMUNITY_DAYS,
                "date": today.isoformat(),
                "oldest": timezone.localtime(oldest).date().isoformat(),
            }
            key = f"visit-overdue:{COMMUNITY}:{community_id}:{today.isoformat()}"
            for person in cadres.get(community_id, ()):
                add(COMMUNITY, _notification(person, text[COMMUNITY], values, due_list, key))
        flush()

    return {"overdue": overdue_count, **sent}


def _texts() -> dict[str, tuple[str, str]]:
    """(title, body) templates per level, translated once per run."""
    return {
        WORKER: (
            _("Visit overdue: %(name)s"),
            _(
                "%(name)s (%(grid)s) was due for a visit on %(date)s and is now %(days)s days "
                "overdue. Please visit or call."
            ),
        ),
        DUE_TODAY: (
            _("Visit due today: %(name)s"),
            _("%(name)s (%(grid)s) is due for a visit today (%(date)s). Please visit or call."),
        ),
        LEADER: (
            _("Escalated: %(name)s not visited, %(days)s days overdue"),
            _(
                "%(name)s in your grid %(grid)s was due for a visit on %(date)s and is still "
                "not visited. Please follow up with the grid worker."
            ),
        ),
        COMMUNITY: (
            _("Overdue by %(days)s days or more in %(community)s: %(count)s residents"),
            _(
                "As of %(date)s, residents of %(community)s overdue for a visit by %(days)s days "
                "or more: %(count)s; the oldest was due on %(oldest)s. The list of visits due "
                "shows who they are."
            ),
        ),
    }


def _notification(recipient_id, text, values, url, key, **about) -> Notification:
    """`about`: the object_type and object_id of the resident the notification is about."""
    title, body = text
    return Notification(
        recipient_id=recipient_id,
        title=(title % values)[:200],
        body=body % values,
        url=url,
        dedup_key=key,
        **about,
    )


def _grid_staff(today) -> tuple[dict[int, set], dict[int, set]]:
    """Current workers and leaders per grid, from one query."""
    workers: dict[int, set] = defaultdict(set)
    leaders: dict[int, set] = defaultdict(set)
    staff = (
        GridAssignment.objects.current(on=today)
        .filter(post__in=[*WORKER_POSTS, GridAssignment.Post.LEADER], person__is_active=True)
        .values_list("grid_id", "person_id", "post")
    )
    for grid_id, person_id, post in staff:
        (leaders if post == GridAssignment.Post.LEADER else workers)[grid_id].add(person_id)
    return workers, leaders


def _write(pending: list[tuple[str, Notification]]) -> dict[str, int]:
    """Insert the notifications whose key is new (two queries); returns how many per level."""
    new = {id(n) for n in notifications_send_many([n for _level, n in pending])}
    counts: dict[str, int] = defaultdict(int)
    for level, notification in pending:
        if id(notification) in new:
            counts[level] += 1
    return counts
