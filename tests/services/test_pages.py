"""Referral pages in the browser: the whole loop without the API.

Matrices of the named people for the list, detail, create and transition pages; each
transition through its page moves the state and writes one history row; a stale click shows
who won and writes nothing; partner staff see exactly the fields a partner may see (a snapshot
of the labels) and never the ID number, tags, other referrals or other residents; list pages
use the same number of queries for 1 referral and for 20.
"""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from grids.models import Building, Dwelling, ResidentTag, TagDef, VisitNeed
from grids.writes import visit_record
from portal.models import AuditEvent
from services.models import Referral, ReferralEvent, ServiceItem
from services.referrals import writes
from tests.browser.conftest import browser, phone_page  # noqa: F401 — the phone of tests/browser
from tests.grids.factories import HouseholdFactory, ResidentFactory
from tests.helpers import Call, assert_access_matrix, assert_constant_queries, login, page_call
from tests.services.factories import MealItemFactory, PartnerFactory, ServiceItemFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

Status = Referral.Status


def detail_url(referral):
    return reverse("services:referral-detail", args=[referral.pk])


def act_url(referral, action):
    return reverse("services:referral-act", args=[referral.pk, action])


def create_url(resident):
    return f"{reverse('services:referral-create')}?resident={resident.pk}"


def _html(response) -> str:
    return response.content.decode()


def _actions(html: str) -> set[str]:
    return set(re.findall(r'data-testid="action-([a-z-]+)"', html))


def _rows(html: str) -> int:
    return html.count('data-testid="referral-row"')


@pytest.fixture
def open_need(grid_worker, resident_a):
    visit = visit_record(
        findings="身体尚好，无异常",
        actor=grid_worker,
        resident=resident_a,
        needs=[
            {"category": VisitNeed.Category.CLEANING, "description": "家里需要打扫"},
        ],
    )
    need = visit.needs.get()
    if need.resident_id is None:  # needs of a resident's visit name the resident
        need.resident = resident_a
        need.save(update_fields=["resident"])
    return need


# --- Access matrices ---------------------------------------------------------------------------


def test_referral_pages_matrix(
    request, make_referral, resident_a, resident_b, partner_q, cleaning, open_need
):
    mine = make_referral(Status.ASSIGNED)  # grid A, partner P
    theirs = make_referral(Status.ASSIGNED, resident=resident_b, partner=partner_q)
    submitted = make_referral(Status.SUBMITTED, partner=None)  # grid A, no partner yet
    actions = {
        "list": Call("get", reverse("services:referral-list")),
        "mine": Call("get", detail_url(mine)),
        "theirs": Call("get", detail_url(theirs)),
        "new_form": Call("get", create_url(resident_a)),
        "create": Call("post", create_url(resident_a), {"service_item": cleaning.pk}),
        "refer": Call("get", reverse("services:need-refer", args=[open_need.pk])),
        "accept": Call("post", act_url(mine, "accept")),
        "approve": Call("post", act_url(submitted, "approve")),
    }

    assert_access_matrix(
        request,
        actions,
        """
                           list  mine  theirs  new_form  create  refer  accept  approve
        street_admin       200   200   200     200       302     200    403     302
        street_cadre       200   200   200     200       302     200    403     302
        community_cadre    200   200   404     200       302     200    403     403
        grid_leader        200   200   404     200       302     200    403     403
        grid_worker        200   200   404     200       302     200    403     403
        other_grid_worker  200   404   200     404       404     404    404     404
        partner_staff      200   200   404     403       403     403    302     404
        party_officer      403   404   404     403       403     403    404     404
        outsider           403   404   404     403       403     403    404     404
        anonymous          302   302   302     302       302     302    302     302
        """,
        perform=page_call,
    )


def test_partner_pages_and_catalogue_matrix(request, partner_p, cleaning):
    actions = {
        "partners": Call("get", reverse("services:partner-list")),
        "partner": Call("get", reverse("services:partner-detail", args=[partner_p.pk])),
        "catalogue": Call("get", reverse("services:catalogue")),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           partners  partner  catalogue
        street_admin       200       200      200
        street_cadre       200       200      200
        community_cadre    403       403      200
        grid_leader        403       403      200
        grid_worker        403       403      200
        other_grid_worker  403       403      200
        partner_staff      403       403      200
        party_officer      403       403      403
        outsider           403       403      403
        anonymous          302       302      302
        """,
        perform=page_call,
    )


def test_partner_staff_meet_404_on_other_partners_referrals_and_registry_pages(
    client, partner_staff, make_referral, resident_a, resident_b, partner_q, grid_a, open_need
):
    theirs = make_referral(Status.ASSIGNED, resident=resident_b, partner=partner_q)
    make_referral(Status.ASSIGNED)  # their own referral of resident_a opens no registry page
    login(client, partner_staff)
    assert client.get(detail_url(theirs)).status_code == 404
    assert client.post(act_url(theirs, "accept")).status_code == 404
    for url in [
        reverse("grids:resident-detail", args=[resident_a.pk]),
        reverse("grids:household-detail", args=[resident_a.household_id]),
        reverse("grids:grid-detail", args=[grid_a.pk]),
        reverse("grids:visit-detail", args=[open_need.visit_id]),
        reverse("grids:visit-create") + f"?resident={resident_a.pk}",
        reverse("services:need-refer", args=[open_need.pk]),
    ]:
        assert client.get(url).status_code in (403, 404), url
    # Objects of the registry are 404 (their existence is not revealed)...
    for url in [
        reverse("grids:resident-detail", args=[resident_a.pk]),
        reverse("grids:household-detail", args=[resident_a.household_id]),
        reverse("grids:grid-detail", args=[grid_a.pk]),
        reverse("grids:visit-detail", args=[open_need.visit_id]),
    ]:
        assert client.get(url).status_code == 404, url
    # ...while the registry's lists refuse the role as a whole (403), as tests/grids say.
    assert client.get(reverse("grids:resident-list")).status_code == 403


def test_grid_worker_lists_only_own_grid(client, grid_worker, make_referral, resident_b, partner_q):
    mine = make_referral(Status.SUBMITTED)
    theirs = make_referral(Status.SUBMITTED, resident=resident_b, partner=partner_q)
    login(client, grid_worker)
    html = _html(client.get(reverse("services:referral-list")))
    assert _rows(html) == 1
    assert detail_url(mine) in html
    assert detail_url(theirs) not in html
    assert resident_b.name not in html
    assert client.get(detail_url(theirs)).status_code == 404


# --- Each transition through its page ----------------------------------------------------------

# transition → (state it starts from, who acts, form data, partner on the referral?)
PAGE_STEPS = {
    "submit": (Status.DRAFT, "grid_worker", {}, False),
    "approve": (Status.SUBMITTED, "street_cadre", {"approve-note": "同意"}, False),
    "reject": (Status.SUBMITTED, "street_cadre", {"reject-reason": "重复申请"}, False),
    "assign": (Status.APPROVED, "street_cadre", "partner", False),
    "accept": (Status.ASSIGNED, "partner_staff", {}, True),
    "decline": (
        Status.ASSIGNED,
        "partner_staff",
        {"decline-reason": writes.DeclineReason.CAPACITY, "decline-note": "本月排满"},
        True,
    ),
    "start": (Status.ACCEPTED, "partner_staff", {}, True),
    "complete": (Status.IN_SERVICE, "partner_staff", {"complete-note": "已打扫"}, True),
    "follow-up": (Status.COMPLETED, "grid_worker", {"follow_up-note": "老人满意"}, True),
    "close": (
        Status.FOLLOWED_UP,
        "grid_worker",
        {"close-outcome": "已完成助洁", "close-satisfaction": "5"},
        True,
    ),
    "cancel": (
        Status.APPROVED,
        "grid_worker",
        {"cancel-reason": writes.CancelReason.MOVED_AWAY},
        False,
    ),
}


def test_the_page_offers_every_transition_but_escalate():
    from services.referrals.forms import ACTION_FORMS

    assert set(ACTION_FORMS) == {*writes.TRANSITIONS, "consent", "plan"} - {"escalate"}
    assert {name.replace("-", "_") for name in PAGE_STEPS} == set(writes.TRANSITIONS) - {"escalate"}


@pytest.mark.parametrize("action", list(PAGE_STEPS))
def test_each_transition_through_its_page(
    action, request, client, make_referral, partner_p, street_cadre, grid_worker, partner_staff
):
    state, person, data, with_partner = PAGE_STEPS[action]
    if data == "partner":
        data = {"assign-partner": partner_p.pk}
    referral = make_referral(state, partner=partner_p if with_partner else None)
    login(client, request.getfixturevalue(person))
    assert action in _actions(_html(client.get(detail_url(referral))))

    response = client.post(act_url(referral, action), data)

    assert response.status_code == 302, _html(response)
    referral.refresh_from_db()
    target = writes.TRANSITIONS[action.replace("-", "_")].target
    assert referral.status == target
    events = ReferralEvent.objects.filter(referral=referral)
    assert events.count() == 1
    assert (events.get().from_status, events.get().to_status) == (state, target)


def test_the_whole_loop_through_the_pages(
    client, grid_worker, street_cadre, partner_staff, resident_a, cleaning, partner_p
):
    login(client, grid_worker)
    response = client.post(
        create_url(resident_a), {"service_item": cleaning.pk, "description": "打扫"}
    )
    referral = Referral.objects.get()
    assert response.url == detail_url(referral)
    assert _actions(_html(client.get(response.url))) >= {"consent", "submit"}

    def post(user, action, data=None):
        login(client, user)
        response = client.post(act_url(referral, action), data or {})
        assert response.status_code == 302, (action, _html(response))

    post(grid_worker, "consent", {"consent-consent_by": "resident"})
    post(grid_worker, "submit")
    post(street_cadre, "approve")
    post(street_cadre, "assign", {"assign-partner": partner_p.pk})
    post(partner_staff, "accept")
    post(partner_staff, "start")
    post(partner_staff, "complete")
    post(grid_worker, "follow-up", {"follow_up-note": "满意"})
    post(grid_worker, "close", {"close-outcome": "完成", "close-satisfaction": "4"})
    referral.refresh_from_db()
    assert referral.status == Status.CLOSED
    assert referral.satisfaction == 4
    history = list(referral.events.values_list("to_status", flat=True))
    assert history == [
        "draft", "submitted", "approved", "assigned", "accepted", "in_service", "completed",
        "followed_up", "closed",
    ]  # fmt: skip


def test_a_decline_sends_the_partner_back_to_its_list(client, partner_staff, make_referral):
    referral = make_referral(Status.ASSIGNED)
    login(client, partner_staff)
    response = client.post(
        act_url(referral, "decline"), {"decline-reason": writes.DeclineReason.OUT_OF_AREA}
    )
    # The referral is back with the street and no longer the partner's to see.
    assert response.url == reverse("services:referral-list")
    assert client.get(detail_url(referral)).status_code == 404


# --- Which forms are offered -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "person", "offered"),
    [
        (Status.DRAFT, "grid_worker", {"consent", "submit", "cancel"}),
        (Status.ACCEPTED, "partner_staff", {"start"}),
        (Status.SUBMITTED, "street_cadre", {"consent", "plan", "approve", "reject", "cancel"}),
        (Status.SUBMITTED, "grid_worker", {"consent", "cancel"}),
        (Status.APPROVED, "street_cadre", {"consent", "plan", "assign", "cancel"}),
        (Status.ASSIGNED, "partner_staff", {"accept", "decline"}),
        (Status.ASSIGNED, "street_cadre", {"plan", "cancel"}),
        (Status.IN_SERVICE, "partner_staff", {"complete"}),
        (Status.COMPLETED, "grid_worker", {"follow-up"}),
        (Status.COMPLETED, "partner_staff", set()),
        (Status.CLOSED, "grid_worker", set()),
    ],
)
def test_forms_offered_follow_the_table(state, person, offered, request, client, make_referral):
    before_partner = state in (Status.DRAFT, Status.SUBMITTED, Status.APPROVED)
    referral = make_referral(state, **({"partner": None} if before_partner else {}))
    login(client, request.getfixturevalue(person))
    response = client.get(detail_url(referral))
    assert response.status_code == 200
    assert _actions(_html(response)) == offered


# --- Conflicts and bad input -------------------------------------------------------------------


def test_a_stale_post_shows_who_won_and_writes_nothing(client, partner_staff, make_referral):
    referral = make_referral(Status.ACCEPTED)  # a colleague accepted it a moment ago
    login(client, partner_staff)

    response = client.post(act_url(referral, "accept"), follow=True)

    assert response.redirect_chain == [(detail_url(referral), 302)]
    html = _html(response)
    assert "Someone else already moved this referral: it is now “Accepted by the partner”." in html
    referral.refresh_from_db()
    assert referral.status == Status.ACCEPTED
    assert not ReferralEvent.objects.filter(referral=referral).exists()
    assert not AuditEvent.objects.filter(action="referral.accept").exists()


def test_a_race_lost_inside_the_service_is_a_conflict(partner_staff, make_referral):
    """The page read `assigned`, but the row lock finds it moved: the write's own state check
    answers ReferralConflict (the page shows it as above), and nothing is written."""
    seen = make_referral(Status.ASSIGNED)
    Referral.objects.filter(pk=seen.pk).update(status=Status.ACCEPTED)  # a colleague was quicker

    with pytest.raises(writes.ReferralConflict):
        writes.referral_accept(actor=partner_staff, referral=seen)

    assert not ReferralEvent.objects.filter(referral=seen).exists()


def test_bad_input_shows_the_form_errors_with_400(client, grid_worker, make_referral):
    referral = make_referral(Status.FOLLOWED_UP)
    login(client, grid_worker)

    response = client.post(act_url(referral, "close"), {"close-outcome": "完成"})

    assert response.status_code == 400
    html = _html(response)
    assert 'data-testid="error-satisfaction"' in html
    assert 'data-testid="action-close"' in html
    referral.refresh_from_db()
    assert referral.status == Status.FOLLOWED_UP
    assert not ReferralEvent.objects.filter(referral=referral).exists()


def test_a_service_refusal_shows_on_the_form_with_400(
    client, street_cadre, make_referral, partner_p
):
    referral = make_referral(Status.APPROVED, partner=None, consent=False)
    login(client, street_cadre)

    response = client.post(act_url(referral, "assign"), {"assign-partner": partner_p.pk})

    assert response.status_code == 400
    assert "Record the resident&#x27;s consent before sharing with a partner." in _html(response)
    referral.refresh_from_db()
    assert referral.status == Status.APPROVED


def test_unknown_action_and_get_are_refused(client, grid_worker, make_referral):
    referral = make_referral(Status.DRAFT)
    login(client, grid_worker)
    assert client.post(act_url(referral, "escalate")).status_code == 404
    assert client.post(act_url(referral, "explode")).status_code == 404
    assert client.get(act_url(referral, "submit")).status_code == 405


# --- Consent -----------------------------------------------------------------------------------


def test_consent_through_the_page(client, grid_worker, make_referral):
    referral = make_referral(Status.DRAFT, consent=False)
    login(client, grid_worker)

    response = client.post(
        act_url(referral, "consent"),
        {"consent-consent_by": "guardian", "consent-guardian_name": " 王大明 "},
    )

    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.consent_by, referral.consent_guardian_name) == ("guardian", "王大明")
    assert not ReferralEvent.objects.filter(referral=referral).exists()  # not a transition
    assert AuditEvent.objects.filter(action="referral.consent").count() == 1


def test_a_child_needs_a_guardian_by_name(client, grid_worker, make_referral, grid_a):
    today = timezone.localdate()
    child = ResidentFactory(
        name="小明", birth_date=date(today.year - 8, 1, 1), household=HouseholdFactory(grid=grid_a)
    )
    referral = make_referral(Status.DRAFT, resident=child, consent=False)
    login(client, grid_worker)
    html = _html(client.get(detail_url(referral)))
    assert 'name="consent-consent_by" value="guardian"' in html
    assert 'name="consent-consent_by" value="resident"' not in html

    refused = client.post(act_url(referral, "consent"), {"consent-consent_by": "resident"})
    unnamed = client.post(act_url(referral, "consent"), {"consent-consent_by": "guardian"})

    assert refused.status_code == 400
    assert unnamed.status_code == 400
    assert 'data-testid="error-guardian_name"' in _html(unnamed)
    referral.refresh_from_db()
    assert referral.consent_at is None


# --- Create ------------------------------------------------------------------------------------


def test_create_shows_eligible_services_first(client, grid_worker, resident_a, cleaning, partner_p):
    tag = TagDef.objects.create(code="living_alone", name="独居老人", group=TagDef.Group.ELDERLY)
    ResidentTag.objects.create(resident=resident_a, tag=tag)
    meals = MealItemFactory(name="老年助餐", eligibility_rule="living_alone")
    ServiceItemFactory(
        name="低保资助",
        group=ServiceItem.Group.SPECIAL,
        category=ServiceItem.Category.AID,
        unit=ServiceItem.Unit.YUAN,
        eligibility_rule="dibao",
    )
    login(client, grid_worker)

    html = _html(client.get(create_url(resident_a)))

    eligible = html.index("Services the resident is eligible for")
    other = html.index("Other services")
    assert eligible < html.index("老年助餐") < other
    assert eligible < html.index("助洁服务") < other  # no rule: everyone
    assert other < html.index("低保资助")
    response = client.post(create_url(resident_a), {"service_item": meals.pk})
    referral = Referral.objects.get()
    assert response.url == detail_url(referral)
    assert (referral.service_item, referral.status) == (meals, Status.DRAFT)


def test_create_for_a_resident_out_of_scope_is_404(client, grid_worker, resident_b, cleaning):
    login(client, grid_worker)
    assert client.get(create_url(resident_b)).status_code == 404
    assert client.post(create_url(resident_b), {"service_item": cleaning.pk}).status_code == 404
    assert client.get(reverse("services:referral-create")).status_code == 404
    assert not Referral.objects.exists()


def test_a_visit_need_becomes_a_referral_in_one_step(client, grid_worker, open_need, cleaning):
    login(client, grid_worker)
    visit_page = _html(client.get(reverse("grids:visit-detail", args=[open_need.visit_id])))
    refer = reverse("services:need-refer", args=[open_need.pk])
    assert f'href="{refer}"' in visit_page

    form = _html(client.get(refer))
    assert f'<option value="{cleaning.pk}" selected>' in form  # the need's category, preselected
    response = client.post(refer, {"service_item": cleaning.pk})

    referral = Referral.objects.get()
    assert response.url == detail_url(referral)
    assert referral.need == open_need
    assert referral.description == "家里需要打扫"
    open_need.refresh_from_db()
    assert open_need.status == VisitNeed.Status.REFERRED
    visit_page = _html(client.get(reverse("grids:visit-detail", args=[open_need.visit_id])))
    assert f'href="{refer}"' not in visit_page  # referred: no second referral
    assert client.post(refer, {"service_item": cleaning.pk}).status_code == 400
    assert Referral.objects.count() == 1


def test_the_visit_page_offers_refer_only_for_needs_naming_a_resident(
    client, grid_worker, resident_a, partner_staff
):
    visit = visit_record(
        findings="身体尚好，无异常",
        actor=grid_worker,
        household=resident_a.household,
        needs=[{"category": VisitNeed.Category.REPAIR, "description": "楼道灯坏了"}],
    )
    need = visit.needs.get()
    assert need.resident_id is None
    login(client, grid_worker)
    html = _html(client.get(reverse("grids:visit-detail", args=[visit.pk])))
    assert 'data-testid="refer-need"' not in html
    response = client.get(reverse("services:need-refer", args=[need.pk]))
    assert 'data-testid="not-referable"' in _html(response)


# --- What partner staff see --------------------------------------------------------------------

PARTNER_LABELS = [
    "Resident", "Age", "Sex", "Address", "Contact phone", "Need", "What is needed", "Service",
    "Status", "Deadline of the current stage",
]  # fmt: skip


def test_partner_sees_exactly_the_allowed_fields(
    client, partner_staff, make_referral, resident_a, resident_b, grid_a, partner_q
):
    """Snapshot: a field added to the partner's page must be a decision, made here."""
    building = Building.objects.create(
        community=grid_a.community, grid=grid_a, name="江滨新村3幢", address="江滨路3号"
    )
    dwelling = Dwelling.objects.create(building=building, unit="2", room="301")
    household = resident_a.household
    household.dwelling = dwelling
    household.save(update_fields=["dwelling"])
    relative = ResidentFactory(name="王家栋", household=household)  # another resident, same flat
    tag = TagDef.objects.create(code="dibao", name="低保对象", group=TagDef.Group.SPECIAL)
    ResidentTag.objects.create(resident=resident_a, tag=tag, certificate_number="DB-7788")
    referral = make_referral(Status.ASSIGNED, description="每周打扫两次")
    make_referral(Status.ASSIGNED, partner=partner_q, description="心理疏导另案")  # another org's
    make_referral(Status.ASSIGNED, resident=resident_b)  # another resident, same partner
    login(client, partner_staff)

    response = client.get(detail_url(referral))

    assert response.status_code == 200
    html = _html(response)
    assert re.findall(r'data-testid="field-label">([^<]+)<', html) == PARTNER_LABELS
    # What the partner needs, in the clear:
    assert resident_a.name in html
    assert resident_a.phone in html
    assert "江滨路3号 Unit 2, room 301" in html
    assert "每周打扫两次" in html
    # ...and nothing else about the resident or anyone else:
    for secret in [
        resident_a.id_number,
        resident_a.id_number_masked,
        "低保对象",
        "DB-7788",
        relative.name,
        resident_b.name,
        "心理疏导另案",
        resident_a.household.number,
        grid_a.name,
    ]:
        assert secret not in html, secret
    assert AuditEvent.objects.filter(
        action="referral.partner_view", actor=partner_staff, details={"referrals": [referral.pk]}
    ).exists()


def test_partner_list_puts_awaiting_acceptance_first_and_shows_only_its_own(
    client, partner_staff, make_referral, resident_a, resident_b, grid_a, partner_q
):
    later = timezone.now() + timedelta(days=3)
    sooner = timezone.now() + timedelta(days=1)
    rows = {
        "serving": make_referral(Status.IN_SERVICE, resident=ResidentFactory(name="甲一")),
        "accepted": make_referral(Status.ACCEPTED, resident=ResidentFactory(name="乙二")),
        "assigned_later": make_referral(
            Status.ASSIGNED, resident=ResidentFactory(name="丙三"), stage_deadline=later
        ),
        "assigned_sooner": make_referral(
            Status.ASSIGNED, resident=ResidentFactory(name="丁四"), stage_deadline=sooner
        ),
        "done": make_referral(Status.COMPLETED, resident=ResidentFactory(name="戊五")),
    }
    make_referral(Status.ASSIGNED, resident=resident_b, partner=partner_q)
    login(client, partner_staff)

    html = _html(client.get(reverse("services:referral-list")))

    order = ["assigned_sooner", "assigned_later", "accepted", "serving", "done"]
    positions = [html.index(detail_url(rows[name])) for name in order]
    assert positions == sorted(positions)
    assert _rows(html) == 5
    assert resident_b.name not in html
    assert resident_a.id_number_masked not in html
    assert 'name="partner"' not in html  # no partner filter for partner staff
    shown = AuditEvent.objects.get(action="referral.partner_view", actor=partner_staff)
    assert sorted(shown.details["referrals"]) == sorted(r.pk for r in rows.values())


def test_partner_list_order_comes_from_its_index_not_a_sort(partner_staff, make_referral):
    """The partner's working order is read from `referral_partner_queue`: the same expression
    in the ORDER BY and in the index. Written twice and drifting apart, PostgreSQL would sort
    every referral the partner ever had on every page view, and nothing else would notice."""
    from services.referrals.models import PARTNER_STAGE_ORDER
    from services.referrals.selectors import referral_partner_list
    from tests.helpers import plan_when_only_indexes

    assert set(PARTNER_STAGE_ORDER) <= set(Status.values)
    make_referral(Status.ASSIGNED)
    sql, params = referral_partner_list(actor=partner_staff)[:20].query.sql_with_params()
    plan = plan_when_only_indexes(sql, params)
    assert "referral_partner_queue" in plan, plan
    assert "Sort" not in plan, plan


def test_partner_home_and_nav_show_only_partner_pages(client, partner_staff, make_referral):
    make_referral(Status.ASSIGNED)
    make_referral(Status.ASSIGNED)
    make_referral(Status.IN_SERVICE)
    login(client, partner_staff)

    html = _html(client.get(reverse("home")))

    assert "Awaiting your acceptance" in html
    assert f'href="{reverse("services:referral-list")}?status=assigned"' in html
    assert 'data-testid="nav-partner-referrals"' in html
    for other in ['data-testid="nav-referrals"', ">Registry<", ">Visits due<"]:
        assert other not in html


def test_street_home_and_nav(client, street_cadre, make_referral):
    make_referral(Status.SUBMITTED, partner=None)
    login(client, street_cadre)
    html = _html(client.get(reverse("home")))
    assert "Referrals to review" in html
    assert 'data-testid="nav-referrals"' in html
    assert reverse("services:partner-list") in html


# --- Filters -----------------------------------------------------------------------------------


def test_list_filters(client, street_cadre, make_referral, resident_b, partner_q, grid_b):
    overdue = make_referral(Status.ASSIGNED, stage_deadline=timezone.now() - timedelta(hours=1))
    on_time = make_referral(
        Status.SUBMITTED, partner=None, stage_deadline=timezone.now() + timedelta(days=1)
    )
    other = make_referral(Status.ASSIGNED, resident=resident_b, partner=partner_q)
    login(client, street_cadre)

    def shown(**params):
        html = _html(client.get(reverse("services:referral-list"), params))
        return {r.pk for r in (overdue, on_time, other) if detail_url(r) in html}

    assert shown() == {overdue.pk, on_time.pk, other.pk}
    assert shown(overdue="on") == {overdue.pk}
    assert shown(status="submitted") == {on_time.pk}
    assert shown(partner=partner_q.pk) == {other.pk}
    assert shown(q=resident_b.name[:1]) == {other.pk}
    assert shown(service_item=other.service_item_id) == {overdue.pk, on_time.pk, other.pk}


# --- Partners and the catalogue ----------------------------------------------------------------


def test_partner_detail_for_the_street(
    client, street_cadre, partner_p, partner_staff, cleaning, make_referral
):
    make_referral(Status.ASSIGNED)
    make_referral(Status.CLOSED)
    login(client, street_cadre)
    html = _html(client.get(reverse("services:partner-detail", args=[partner_p.pk])))
    assert partner_p.uscc in html
    assert re.search(r'data-testid="staff-count">1<', html)
    assert re.search(r'data-testid="open-referrals"><a [^>]+>1<', html)
    assert cleaning.name in html


def test_catalogue_lists_items_with_the_providers_in_scope(
    client, grid_worker, partner_staff, cleaning, partner_p, partner_q
):
    login(client, grid_worker)
    html = _html(client.get(reverse("services:catalogue")))
    assert cleaning.name in html
    assert partner_p.name in html and partner_q.name in html
    login(client, partner_staff)
    html = _html(client.get(reverse("services:catalogue")))
    assert partner_p.name in html
    assert partner_q.name not in html  # partner staff see their own organisation only


# --- Query counts ------------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["street_cadre", "partner_staff", "grid_worker"])
def test_list_constant_queries(person, request, client, make_referral, grid_a):
    """The street's list and the partner's list of referrals: the same count for 1 and 20."""
    login(client, request.getfixturevalue(person))
    url = reverse("services:referral-list")

    def add_rows(n):
        for _ in range(n):
            make_referral(
                Status.ASSIGNED, resident=ResidentFactory(household=HouseholdFactory(grid=grid_a))
            )

    # street cadre 6: the user; the count; the bell; the filter's services and
    #   partners; the page (referral, resident, household, grid, service and partner in one
    #   join). The session: from Redis, saved at most once a minute (portal/sessions.py).
    # grid worker 6: the same without the partners' choice, plus the scope's resolution (one
    #   query per request). The menu's permissions: from the role, no query (portal/backends.py).
    # partner staff 7: as the grid worker (the services' choice holds their organisation's
    #   only; the page in one join, read in its index's order: referral_partner_list), plus
    #   the audit row of what they were shown (referral.partner_view).
    expected = {"street_cadre": 6, "grid_worker": 6, "partner_staff": 7}[person]
    assert_constant_queries(add_rows=add_rows, fetch=lambda: client.get(url), expected=expected)


def test_partner_list_and_catalogue_constant_queries(client, street_cadre, cleaning):
    login(client, street_cadre)

    def add_partners(n):
        for _ in range(n):
            cleaning.partners.add(PartnerFactory())

    partners = assert_constant_queries(
        add_rows=add_partners, fetch=lambda: client.get(reverse("services:partner-list"))
    )

    def add_items(n):
        for _ in range(n):
            ServiceItemFactory(
                group=ServiceItem.Group.CHILD,
                category=ServiceItem.Category.HOMEWORK_HELP,
                partners=[PartnerFactory()],
            )

    catalogue = assert_constant_queries(
        add_rows=add_items, fetch=lambda: client.get(reverse("services:catalogue"))
    )
    print(f"partner list: {partners} queries, catalogue: {catalogue} queries")


# --- On a phone --------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_worker_and_partner_on_a_phone(
    live_server, request, grid_a, grid_worker, partner_staff, partner_p, make_referral
):
    """390 px wide: the worker records consent and submits; the partner accepts. No sideways
    scrolling on any of these pages."""
    from tests.browser.conftest import PHONE, screenshot

    page = request.getfixturevalue("phone_page")
    draft = make_referral(
        resident=ResidentFactory(name="赵桂兰", household=HouseholdFactory(grid=grid_a)),
        partner=None,
        consent=False,
    )

    def log_in(user):
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("用户名").fill(user.username)
        page.get_by_label("密码").fill("Portal-Test-2026")
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{live_server.url}/")

    def no_sideways_scroll():
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    log_in(grid_worker)
    page.goto(f"{live_server.url}{detail_url(draft)}")
    page.locator("label[for=id_consent-consent_by_0]").click()  # the resident consents
    no_sideways_scroll()
    page.get_by_test_id("action-consent").locator("button[type=submit]").click()
    page.get_by_test_id("action-submit").locator("button[type=submit]").click()
    page.get_by_test_id("status").wait_for()
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED and draft.consent_by == "resident"

    Referral.objects.filter(pk=draft.pk).update(status=Status.ASSIGNED, partner=partner_p)
    log_in(partner_staff)
    page.goto(f"{live_server.url}{reverse('services:referral-list')}")
    no_sideways_scroll()
    page.get_by_test_id("referral-row").first.click()
    no_sideways_scroll()
    screenshot(page, "partner-referral-phone")
    page.get_by_test_id("action-accept").locator("button[type=submit]").click()
    page.get_by_test_id("action-start").wait_for()
    draft.refresh_from_db()
    assert draft.status == Status.ACCEPTED


def test_a_partner_sees_its_own_part_of_the_history_only(
    client, make_referral, street_admin, partner_staff, other_partner_staff, partner_p, partner_q
):
    """Another partner's decline (and its reason) and the street's review stay hidden."""
    referral = make_referral(Status.APPROVED, partner=None)
    writes.referral_assign(actor=street_admin, referral=referral, partner=partner_q)
    writes.referral_decline(
        actor=other_partner_staff,
        referral=referral,
        reason=writes.DeclineReason.OUT_OF_AREA,
        note="心桥不服务该片区",
    )
    writes.referral_assign(actor=street_admin, referral=referral, partner=partner_p)

    html = _html(login(client, partner_staff).get(detail_url(referral)))

    assert "心桥不服务该片区" not in html
    assert partner_q.name not in html
    assert html.count('data-testid="history-row"') == 1  # its own assignment
