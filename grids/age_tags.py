"""Age-derived tags (60+, 80+, minor) kept current by a daily task.

A tag whose `TagDef.age_derived` is set belongs to everyone whose age lies in its range. The
ranges are keyed by tag code, in whole years, lower bound included and upper bound excluded:

    elderly_60  60+        elderly_80  80+        minor  under 18

`AGE_TAG_RANGES` below holds them; a city that counts differently sets `AGE_TAG_RANGES` in its
settings (same shape). An age-derived tag without a range is left alone and reported.

Each day `age_tags_refresh(today=...)`, set-wise:

- adds the tag (source `age`, valid from the birthday on which the person entered the range) to
  every living resident in the range who has no row for it yet — one query per tag finds them,
  `bulk_create` writes them in batches;
- ends (valid_to = yesterday) every row of the tag still in force for a resident who has left
  the range — a minor on their 18th birthday — in one UPDATE per tag, whatever the row's
  source: the tag is defined by age, so a hand-entered "minor" ends at 18 too.

Deceased residents get no new tags; their existing ones are left as they were. A row ended
once stays ended (the history of who was a minor when); rows are never deleted here.

The run happens once per day however often beat delivers it (`scheduled_run_once`, slot =
the date) and writes one audit event with the counts.
"""

from datetime import date, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from grids.models import Resident, ResidentTag, TagDef
from portal.audit import audit_record
from portal.schedules import scheduled_run_once

# code → (minimum age, age at which the tag ends or None); whole years.
AGE_TAG_RANGES: dict[str, tuple[int, int | None]] = {
    "elderly_60": (60, None),
    "elderly_80": (80, None),
    "minor": (0, 18),
}

BATCH_SIZE = 2000

TASK = "grids.age_tags_refresh"


def age_ranges() -> dict[str, tuple[int, int | None]]:
    return getattr(settings, "AGE_TAG_RANGES", AGE_TAG_RANGES)


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def in_age_range(*, today: date, minimum: int, end: int | None, prefix: str = "") -> Q:
    """Q for residents whose age on `today` is at least `minimum` and below `end`.

    Aged N on `today` ⇔ born on or before the same day N years earlier: a plain comparison on
    the birth date, so the database can use an index.
    """
    q = Q(**{f"{prefix}birth_date__lte": years_before(today, minimum)})
    if end is not None:
        q &= Q(**{f"{prefix}birth_date__gt": years_before(today, end)})
    return q


def age_tags_refresh(*, today: date, batch_size: int = BATCH_SIZE) -> dict:
    """Bring the age-derived tags up to `today`; once per day. Returns the counts per tag code."""
    slot = today.isoformat()
    with scheduled_run_once(task=TASK, slot=slot) as run:
        if run is None:
            return {"skipped": True, "slot": slot}
        result = _refresh(today=today, batch_size=batch_size)
        audit_record(
            actor=None, action="resident_tag.age_refresh", details={"date": slot, **result}
        )
        run.result = result
    return {"skipped": False, "slot": slot, **result}


def age_tags_apply_many(resident_ids, *, today: date | None = None) -> dict:
    """`age_tags_apply` set-wise, for residents written in bulk (an import): the same rule as the
    nightly run, restricted to these residents, a few queries per batch of ids."""
    today = today or timezone.localdate()
    ids = sorted(set(resident_ids))
    totals: dict = {"added": {}, "ended": {}}
    for start in range(0, len(ids), BATCH_SIZE):
        result = _refresh(today=today, batch_size=BATCH_SIZE, only=ids[start : start + BATCH_SIZE])
        for key in ("added", "ended"):
            for code, count in result[key].items():
                totals[key][code] = totals[key].get(code, 0) + count
    return totals


def _refresh(*, today: date, batch_size: int, only: list[int] | None = None) -> dict:
    """`only`: restrict the run to these residents' ids (None: everybody)."""
    yesterday = today - timedelta(days=1)
    ranges = age_ranges()
    tags = list(TagDef.objects.filter(age_derived=True).order_by("code"))
    added: dict[str, int] = {}
    ended: dict[str, int] = {}
    for tag in tags:
        if tag.code not in ranges:
            continue
        minimum, end = ranges[tag.code]
        added[tag.code] = _add(
            tag=tag, today=today, minimum=minimum, end=end, batch_size=batch_size, only=only
        )
        rows = (
            ResidentTag.objects.all()
            if only is None
            else ResidentTag.objects.filter(resident_id__in=only)
        )
        ended[tag.code] = (
            rows.filter(
                Q(valid_to__isnull=True) | Q(valid_to__gte=today),
                Q(valid_from__isnull=True) | Q(valid_from__lte=yesterday),
                tag=tag,
            )
            .exclude(in_age_range(today=today, minimum=minimum, end=end, prefix="resident__"))
            .update(valid_to=yesterday, updated_at=timezone.now())
        )
    return {
        "added": added,
        "ended": ended,
        "without_range": [t.code for t in tags if t.code not in ranges],
    }


def age_tags_apply(resident: Resident, *, today: date | None = None) -> None:
    """The same rule for one resident, when they are registered or corrected: a 72-year-old
    registered today holds `elderly_60` at once, not after the night's run. Adds the tags of
    the ranges the living resident is in (when they hold no row for the tag yet) and ends the
    rows in force of those they are not in — as `age_tags_refresh` would tonight."""
    today = today or timezone.localdate()
    yesterday = today - timedelta(days=1)
    ranges = age_ranges()
    for tag in TagDef.objects.filter(age_derived=True, code__in=list(ranges)).order_by("code"):
        minimum, end = ranges[tag.code]
        inside = _inside(resident.birth_date, today=today, minimum=minimum, end=end)
        rows = ResidentTag.objects.filter(resident=resident, tag=tag)
        if inside and resident.deceased_date is None and not rows.exists():
            _write(
                [
                    ResidentTag(
                        resident=resident,
                        tag=tag,
                        source=ResidentTag.Source.AGE,
                        valid_from=_entered_range(resident.birth_date, minimum),
                    )
                ]
            )
        elif not inside:
            rows.filter(
                Q(valid_to__isnull=True) | Q(valid_to__gte=today),
                Q(valid_from__isnull=True) | Q(valid_from__lte=yesterday),
            ).update(valid_to=yesterday, updated_at=timezone.now())


def age_tags_of_new(residents, *, today: date | None = None) -> list[ResidentTag]:
    """The age-derived tag rows of residents just created (saved, holding no tag rows yet), as
    `age_tags_apply` would add them, unsaved: an import writes them with its own bulk path
    instead of looking for rows it knows do not exist."""
    today = today or timezone.localdate()
    ranges = age_ranges()
    tags = []  # (tag, minimum age, born on or before, born after or None): in_age_range's bounds
    for tag in TagDef.objects.filter(age_derived=True, code__in=list(ranges)).order_by("code"):
        minimum, end = ranges[tag.code]
        latest = years_before(today, minimum)
        tags.append((tag, minimum, latest, None if end is None else years_before(today, end)))
    return [
        ResidentTag(
            resident_id=resident.pk,
            tag=tag,
            source=ResidentTag.Source.AGE,
            valid_from=_entered_range(resident.birth_date, minimum),
        )
        for resident in residents
        if resident.deceased_date is None and resident.birth_date is not None
        for tag, minimum, latest, earliest in tags
        if resident.birth_date <= latest and (earliest is None or resident.birth_date > earliest)
    ]


def _inside(birth_date: date, *, today: date, minimum: int, end: int | None) -> bool:
    """`in_age_range` for one birth date, in Python."""
    return birth_date <= years_before(today, minimum) and (
        end is None or birth_date > years_before(today, end)
    )


def _add(
    *, tag: TagDef, today: date, minimum: int, end: int | None, batch_size: int, only=None
) -> int:
    """Tag the living residents in range who have no row for the tag; returns how many."""
    residents = Resident.objects.all() if only is None else Resident.objects.filter(pk__in=only)
    candidates = (
        residents.filter(
            in_age_range(today=today, minimum=minimum, end=end), deceased_date__isnull=True
        )
        .filter(~Exists(ResidentTag.objects.filter(resident=OuterRef("pk"), tag=tag)))
        .values_list("pk", "birth_date")
        .iterator(chunk_size=batch_size)
    )
    count = 0
    batch: list[ResidentTag] = []
    for resident_id, birth_date in candidates:
        batch.append(
            ResidentTag(
                resident_id=resident_id,
                tag=tag,
                source=ResidentTag.Source.AGE,
                valid_from=_entered_range(birth_date, minimum),
            )
        )
        if len(batch) >= batch_size:
            count += _write(batch)
    count += _write(batch)
    return count


def _entered_range(birth_date: date, minimum: int) -> date:
    try:
        return birth_date.replace(year=birth_date.year + minimum)
    except ValueError:  # born on 29 February
        return birth_date.replace(year=birth_date.year + minimum, month=3, day=1)


def _write(batch: list[ResidentTag]) -> int:
    # ignore_conflicts: a tag entered by hand meanwhile wins over the derived one.
    ResidentTag.objects.bulk_create(batch, ignore_conflicts=True)
    count = len(batch)
    batch.clear()
    return count
