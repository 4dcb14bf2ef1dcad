"""Demo Party building (党建引领), written through partybuilding's write services:

- the street Party committee (南滨街道党工委), a branch per community, two grid branches;
- ~150 members, a third serving members (在职党员), most of those reported (双报到) to a
  community, a few linked to registry residents;
- `secretary` (party_member login) is the secretary of the first community's branch; `member`
  (party_member login) a serving member reported to that community, with a need to claim and
  hours awaiting approval;
- community needs and approved service hours over the last year;
- a business-district alliance and a hospital co-building agreement with open and claimed
  list items;
- a year of 三会一课 and theme days, with one branch missing last month's and this month's
  支委会 (the compliance view and the dashboard name it);
- training courses and records: a few members and one secretary below their yearly threshold;
- one closed contest (擂台赛) with its 领头雁 enrolment.

Written once: the whole step runs when the street committee does not exist yet, in one
transaction, so a second `demo_data` adds nothing. Needs `ctx["users"]` (accounts) and
`ctx["communities"]`, `ctx["grids"]` (registry).

Rows no write service creates for another person are written here through the models'
`full_clean()` + `save()`: the approved hours of members without a login (a member logs their
own hours, `service_hours_log` takes the member from the actor's login).
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from grids.models import Resident
from partybuilding.alliances.models import Alliance, AllianceItem, AllianceMember
from partybuilding.alliances.writes import (
    alliance_agreement_create,
    alliance_create,
    alliance_item_claim,
    alliance_item_post,
    alliance_member_add,
)
from partybuilding.contests.models import LeadGooseEnrolment
from partybuilding.contests.selectors import leaders_of
from partybuilding.contests.writes import (
    contest_aspect_add,
    contest_close,
    contest_create,
    contest_indicator_add,
    contest_judge_add,
    contest_open,
    contest_publish,
    contest_scores_set,
    contestant_add,
    lead_goose_enrol,
)
from partybuilding.organisations.models import PartyOrg
from partybuilding.organisations.writes import (
    party_member_create,
    party_member_login_create,
    party_org_create,
    party_org_secretary_set,
)
from partybuilding.orglife.models import MeetingKind
from partybuilding.orglife.writes import meeting_record
from partybuilding.serving.models import CommunityNeed, PointRule, ServiceHours
from partybuilding.serving.writes import (
    community_need_claim,
    community_need_create,
    service_hours_log,
)
from partybuilding.training.models import TrainingCourse
from partybuilding.training.writes import training_course_create, training_records_add
from portal.demo.accounts import DEMO_PASSWORD
from portal.demo.names import LOCAL_SURNAMES

COMMITTEE = "南滨街道党工委"
# The two Party-member logins (role party_member), printed by `demo_data` after the accounts.
PARTY_ACCOUNTS = [
    ("secretary", "党员 Party member — the first community branch's secretary"),
    ("member", "党员 Party member — serving, reported to the first community"),
]
GIVEN = ["建国", "志强", "海波", "晓燕", "丽娟", "国平", "振东", "美玲", "伟", "静", "旭东", "慧敏"]
MEMBERS = 150
EMPLOYERS = [
    "瑞安市人民医院",
    "瑞安市南滨中学",
    "瑞安农商银行南滨支行",
    "国网瑞安市供电公司",
    "瑞安市市场监督管理局",
]
NEEDS = [
    ("独居老人周末陪伴", CommunityNeed.Category.ELDERLY_CARE),
    ("暑期少儿作业辅导", CommunityNeed.Category.CHILDREN),
    ("背街小巷环境整治", CommunityNeed.Category.ENVIRONMENT),
    ("夜间平安巡防", CommunityNeed.Category.SAFETY),
]
MONTHLY = [MeetingKind.BRANCH_COMMITTEE, MeetingKind.THEME_DAY]
QUARTERLY = [MeetingKind.GENERAL_ASSEMBLY, MeetingKind.PARTY_LECTURE]


def load(ctx: dict) -> None:
    """Write the street's Party building once (see the module docstring)."""
    if PartyOrg.objects.filter(name=COMMITTEE, parent__isnull=True).exists():
        return
    rng = random.Random(ctx["seed"])  # reproducible, not secret
    today = ctx.get("today") or timezone.localdate()
    party = ctx["users"]["party"]
    with transaction.atomic():
        tree = _tree(ctx["communities"], ctx["grids"])
        people = _members(rng, tree, ctx["grids"], today)
        _serving(rng, tree, people, party, today)
        _alliances(tree, party, today)
        _meetings(tree, people, today)
        _training(rng, tree, people, today)
        _contest(tree, people, ctx["users"], today)


def _name(rng) -> str:
    return rng.choice(sorted(LOCAL_SURNAMES)) + rng.choice(GIVEN)


def _tree(communities, grids) -> dict:
    committee = party_org_create(
        actor=None,
        name=COMMITTEE,
        kind=PartyOrg.Kind.COMMITTEE,
        founded_on=date(2001, 7, 1),
        host_unit="瑞安市南滨街道办事处",
    )
    branches = [
        party_org_create(
            actor=None,
            name=f"{community.name}党支部",
            kind=PartyOrg.Kind.BRANCH,
            parent=committee,
            community=community,
            founded_on=date(2005, 7, 1),
            host_unit=f"{community.name}居民委员会",
        )
        for community in communities
    ]
    grid_branches = [
        party_org_create(
            actor=None,
            name=f"{grid.name}党支部",
            kind=PartyOrg.Kind.GRID_BRANCH,
            parent=committee,
            grid=grid,
            founded_on=date(2019, 7, 1),
        )
        for grid in list(grids)[:2]
    ]
    return {"committee": committee, "branches": branches, "grid_branches": grid_branches}


def _members(rng, tree, grids, today) -> dict:
    """~150 members across the branches; a third serving, most of those reported; the
    `secretary` and `member` logins; a branch secretary per organisation."""
    orgs = [tree["committee"], *tree["branches"], *tree["grid_branches"]]
    residents = list(
        Resident.objects.filter(household__grid__in=grids)
        .order_by("pk")
        .values_list("pk", "name")[:5]
    )
    communities = [b.community for b in tree["branches"]]
    by_org: dict[int, list] = {org.pk: [] for org in orgs}
    for n in range(MEMBERS):
        org = orgs[n % len(orgs)]
        fields = {
            "status": "probationary" if n % 25 == 0 else "full",
            "joined_party_on": date(1975 + n % 45, 1 + n % 12, 1),
            "phone": f"139{57700000 + n:08d}",
        }
        if n < len(residents):
            fields["resident_id"] = residents[n][0]
            name = residents[n][1]
        else:
            name = _name(rng)
        if n % 3 == 1:  # a third serving members; all but every sixth of them reported
            fields.update(serving=True, employer=EMPLOYERS[n % len(EMPLOYERS)])
            if n % 18 != 1:
                community = org.community or communities[n % len(communities)]
                fields.update(reported_community=community, reported_on=today - timedelta(days=300))
        member = party_member_create(actor=None, name=name, org=org, **_resident(fields))
        by_org[org.pk].append(member)
    for org in orgs:
        party_org_secretary_set(actor=None, org=org, member=by_org[org.pk][0])
    branch = tree["branches"][0]
    secretary = _login(by_org[branch.pk][0], "secretary")
    serving = next(m for m in by_org[branch.pk] if m.reported_community_id == branch.community_id)
    member = _login(serving, "member")
    return {"by_org": by_org, "secretary": secretary, "member": member}


def _login(record, username: str):
    """The member's login through the write service, then the published demo password, which
    the password validators would refuse (set as accounts.py sets every demo password)."""
    record = party_member_login_create(
        actor=None, member=record, username=username, password=_STRONG
    )
    record.user.set_password(DEMO_PASSWORD)
    record.user.save(update_fields=["password"])
    return record


_STRONG = "Demo-Login-2026"


def _resident(fields: dict) -> dict:
    """party_member_create takes `resident` (an object); the demo has its pk."""
    if "resident_id" in fields:
        fields["resident"] = Resident.objects.get(pk=fields.pop("resident_id"))
    return fields


def _serving(rng, tree, people, party, today) -> None:
    """Needs per community (one claimed by `member`), a year of approved hours of the serving
    members, and `member`'s own hours awaiting approval."""
    rule = PointRule.objects.filter(active=True).order_by("pk").first()
    if rule is None:  # migration 0002's default rule was removed: no hours to credit
        return
    for branch in tree["branches"]:
        for title, category in NEEDS:
            community_need_create(
                actor=None,
                community=branch.community,
                title=f"{branch.community.name}{title}",
                category=category,
                description="在职党员认领，按次记录服务时长。",
            )
    member = people["member"]
    claimed = community_need_create(
        actor=None,
        community=member.reported_community,
        title="社区老年食堂助餐志愿",
        category=CommunityNeed.Category.ELDERLY_CARE,
    )
    community_need_claim(actor=member.user, need=claimed)
    for days, hours in ((3, "2.0"), (10, "3.0")):
        service_hours_log(
            actor=member.user,
            served_on=today - timedelta(days=days),
            hours=Decimal(hours),
            rule=rule,
            description="老年食堂助餐、陪老人聊天",
            need=claimed,
            evidence=None if not rule.evidence_required else _evidence(),
        )
    # Approved hours of the reported members (no logins: written here, see the docstring).
    reported = [
        m
        for members in people["by_org"].values()
        for m in members
        if m.reported_community_id and m.pk != member.pk
    ]
    now = timezone.now()
    evidence_name = ""  # one photo stored once, shared by every demo record
    for i, m in enumerate(reported):
        for month in range(12):
            if (i + month) % 3:
                continue
            hours = Decimal(rng.choice(["1.5", "2.0", "3.0", "4.0"]))
            record = ServiceHours(
                member=m,
                community_id=m.reported_community_id,
                served_on=min(_month_start(today, month) + timedelta(days=4 + i % 20), today),
                hours=hours,
                description="社区志愿服务",
                rule=rule,
                status=ServiceHours.Status.APPROVED,
                reviewed_by=party,
                reviewed_at=now,
                points=rule.points_for(hours).quantize(Decimal("0.01")),
            )
            if evidence_name:
                record.evidence.name = evidence_name
            else:
                record.evidence = _evidence()
            record.full_clean()
            record.save()
            evidence_name = record.evidence.name


def _evidence():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("服务照片.jpg", b"\xff\xd8\xff\xe0demo", content_type="image/jpeg")


def _alliances(tree, party, today) -> None:
    """A business-district alliance and a hospital co-building agreement, with open and claimed
    items."""
    branches = tree["branches"]
    district = alliance_create(
        actor=None,
        name="南滨商圈党建联盟",
        kind=Alliance.Kind.BUSINESS_DISTRICT,
        lead_org=branches[0],
        community=branches[0].community,
        description="商圈企业、个体户和社区共建共享。",
    )
    shops = [
        alliance_member_add(actor=None, alliance=district, party_org=branch, kind="party_org")
        for branch in branches[1:3]
    ]
    lead = AllianceMember.objects.get(alliance=district, party_org=branches[0])
    for title, kind in (
        ("商户消防安全培训", AllianceItem.Kind.NEED),
        ("商圈党群服务驿站场地", AllianceItem.Kind.RESOURCE),
        ("夜市文明劝导", AllianceItem.Kind.PROJECT),
    ):
        alliance_item_post(actor=None, alliance=district, kind=kind, title=title, posted_by=lead)
    claimed = alliance_item_post(
        actor=None,
        alliance=district,
        kind=AllianceItem.Kind.NEED,
        title="沿街店铺垃圾分类指导",
        posted_by=lead,
    )
    if shops:
        alliance_item_claim(actor=party, item=claimed, claimed_by=shops[0])

    hospital = alliance_create(
        actor=None,
        name="南滨医社共建联盟",
        kind=Alliance.Kind.CO_BUILDING,
        lead_org=branches[-1],
        community=branches[-1].community,
    )
    hospital_lead = AllianceMember.objects.get(alliance=hospital, party_org=branches[-1])
    clinic = alliance_member_add(
        actor=None,
        alliance=hospital,
        name="瑞安市人民医院党委",
        kind=AllianceMember.Kind.HOSPITAL,
        joined_on=today - timedelta(days=200),
    )
    alliance_agreement_create(
        actor=None,
        alliance=hospital,
        title="医社党建共建协议",
        signed_on=today - timedelta(days=200),
        term_start=today - timedelta(days=200),
        term_end=today + timedelta(days=900),
        lead=hospital_lead,
        parties=[clinic],
    )
    alliance_item_post(
        actor=None,
        alliance=hospital,
        kind=AllianceItem.Kind.RESOURCE,
        title="每月一次社区义诊",
        posted_by=clinic,
    )
    need = alliance_item_post(
        actor=None,
        alliance=hospital,
        kind=AllianceItem.Kind.NEED,
        title="高龄老人上门健康评估",
        posted_by=hospital_lead,
    )
    alliance_item_claim(actor=party, item=need, claimed_by=clinic)


def _month_start(day: date, back: int) -> date:
    year, month = day.year, day.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def _meetings(tree, people, today) -> None:
    """Twelve months of monthly meetings and four quarters of quarterly ones for every branch;
    the last branch missed last month's and this month's 支委会."""
    branches = [*tree["branches"], *tree["grid_branches"]]
    skipper = tree["branches"][-1]
    for back in range(12, -1, -1):
        first = _month_start(today, back)
        held_on = min(first + timedelta(days=9), today)
        for branch in branches:
            kinds = list(MONTHLY)
            if first.month % 3 == 0:
                kinds += QUARTERLY
            for kind in kinds:
                if branch == skipper and kind == MeetingKind.BRANCH_COMMITTEE and back <= 1:
                    continue
                members = people["by_org"][branch.pk]
                meeting_record(
                    actor=None,
                    org=branch,
                    kind=kind,
                    held_on=held_on,
                    topic=f"{held_on:%Y年%m月}{MeetingKind(kind).label}",
                    place="社区党群服务中心",
                    attendance=[
                        {"member": m, "status": "present" if i % 7 else "excused"}
                        for i, m in enumerate(members)
                    ],
                )


def _training(rng, tree, people, today) -> None:
    """Courses this year; most members reach 32 h, a few and one secretary fall short."""
    start = date(today.year, 1, 1)
    courses = [
        training_course_create(
            actor=None,
            title=title,
            topic=topic,
            hours=Decimal(hours),
            held_on=min(start + timedelta(days=offset), today),
        )
        for title, topic, hours, offset in (
            ("矛盾纠纷化解实务", TrainingCourse.Topic.DISPUTE_MEDIATION, "16", 40),
            ("党务工作规范", TrainingCourse.Topic.PARTY_AFFAIRS, "16", 100),
            ("网格党建与基层治理", TrainingCourse.Topic.GRID_WORK, "12", 160),
            ("支部书记履职能力提升", TrainingCourse.Topic.PARTY_AFFAIRS, "24", 200),
        )
    ]
    everyone = [m for members in people["by_org"].values() for m in members]
    secretaries = {members[0].pk for members in people["by_org"].values()}
    shy_secretary = people["by_org"][tree["branches"][-1].pk][0].pk
    below = {m.pk for m in everyone[5:150:30]}  # a few members below 32 h
    full = [m for m in everyone if m.pk not in below]
    training_records_add(actor=None, course=courses[0], members=everyone)
    training_records_add(actor=None, course=courses[1], members=full)
    training_records_add(actor=None, course=courses[2], members=full)
    training_records_add(
        actor=None,
        course=courses[3],
        members=[m for m in everyone if m.pk in secretaries and m.pk != shy_secretary],
    )


def _contest(tree, people, users, today) -> None:
    """A closed 擂台赛 of the community secretaries, three judges, its 领头雁."""
    held_on = today - timedelta(days=60)
    contest = contest_create(
        actor=None, title=f"{held_on.year}年社区书记擂台赛", held_on=held_on, leaders_count=1
    )
    indicators = []
    for order, (aspect_name, items) in enumerate(
        (
            ("基层治理", (("网格化管理", "0.3"), ("矛盾纠纷化解", "0.2"))),
            ("党建引领", (("组织生活", "0.3"), ("双报到服务", "0.2"))),
        )
    ):
        aspect = contest_aspect_add(actor=None, contest=contest, name=aspect_name, order=order)
        for i, (name, weight) in enumerate(items):
            indicators.append(
                contest_indicator_add(
                    actor=None, aspect=aspect, name=name, weight=Decimal(weight), order=i
                )
            )
    contestants = [
        contestant_add(actor=None, contest=contest, member=people["by_org"][b.pk][0], org=b)
        for b in tree["branches"]
    ]
    judges = [users[name] for name in ("party", "cadre") if name in users]
    for judge in judges:
        contest_judge_add(actor=None, contest=contest, user=judge)
    contest_open(actor=None, contest=contest)
    for j, judge in enumerate(judges):
        for c, contestant in enumerate(contestants):
            values = {
                indicator: Decimal(10 - (c + j + k) % 4) for k, indicator in enumerate(indicators)
            }
            contest_scores_set(actor=judge, contest=contest, contestant=contestant, values=values)
    contest_close(actor=None, contest=contest)
    contest_publish(actor=None, contest=contest)
    winner = leaders_of(contest=contest).first().contestant
    lead_goose_enrol(
        actor=None,
        track=LeadGooseEnrolment.Track.LEAD_GOOSE,
        started_on=today - timedelta(days=30),
        contestant=winner,
        mentor="街道党工委副书记",
        plan="一年内牵头一个党建联盟项目，带教一名后备干部。",
    )
