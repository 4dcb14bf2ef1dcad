"""Demo burden reduction (基层减负): department forms sent to 南滨街道, through reporting's real
intake and flow writes, in every state the street meets:

- turned away on a withdrawn duty (收回事项), the basis quoted to the department;
- repeating an earlier form (full and partial duplicates);
- answered from the data, never seen by a community;
- issued to the communities with the answerable fields prefilled: one waiting for the
  `community` login (江滨社区), one being filled in, one submitted (for `cadre` to accept),
  one accepted, one returned to 江滨社区 with a reason;
- one outside the duty list awaiting its case-by-case filing (备案), and a few under review
  (one with a look-alike field held for a cadre to decide).

The forms are written the way departments write (units in brackets, 其中 lines, qualifiers),
not copied from the catalogue's element names. The department's form arrives as the system
(`actor=None`: the demo has no district integration); the street's steps are taken by `cadre`,
江滨社区's by `community`, the other communities' by the system.

Written once: the step does nothing when the first demo form exists. Needs the accounts and
the registry (communities) before it. The finished forms are dated back over the last months
(their `created_at`, which no write sets) so that the burden dashboard has months to show.
"""

import datetime
import random

from django.utils import timezone

from grids.models import Region
from portal.models import User
from reporting.dashboards.writes import burden_rule_set
from reporting.flow import writes as flow
from reporting.flow.models import ReportAssignment, ReportTask, TaskEvent
from reporting.intake import writes as intake
from reporting.intake.models import ReportTemplate

PREFIX = "NB2026-"

# (key, department, title, period, due days, duty item or None, fields, what happens to it)
# fields: labels; a label starting with "其中：" is a sub-item of the line above it.
# what happens: "arrive" (decided on arrival: rejected / answered / under review), "issue"
# (waiting for the communities), "filling", "submit", "accept", "return".
FORMS = [
    # --- Withdrawn duties: turned away with their basis ------------------------------------
    ("R01", "瑞安市人力资源和社会保障局", "2026年度退休人员生存状况入户核查统计", "annual", 10, "D27",
     ["应核查退休人员数（人）", "已入户核查人数（人）", "核查发现死亡未报人数", "核查人员签字"], "arrive"),
    ("R02", "瑞安市应急管理局", "小微企业安全生产隐患排查整治台账", "monthly", 5, "D28",
     ["检查企业家数（家）", "发现隐患数（处）", "已整改隐患数", "责令停产停业家数"], "arrive"),
    ("R03", "瑞安市市场监督管理局", "辖区餐饮单位食品安全检查情况", "quarterly", 7, "D29",
     ["检查餐饮单位数（家）", "抽检批次", "不合格批次", "立案查处数"], "arrive"),
    ("R04", "瑞安市住房和城乡建设局", "瓶装液化气用户入户安检统计表", "monthly", 5, "D30",
     ["瓶装液化气用户数（户）", "本月入户安检户数", "发现隐患户数", "已整改户数"], "arrive"),
    ("R05", "瑞安市民政局", "居民生存状况证明开具登记表", "monthly", 3, "D26",
     ["本月开具证明份数", "其中：出具给养老金领取人员", "拒绝开具份数"], "arrive"),
    ("R06", "瑞安市卫生健康局（卫生监督所）", "打击非法行医专项排查情况", "quarterly", 5, "D31",
     ["排查场所数（个）", "发现非法行医线索数", "移交卫生监督所数"], "arrive"),
    # --- Answered from the data (every field computed) -------------------------------------
    ("A01", "瑞安市统计局", "街道人口与户数基本情况季报", "quarterly", 7, "D20",
     ["户籍人口（人）", "户籍户数（户）", "常住人口数（人）", "流动人口（人）"], "arrive"),
    ("A02", "中共瑞安市委组织部", "基层党组织和党员数量统计表", "semiannual", 10, "D01",
     ["党员总数（名）", "党组织个数（个）", "在职党员到社区报到人数"], "arrive"),
    ("A03", "瑞安市委政法委", "全科网格力量配备情况季报", "quarterly", 5, "D04",
     ["网格数量（个）", "专职网格员人数", "网格员总人数（含兼职）"], "arrive"),
    ("A04", "瑞安市民政局", "低保特困对象基本情况月报", "monthly", 5, "D08",
     ["低保户数（户）", "低保人数（人）", "特困供养人员数（人）"], "arrive"),
    ("A05", "瑞安市卫生健康局", "家庭医生签约服务进度月报", "monthly", 5, "D15",
     ["家庭医生签约人数（人）", "家庭医生签约率（%）", "其中：60周岁及以上老年人签约人数"], "arrive"),
    # A full duplicate of A04, from the city's bureau: answered from the data again.
    ("A06", "温州市民政局", "困难群众基本情况季度统计", "quarterly", 7, "D08",
     ["最低生活保障户数", "最低生活保障人数", "特困人员（人）"], "arrive"),
    # A partial duplicate of A01.
    ("A07", "瑞安市公安局", "辖区人口信息核对统计", "quarterly", 5, "D17",
     ["户籍人口数量", "户籍户数（户）", "人户分离人口数（人）"], "arrive"),
    # --- Issued to the communities --------------------------------------------------------
    ("I01", "瑞安市民政局", "特殊困难老年人关爱情况月报", "monthly", 7, "D06",
     ["60周岁及以上户籍老年人数（人）", "80周岁以上独居老人数（人）", "特殊困难老年人探访次数",
      "本月开展老年人关爱活动场次", "存在问题及下步工作打算"], "issue"),
    ("I02", "瑞安市妇女联合会", "儿童关爱服务情况统计表", "quarterly", 7, "D23",
     ["困境儿童数（人）", "留守儿童人数", "儿童之家建成数（个）", "开展儿童关爱活动次数"], "filling"),
    ("I03", "瑞安市残疾人联合会", "持证残疾人基础数据月报", "monthly", 5, "D10",
     ["持证残疾人数（人）", "其中：一、二级重度残疾人数", "视力残疾人数（人）",
      "本月新办证人数"], "submit"),
    ("I04", "瑞安市退役军人事务局", "退役军人服务站工作情况季报", "quarterly", 7, "D11",
     ["辖区户籍人口数", "服务站接待来访人次", "走访慰问退役军人户数"], "accept"),
    ("I05", "瑞安市民政局", "老年助餐服务情况月报", "monthly", 5, "D07",
     ["老年助餐服务人次（人次）", "助餐补贴金额（元）", "老年食堂（助餐点）数量（个）",
      "满意度测评情况"], "return"),
    # --- Under review: a look-alike held for a cadre, duplicates, new fields ----------------
    ("U01", "瑞安市卫生健康局", "65岁以上老年人健康管理情况季报", "quarterly", 7, "D15",
     ["65周岁以上老年人数（人）", "已建立健康档案人数", "家庭医生签约人数（人）",
      "本季度健康体检人数"], "arrive"),
    ("U02", "瑞安市老龄工作委员会办公室", "高龄独居老人底数摸排表", "monthly", 5, "D06",
     ["八十周岁以上老人数", "80岁以上独居老人（人）", "空巢老人数（含独居）",
      "本月新增高龄老人数"], "arrive"),
    ("U03", "瑞安市社会组织服务中心", "民生服务转介闭环情况季报", "quarterly", 7, "D14",
     ["本季度服务转介件数", "已办结转介件数", "平均办结时长（天）", "群众满意率"], "arrive"),
    ("U04", "瑞安市就业管理服务中心", "就业困难人员援助情况半年报", "semiannual", 10, "D22",
     ["登记失业人员数", "就业困难人员数（人）", "已帮扶就业人数", "开展招聘活动场次"], "arrive"),
    ("U05", "共青团瑞安市委员会", "青少年关爱服务开展情况", "quarterly", 7, "D23",
     ["留守儿童数（人）", "开展青少年活动场次", "参与志愿者人次"], "arrive"),
    ("U06", "中共瑞安市委组织部", "党员教育培训学时统计", "annual", 15, "D02",
     ["党员教育培训总学时", "三会一课开展次数", "培训学时未达标党员数", "本年度发展党员数"],
     "arrive"),
    # A partial duplicate of I03, from another office of the same federation.
    ("U07", "瑞安市残疾人联合会（康复部）", "残疾人康复服务需求摸底表", "annual", 15, "D10",
     ["持证残疾人总数", "重度（一、二级）残疾人数", "有康复服务需求人数", "已获康复服务人数"],
     "arrive"),
    # --- Outside the duty list: a case-by-case filing first ------------------------------
    ("F01", "瑞安市文明办", "新时代文明实践志愿服务开展情况", "quarterly", 7, None,
     ["志愿服务时长（小时）", "开展志愿服务活动场次", "注册志愿者人数", "典型案例（文字）"],
     "arrive"),
    ("F02", "瑞安市慈善总会", "“慈善一日捐”活动开展情况", "annual", 15, None,
     ["参与捐款人数", "募集善款金额（元）", "备注"], "arrive"),
]  # fmt: skip

# Months back from today each finished form arrived (the dashboard's months).
MONTHS_BACK = {
    "R01": 5, "R02": 4, "R03": 3, "R04": 2, "R05": 1, "R06": 0,
    "A01": 5, "A02": 4, "A03": 3, "A04": 2, "A05": 1, "A06": 1, "A07": 0,
    "I04": 2, "I05": 1,
}  # fmt: skip
RETURN_REASON = "助餐点数量与民政台账不一致，请江滨社区核对后重新报送。"


def _period(today: datetime.date, period: str) -> tuple[datetime.date, datetime.date]:
    """The last ended period of that frequency (the period a department asks about)."""
    first = today.replace(day=1)
    if period == "monthly":
        end = first - datetime.timedelta(days=1)
        return end.replace(day=1), end
    if period in ("quarterly", "adhoc"):
        quarter_start = first.replace(month=3 * ((today.month - 1) // 3) + 1)
        end = quarter_start - datetime.timedelta(days=1)
        return end.replace(month=3 * ((end.month - 1) // 3) + 1, day=1), end
    if period == "semiannual":
        half = first.replace(month=1 if today.month <= 6 else 7)
        end = half - datetime.timedelta(days=1)
        return end.replace(month=1 if end.month <= 6 else 7, day=1), end
    end = datetime.date(today.year - 1, 12, 31)
    return datetime.date(end.year, 1, 1), end


def _answer_for(label: str, rng: random.Random) -> str:
    """What a community would type for an asked field."""
    if any(word in label for word in ("问题", "情况", "案例", "备注", "打算")):
        return rng.choice(["无", "按计划推进，无异常。", "已落实专人负责，下月继续跟进。"])
    if "金额" in label:
        return str(rng.randint(800, 5000))
    return str(rng.randint(0, 30))


def _fill(assignment, *, actor, rng) -> None:
    asked = {
        v.field_id: _answer_for(v.field.label, rng)
        for v in assignment.values.select_related("field")
        if not v.prefilled
    }
    flow.assignment_fill(actor=actor, assignment=assignment, values=asked)


def load(ctx: dict) -> None:
    if ReportTemplate.objects.filter(external_id__startswith=PREFIX).exists():
        return
    rng = random.Random(ctx["seed"])  # reproducible, not secret
    users = ctx.get("users") or {u.username: u for u in User.objects.all()}
    cadre, community_user = users.get("cadre"), users.get("community")
    home = ctx.get("communities", [None])[0] or (
        Region.objects.filter(level=Region.Level.COMMUNITY).order_by("code").first()
    )
    today = timezone.localdate()
    now = timezone.now()
    burden_rule_set(
        actor=None,
        minutes_per_prefilled_field=5,
        minutes_per_answered_form=120,
        minutes_per_rejected_form=60,
    )
    backdate: dict[int, int] = {}
    for key, department, title, period, due_days, duty, labels, fate in FORMS:
        fields, parent = [], None
        for n, label in enumerate(labels, start=1):
            field = {"id": f"{PREFIX}{key}-{n:02d}", "label": label}
            if label.startswith("其中") and parent:
                field["parent"] = parent
            else:
                parent = field["id"]
            fields.append(field)
        template = intake.template_create(
            actor=None,
            external_id=PREFIX + key,
            department=department,
            title=title,
            period=period,
            due_days=due_days,
            duty_item=duty,
            fields=fields,
        )
        start, end = _period(today, period)
        task = flow.task_create(actor=None, template=template, period_start=start, period_end=end)
        if key in MONTHS_BACK:
            backdate[template.pk] = MONTHS_BACK[key]
        if fate == "arrive":
            continue
        task = flow.task_approve(actor=cadre, task=task, note="")
        task = flow.task_issue(actor=cadre, task=task)
        if fate == "issue":
            continue
        assignments = list(
            ReportAssignment.objects.filter(task=task).select_related("community").order_by("pk")
        )
        for assignment in assignments:
            mine = home is not None and assignment.community_id == home.pk
            actor = community_user if mine else None
            if fate == "filling" and not mine:
                continue  # 江滨社区 has started; the others have not
            _fill(assignment, actor=actor, rng=rng)
            if fate != "filling":
                flow.assignment_submit(actor=actor, assignment=assignment)
        if fate in ("accept", "return"):
            for assignment in assignments:
                assignment.refresh_from_db()
                mine = home is not None and assignment.community_id == home.pk
                if fate == "return" and mine:
                    flow.assignment_return(actor=cadre, assignment=assignment, reason=RETURN_REASON)
                else:
                    flow.assignment_accept(actor=cadre, assignment=assignment)
    _date_back(backdate, now)


def _date_back(backdate: dict[int, int], now) -> None:
    """The finished forms arrived over the last months: their form, tasks and the tasks'
    history are dated back by whole months (30 days), keeping their order."""
    for template_pk, months in backdate.items():
        if not months:
            continue
        shift = datetime.timedelta(days=30 * months)
        when = now - shift
        ReportTemplate.objects.filter(pk=template_pk).update(created_at=when)
        tasks = ReportTask.objects.filter(template_id=template_pk)
        tasks.update(created_at=when, updated_at=when)
        for event in TaskEvent.objects.filter(task__template_id=template_pk):
            TaskEvent.objects.filter(pk=event.pk).update(at=event.at - shift)
