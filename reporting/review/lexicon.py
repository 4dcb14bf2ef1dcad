"""The vocabulary the review reads labels with: concepts, qualifiers, units, time words.

Every pattern is tried on a normalised label (see normalise.py), longest and most specific
first; a match is consumed so that a shorter word inside it is not read twice, and what is left
over at the end (the residue) tells the reader whether the label says something the vocabulary
does not know — in which case the review holds the field back for a person.

A concept names a population or an activity (`lives_alone`, `visit`, `party_member`);
a qualifier narrows one (`female`, `home_visit`, `probationary`) and, when an element does not
carry it, turns a look-alike into a trap.
"""

from __future__ import annotations

import re

# (concept, pattern). Order matters: the first pattern that matches a span consumes it.
CONCEPT_PATTERNS: list[tuple[str, str]] = [
    # figures the portal does not hold (other departments' systems), kept apart first
    ("elderly_allowance", r"高龄(?:老人)?(?:津贴|补贴|补助)|尊老金|长寿(?:津贴|补贴)"),
    ("severe_care_subsidy", r"重度残疾人护理补贴|重残护理补贴|(?:残疾人)?护理补贴"),
    ("disabled_living_subsidy", r"困难残疾人生活补贴|残疾人生活补贴"),
    ("two_subsidies", r"两项补贴"),
    ("medical_insurance", r"(?:基本)?医疗保险|医保"),
    ("pension_insurance", r"(?:基本)?养老保险|养老保"),
    ("unemployed", r"登记失业|失业(?:人员|人数|人口)|失业"),
    ("veteran", r"退役军人|退伍军人|复员军人|退役士兵"),
    ("correction", r"社区矫正|社矫|矫正对象"),
    ("mental_disorder", r"严重精神障碍|精神障碍|精神病"),
    ("followup", r"(?:医生|医务人员|家庭医生|医护)(?:上门)?随访|随访"),
    ("theme_day", r"主题党日"),
    ("three_meetings", r"三会一课"),
    ("meeting_part", r"支部党员大会|党员大会|支部委员会会议?|支委会|党小组会|党课"),
    # children
    ("de_facto_orphan", r"事实无人抚养(?:儿童)?|事实孤儿"),
    ("orphan", r"孤儿"),
    ("child_difficulty", r"困境儿童|困境未成年人"),
    ("left_behind_child", r"留守儿童|留守未成年人|留守少年儿童"),
    ("child", r"未成年人|少年儿童|儿童|青少年|婴幼儿|学龄前儿童|中小学生|学生"),
    # the elderly and their tags
    (
        "spec_old",
        r"纳入探访关爱(?:服务)?(?:范围)?(?:的)?(?=特殊困难)|特殊困难老年人|特殊困难老人|特困老年人?探访|探访关爱(?:服务)?对象|关爱对象",
    ),
    ("fp_special", r"计划生育特殊家庭|计生特殊家庭|计生特殊困难家庭|特殊家庭"),
    ("bereaved", r"失独"),
    ("left_behind_elderly", r"留守老年人|留守老人"),
    ("disabled_elderly", r"失能(?:、|或|和|及|与|/)?(?:半失能(?:、|或|和|及)?)?失智|失能失智"),
    ("partly_disabled", r"半失能|部分失能"),
    ("fully_disabled", r"完全失能|全失能"),
    ("disabled_only", r"失能"),
    ("dementia_only", r"失智|认知障碍|老年痴呆"),
    ("lives_alone", r"独居|独自居住|单独居住"),
    ("empty_nest", r"空巢"),
    ("centenarian", r"百岁老人|百岁"),
    ("old_age_high", r"高龄"),
    ("ageing", r"老龄化(?:率|水平|程度|系数)|人口老龄化"),
    ("elderly", r"老年人口|老年居民|老年人|老人|长者|老龄人口|老年"),
    # social assistance
    ("dibian", r"低保边缘|低边|最低生活保障边缘"),
    ("dibao", r"低保|最低生活保障"),
    ("tekun", r"特困供养|特困人员|特困对象|特困"),
    ("temporary_relief", r"临时救助"),
    # disability
    ("cat_visual", r"视力(?:类)?|视障|盲人|视残"),
    ("cat_hearing", r"听力(?:类)?|听障|聋人|听残"),
    ("cat_speech", r"言语(?:类)?|语言(?=残)|言残"),
    ("cat_physical", r"肢体(?:类)?|肢残"),
    ("cat_intellectual", r"智力(?:类)?|智残"),
    ("cat_mental", r"精神(?:类)?(?=残|$|\()|精残"),
    ("cat_multiple", r"多重(?:类)?"),
    (
        "severe",
        r"重度|重残|(?:2|二)级(?:及)?以上|(?:1|一)级?(?:、|和|及|至|-|到|或)(?:2|二)级|(?:1|一)(?:2|二)级",
    ),
    ("grade_3_4", r"(?:3|三)级?(?:、|和|及|至|-|到|或)(?:4|四)级|(?:3|三)(?:4|四)级"),
    ("grade_other", r"[1-4一二三四]级"),
    ("disabled", r"残疾人口|持证残疾人|残疾人证|残疾人|残疾|残障"),
    # population and households
    ("separated_away", r"户在人不在"),
    ("separated_here", r"人在户不在"),
    ("separated", r"人户分离"),
    ("floating", r"流动人口|外来人口|流动人员|外来人员|暂住人口"),
    ("household", r"家庭户数|家庭户|总户数|户数|住户|家庭数|户(?=$|\()"),
    ("population", r"总人口|人口|居民人数|居民总数|居民|人数(?=$|\()"),
    # grids and staff
    ("micro_grid", r"微网格"),
    ("grid_base", r"基础网格"),
    ("grid_dedicated", r"专属网格"),
    ("grid_instructor", r"网格指导员"),
    ("grid_leader", r"网格长"),
    ("grid_worker", r"网格员|网格工作人员|网格管理员"),
    ("full_time", r"专职"),
    ("part_time", r"兼职"),
    ("grid", r"网格"),
    # visits and services
    ("on_time", r"按期|按时|按要求|及时"),
    ("care_visit", r"探访关爱|关爱探访|探访"),
    ("visit", r"走访|巡访|访视|探视|看望|慰问"),
    ("meal", r"助餐|就餐|用餐|老年餐|送餐|配餐"),
    ("cleaning", r"助洁|保洁|清洁"),
    ("family_doctor", r"家庭医生|家医|签约医生"),
    ("signed", r"签约"),
    ("counselling", r"心理辅导|心理咨询|心理疏导|心理健康服务|心理服务"),
    ("science_class", r"科普课堂|科普讲座|科普课|科普活动"),
    ("referral", r"服务转介|转介"),
    ("volunteer", r"志愿服务|志愿者|志愿"),
    ("subsidy", r"补贴|补助"),
    ("aid", r"包裹式(?:专项)?资助|专项资助|资助包|资助(?=家庭|户|对象|金额|资金)"),
    # Party building
    ("double_report", r"双报到|双报道|到社区报到|进社区报到|报到"),
    ("serving_member", r"在职党员"),
    ("probationary", r"预备党员"),
    ("full_member", r"正式党员"),
    ("floating_member", r"流动党员"),
    ("party_member", r"党员"),
    ("branch", r"党支部|支部"),
    ("general_branch", r"党总支"),
    ("committee", r"党委|党工委"),
    ("party_org", r"基层党组织|党组织"),
    (
        "training",
        r"教育培训|学习培训|培训|参训|学习教育|学时(?=低于|不足|未达|未满)|(?<=人均)学时|(?<=平均)学时",
    ),
    ("below", r"未达标|不达标|未达到|未满足|不足|低于"),
    ("closed", r"办结|结案|闭环"),
    ("resolved", r"化解|调处成功|调解成功|成功调解"),
    ("dispute", r"矛盾纠纷|纠纷|矛盾"),
]

COMPILED_CONCEPTS = [(concept, re.compile(pattern)) for concept, pattern in CONCEPT_PATTERNS]
# One pass: the alternatives in priority order; at each position the first that matches wins.
CONCEPTS_AT_ONCE = re.compile(
    "|".join(f"(?P<c{index}>{pattern})" for index, (_c, pattern) in enumerate(CONCEPT_PATTERNS))
)
CONCEPT_OF_GROUP = {f"c{index}": concept for index, (concept, _p) in enumerate(CONCEPT_PATTERNS)}

# Concepts that the catalogue's elements never carry: seeing one alone means "new", seeing it
# beside an element's concepts makes the label narrower than the element.
QUALIFIER_PATTERNS: list[tuple[str, str]] = [
    ("female", r"女性|妇女|(?<![子儿])女"),
    ("male", r"男性|男"),
    ("centralised", r"集中供养|集中"),
    ("dispersed", r"分散供养|分散"),
    ("home_visit", r"入户|上门"),
    ("phone", r"电话|视频|线上|网络"),
    ("rural", r"农村|农业户口|乡村"),
    ("urban", r"城市|城镇"),
    ("urban_rural", r"城乡"),
    ("key_group", r"重点人群|重点|高风险"),
    ("cancelled", r"取消|撤销|退回"),
    ("employee", r"职工"),
    ("retired", r"离退休|退休"),
    ("minority", r"少数民族"),
    ("ethnic", r"汉族"),
    ("member_kind", r"党员干部|干部"),
]
COMPILED_QUALIFIERS = [(name, re.compile(pattern)) for name, pattern in QUALIFIER_PATTERNS]
QUALIFIERS_AT_ONCE = re.compile(
    "|".join(f"(?P<q{index}>{pattern})" for index, (_q, pattern) in enumerate(QUALIFIER_PATTERNS))
)
QUALIFIER_OF_GROUP = {f"q{index}": name for index, (name, _p) in enumerate(QUALIFIER_PATTERNS)}

# Narrative, evidence and sign-off: always a field for people.
NEW_MARKERS = re.compile(
    r"情况说明|说明|存在(?:的)?问题|问题|困难和?建议|下步|下一步|计划|打算|措施|做法|经验|成效|亮点"
    r"|备注|照片|图片|影像|签字|签名|盖章|公章|印章|附件|佐证|材料|典型案例|案例|意见|建议|总结"
    r"|描述|简介|名称|地址|原因|内容|主要|具体|开展情况|工作情况|落实情况"
)
LIST_MARKERS = re.compile(r"花名单|名单|花名册|明细|清单|台账|信息表|一览表|底册")

HEADER_LABELS = re.compile(
    r"^(?:(?:填报|填表|报送|制表|统计|审核|审批)?(?:单位(?:名称)?|人(?:姓名)?|日期|时间)"
    r"|联系人|联系电话|联系方式|电话|手机|经办人|审核人|负责人|分管领导|单位负责人|统计负责人"
    r"|科室负责人|主要负责人|日期|序号)[::]?(?:\((?!盖章|公章|签)[^)]*\))?[::]?(?:年月日)?$"
)
SUB_ITEM = re.compile(r"^(?:其中|内)[::,,、]?")
# A label that ends in a counting word or a unit asks a figure of its own.
COUNTING_WORD = re.compile(r"(?:数|人|户|次|率|额|时|元|%|量|名单|\([^)]*\))$")

# Words that carry no meaning of their own in a label.
NOISE = re.compile(
    r"本街道|全街道|街道|本辖区|辖区内|辖区|全辖区|本社区|各社区|社区|全域|区域内?|范围内"
    r"|截至|截止|目前|当前|现有|现在|在册|在保|在岗|在库|在档|实际|统计|登记|有效期内|有效"
    r"|总人数|人数|总户数|户数|总数|次数|数量|总量|个数|件数|场次|人次|总计|合计|共计|小计"
    r"|累计(?=人数|户数|次数)|情况|规模|底数|总|共|数|的|名|位|人员|对象|群体|户|人|次|场|个|件"
    r"|本月|本季度|本季|本期|当月|当季|本半年度|本半年|报告期内?|期内|本周期|本次"
    r"|成功|待遇|保障|者|持证|持有|持|类别|队伍|支出|基本|关闭|摸排|调处|举办|开设|各方出资|且|全科|风险|季度|累计"
    r"|按人去重|去重|按分级频次|分级频次|频次|完成|居住登记|独生子女父母|子女均?(?:长期)?在外(?:务工|居住)?"
    r"|持证|总额|额|已|划分|召开|受助|提交|单|关爱|发现|咨询|中|拨付|在内"
    r"|成员|发放|领取|参保|排查|签订|办理|录入|记录|接受|获得|落实|配备|配置|建立|在职|现役|人口|人员"
    r"|[“”‘’\"'《》]"
    r"|目前|全部|所有|各类|各项|享受|纳入|认定|服务|开展|组织|参加|参与|提供|管理|覆盖|涉及"
    r"|及以上|以上|及以下|以下|周岁|岁|年满|已满|满|含|包括|包含|家庭|居民|其中|以及|及|和|与|或|、"
    r"|[()（）:：,，;；.。/%+·\-]|元|万元|小时|学时|课时|时长|金额|经费|资金|率|比例|占比|比重"
)

UNIT_SUFFIXES: list[tuple[str, str]] = [
    # (unit, pattern matched at the label's end or before a closing bracket)
    ("名单", r"名单|花名册|明细|清单|台账|信息表|一览表"),
    ("%", r"率|比例|占比|比重|百分比|%"),
    ("人次", r"人次"),
    ("场", r"场次|场数|课次|期数|场"),
    ("次", r"次数|次|批次|餐次"),
    ("户", r"户数|户|家庭数|家庭|家数"),
    ("人", r"人口数|人数|人口|人员数|人员|对象数|对象|人|名"),
    ("元", r"万元|金额|总额|元|经费|资金"),
    ("小时", r"小时|学时|课时|时长|时数"),
    ("个", r"个数|个|件数|件|起"),
]
COMPILED_UNITS = [(unit, re.compile(f"(?:{pattern})$")) for unit, pattern in UNIT_SUFFIXES]

# Time words. A window or date other than the period's own makes a field derivable; a gross
# flow of a stock is a trap.
WINDOW_WORDS = re.compile(
    r"前[1-4一二三四]个?季度(?:累计)?|前\d+个?月(?:累计)?|年初至(?:本|今)?[月季度年末底]*(?:累计)?|本半年度|本半年|半年度|本年(?:度)?累计|年度累计|全年累计|1-本月累计|1-\d+月(?:累计)?|1至\d+月|1月至本月|年初至今"
    r"|累计至本月|本年以来|今年以来|上年同期|去年同期|同期|分月|各月|逐月|月均|月平均|季均"
    r"|上月|上季度|上半年|下半年|全年|当年|本年度|本年|年度"
)
DATE_WORDS = re.compile(
    r"\d{1,2}月\d{1,2}日|上月末|上月底|上季末|上季度末|上年末|上年底|去年末|去年底|年初(?!至)|期初|上期末"
    r"|本月末|本月底|本季度末|本季末|本年末|本年底|期末|年末|年底|季末|季度末|月末|月底"
)
CHANGE_WORDS = re.compile(
    r"(?:较|比|与)(?:上|去|年初|期初)[年季月度末期初同]*(?:相比)?(?:净增减?|增减|增加|减少|变化|变动)(?:数|量|情况)?|增减(?:变化|数|情况)?|净增(?:减)?|增减量|环比增减"
)
GROWTH_WORDS = re.compile(
    r"同比(?:增长|增减|变化)?(?:率|幅度)?|环比(?:增长|变化)?(?:率|幅度)?|增长率|增幅"
)
GROSS_FLOW_WORDS = re.compile(
    r"批准纳入|享受过|新增|新认定|新纳入|新签约?|新办|新发现|新登记|首次|减少|退出|注销|停保|迁入|迁出|流入|流出"
    r"|历年|历史累计|累计(?:签约|办理|认定|发放|服务)?(?:总)?(?:人数|户数)?\(?含(?:到期|过期|已退出|注销)\)?"
    r"|含到期|含过期|含已退出|曾经|累计(?=.*(?:人数|户数))"
    r"|新(?!居民|生儿|就业|冠|时代)(?=[\u4e00-\u9fff])"
)
RATIO_WORDS = re.compile(r"率|比例|占比|比重|百分比|%|‰")
PER_WORDS = re.compile(r"户均|人均|平均每(?:户|人|名)?|平均")
SUM_WORDS = re.compile(r"总数|合计|之和|总计|共计|总和|总人数|总户数")
JOINERS = re.compile(r"[、和及与+]|以及")
EXCLUSION = re.compile(r"不含|除去?|剔除|扣除|非")
INCLUSION = re.compile(r"\(?(?:含|包括|包含)[^)]*\)?")
