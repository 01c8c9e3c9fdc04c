"""What the demo county says: unit names, people's names, and the templates its information items
are composed from (by ``drafting``). Used only by the demo loader, ``xinbao demo_data``.

Items are combinatorial: a theme of organization work (换届, 党员教育, 住村联心 …) × a unit × one of
the theme's practices, points, results, problems and suggestions, filled into the house style of
组工信息 for each category (动态, 经验做法, 问题建议, 调研报告, 其他). The composing is done in
``drafting``, which draws every choice from the ``random.Random`` its caller passes in, so a
fixed seed gives the same county every time. Apart from the few helpers that build the tables
(``person_name`` and the unit constructors), this module is data.
"""

from __future__ import annotations

from dataclasses import dataclass

# ---------------------------------------------------------------------------------------------
# The org tree
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    short_name: str = ""
    requires_signoff: bool = False
    scope: str = ""  # how the unit's own text names its whole extent: 全镇, 全县教育系统
    party: str = ""  # its party organization, after its name: (城关镇)党委, (县水利局)党组
    front_line: bool = False  # a department that turns out for floods, fires and snow

    @property
    def text_name(self) -> str:
        return self.short_name or self.name

    @property
    def is_township(self) -> bool:
        return self.name.endswith(("镇", "乡"))


CITY = UnitSpec(code="LJ", name="澜江市委组织部", short_name="市委组织部")
COUNTY = UnitSpec(code="LJ-YX", name="云溪县委组织部", short_name="县委组织部")


def _township(number: int, name: str, *, signoff: bool = False) -> UnitSpec:
    kind = name[-1]  # 镇 or 乡
    return UnitSpec(
        code=f"YX-T{number:02d}",
        name=name,
        requires_signoff=signoff,
        scope=f"全{kind}",
        party="党委",
        front_line=True,
    )


def _department(
    number: int,
    name: str,
    short_name: str,
    scope: str,
    *,
    party: str = "党组",
    signoff: bool = False,
    front_line: bool = False,
) -> UnitSpec:
    return UnitSpec(
        code=f"YX-D{number:02d}",
        name=name,
        short_name=short_name,
        requires_signoff=signoff,
        scope=scope,
        party=party,
        front_line=front_line,
    )


# Township 01 submits straight to the county; township 02 needs its leader's 签发 (the demo
# accounts town01 / town02_lead rely on both).
TOWNSHIPS: tuple[UnitSpec, ...] = (
    _township(1, "城关镇"),
    _township(2, "东溪乡", signoff=True),
    _township(3, "石门镇"),
    _township(4, "青山镇"),
    _township(5, "白岩乡", signoff=True),
    _township(6, "桃源镇"),
    _township(7, "龙潭镇"),
    _township(8, "双溪乡"),
    _township(9, "枫林镇", signoff=True),
    _township(10, "黄坑乡"),
    _township(11, "大安镇"),
    _township(12, "新桥镇"),
    _township(13, "竹口镇"),
    _township(14, "岭根乡", signoff=True),
    _township(15, "金坑乡"),
    _township(16, "梅岐乡"),
    _township(17, "高湖镇"),
    _township(18, "柳溪乡"),
    _township(19, "云峰镇", signoff=True),
    _township(20, "上源乡"),
    _township(21, "平岗乡"),
    _township(22, "松坪镇"),
)

DEPARTMENTS: tuple[UnitSpec, ...] = (
    _department(1, "中共云溪县委办公室", "县委办", "县委办机关", party="机关党支部"),
    _department(2, "云溪县人民政府办公室", "县府办", "县府办机关", party="机关党支部"),
    _department(3, "中共云溪县委宣传部", "县委宣传部", "全县宣传系统", party="机关党支部"),
    _department(4, "中共云溪县委统战部", "县委统战部", "全县统战系统", party="机关党支部"),
    _department(5, "中共云溪县委政法委员会", "县委政法委", "全县政法系统", party="机关党支部"),
    _department(6, "中共云溪县委党校", "县委党校", "县委党校", party="党委"),
    _department(7, "中共云溪县直属机关工作委员会", "县直机关工委", "县直机关", party="机关党支部"),
    _department(8, "云溪县教育局", "县教育局", "全县教育系统", party="党委", signoff=True),
    _department(9, "云溪县财政局", "县财政局", "全县财政系统"),
    _department(10, "云溪县人力资源和社会保障局", "县人力社保局", "全县人社系统"),
    _department(11, "云溪县农业农村局", "县农业农村局", "全县农业农村系统", front_line=True),
    _department(
        12, "云溪县卫生健康局", "县卫生健康局", "全县卫生健康系统", party="党委", signoff=True
    ),
    _department(13, "云溪县自然资源和规划局", "县自然资源和规划局", "全县自然资源系统"),
    _department(14, "云溪县交通运输局", "县交通运输局", "全县交通运输系统", front_line=True),
    _department(15, "云溪县市场监督管理局", "县市场监管局", "全县市场监管系统"),
    _department(16, "云溪县民政局", "县民政局", "全县民政系统", front_line=True),
    _department(17, "云溪县水利局", "县水利局", "全县水利系统", front_line=True),
    _department(18, "云溪县文化和广电旅游体育局", "县文广旅体局", "全县文广旅体系统"),
)

# The county departments' assessment classes (考核类别): A for the offices and departments with
# the heaviest information duty, C for the lightest, B for the rest (numbers as above).
DEPARTMENT_CLASSES = {
    **dict.fromkeys((1, 2, 3, 5, 8, 11), "dept_a"),
    **dict.fromkeys((4, 6, 9, 10, 12, 14, 15, 16), "dept_b"),
    **dict.fromkeys((7, 13, 17, 18), "dept_c"),
}

# Units that also keep a backup officer (后备信息员), by township / department number.
BACKUP_TOWNSHIPS = (1, 3, 7, 12)
BACKUP_DEPARTMENTS = (8,)


def _listed(names: str) -> tuple[str, ...]:
    """Names written in one line, separated by 、."""
    return tuple(names.split("、"))


VILLAGES = _listed(
    "岭头村、下庄村、石坑村、岩下村、溪口村、新屋村、上垟村、塘坑村、大坪村、黄泥岭村、后山村、前洋村、枫树湾村、龙门村、杨梅岙村、桥头村、坑口村、梅子垄村、里庄村、外坪村"
)

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙朱胡郭何林叶潘蒋金吕郑邱夏程蓝雷钟汪应"
_GIVEN_NAMES = _listed(
    "建国、晓燕、海峰、丽娟、志强、雅琴、伟、敏、国华、秀英、俊杰、慧、立新、春梅、文斌、晨、永康、玉兰、宏伟、佳怡、振华、静、明辉、海燕、子豪、雪芳、德胜、琳、鹏飞、红霞、建平、思远、丹、卫东、美玲、浩然、小芳、泽民、欣怡、光明、婷、少华、瑞"
)


def person_name(index: int) -> str:
    """A plausible full name, distinct for every ``index`` below 31 × 43 (the list lengths are
    coprime, and 7 and 11 are invertible modulo them)."""
    surname = _SURNAMES[(index * 7) % len(_SURNAMES)]
    given = _GIVEN_NAMES[(index * 11) % len(_GIVEN_NAMES)]
    return surname + given


# ---------------------------------------------------------------------------------------------
# Themes of organization work
# ---------------------------------------------------------------------------------------------

TOWNSHIP = "township"
DEPARTMENT = "department"
BOTH = "both"


@dataclass(frozen=True)
class Practice:
    name: str  # quoted in titles: “三课合一”
    gist: str  # what it is, one clause


@dataclass(frozen=True)
class Theme:
    key: str
    name: str  # in titles: 党员教育
    keyword: str
    focus: str  # the work itself: 党员教育管理
    goal: str  # 把……作为……
    puzzle: str  # the hard problem it solves: 党员参学
    where: str  # TOWNSHIP, DEPARTMENT or BOTH
    practices: tuple[Practice, ...]
    points: tuple[str, ...]  # "heading。detail", rendered as 一是heading。detail。
    results: tuple[str, ...]
    problems: tuple[str, ...]
    suggestions: tuple[str, ...]
    events: tuple[str, ...]  # what a 动态 reports: 召开……会
    outlook: str  # 下一步，<unit>将……


THEMES: tuple[Theme, ...] = (
    Theme(
        key="election",
        name="村级组织换届",
        keyword="换届",
        focus="村级组织换届工作",
        goal="把村级组织换届作为夯实基层基础的重大政治任务",
        puzzle="换届选人",
        where=TOWNSHIP,
        practices=(
            Practice("五个提前", "即提前摸清村情、提前研判风险、提前谋划人选、提前培训骨干"),
            Practice("三审四联", "对拟推荐人选实行乡镇审核、部门联审、县级复审"),
            Practice("一村一策", "针对每个村的实际情况逐村制定换届工作方案"),
            Practice("阳光换届", "把换届各环节的程序、政策和结果全部向党员群众公开"),
            Practice("纪律十严禁", "把换届纪律逐条送到党员群众手中"),
        ),
        points=(
            "严把人选资格关。会同纪检、公安、信访等部门对拟推荐人选逐一联审，确保人选政治过硬、群众公认",
            "严明换届纪律。组织党员群众逐户签订遵守换届纪律承诺书，公布举报电话，对拉票贿选行为发现一起查处一起",
            "加强业务培训。分片举办换届业务培训班，对选举工作人员开展全员培训，做到程序熟悉、操作规范",
            "做好矛盾化解。对情况复杂村实行领导包村、干部驻村，提前排查化解矛盾纠纷，确保换届平稳有序",
            "注重结构优化。注重从致富能手、返乡创业人员、退役军人中选拔村干部，着力优化班子年龄和文化结构",
            "抓好届后培训。对新当选的村干部开展履职培训，帮助其尽快进入角色、明确任务",
        ),
        results=(
            "截至目前，{scope}{a}个村已全部完成村党组织换届，新一届班子平均年龄{age}岁，大专以上学历占{pct3}%。",
            "换届期间，{scope}共排查化解矛盾纠纷{a2}起，未发生一起因换届引发的群体性事件和越级上访。",
        ),
        problems=(
            "部分村后备力量不足，符合条件的年轻人大多外出务工，选人空间有限",
            "个别村宗族、派性因素仍有影响，少数人借换届之机拉票串联",
            "少数新任村干部对政策法规不熟悉，履职能力有待提升",
            "换届工作人员业务水平参差不齐，个别环节程序不够规范",
        ),
        suggestions=(
            "建立村级后备干部人才库，实行动态管理、提前培养",
            "完善换届风气监督机制，畅通举报渠道，形成有力震慑",
            "加大新任村干部培训力度，推行“老带新”结对帮带",
        ),
        events=(
            "召开{year}年村级组织换届工作部署会",
            "举办村级组织换届业务培训班",
            "开展换届风气专项督查",
        ),
        outlook="巩固换届成果，加强对新一届村级班子的跟踪管理",
    ),
    Theme(
        key="education",
        name="党员教育",
        keyword="党员教育",
        focus="党员教育管理工作",
        goal="把党员教育管理作为加强党员队伍建设的基础性工程",
        puzzle="党员参学",
        where=BOTH,
        practices=(
            Practice("三课合一", "把党课、政策课、技能课合为一堂课，让党员一次学习、多重收获"),
            Practice("党员积分制", "对党员参加学习、履行义务、服务群众等情况实行量化积分管理"),
            Practice("流动党课", "组织党员讲师深入一线送学上门"),
            Practice("主题党日+", "在主题党日中融入志愿服务、政策宣讲等内容"),
            Practice("支部书记讲党课", "由支部书记结合本支部实际轮流讲党课"),
        ),
        points=(
            "突出分类施教。针对在职党员、离退休党员、流动党员的不同特点，分类制定学习计划，做到因人施教",
            "丰富教育载体。依托党员活动阵地和“学习强国”等线上平台，开展线上线下相结合的学习活动",
            "创新学习方式。推行“菜单式”选学，由党员根据需要点单、支部组织配送，提高学习的针对性",
            "强化日常管理。建立党员学习档案，每季度通报学习情况，对学习不积极的党员由支部书记谈心谈话",
            "注重学用结合。组织党员围绕中心工作认领服务岗位，把学习成效体现在为群众办实事上",
            "用好身边典型。挖掘身边优秀党员的先进事迹，组织典型巡回宣讲，以身边事教育身边人",
        ),
        results=(
            "{scope}{b}名党员参加集中轮训，参训率达{pct}%，开展各类主题党日活动{a}场次。",
            "今年以来，{scope}累计举办各类学习班{a}期，党员参学{b2}人次，党员群众满意率达{pct}%。",
        ),
        problems=(
            "部分年老体弱和流动党员参学困难，集中学习到课率不高",
            "个别支部学习形式单一，照本宣科多、互动交流少，党员参学积极性不高",
            "学习成效考核缺乏量化标准，存在重形式、轻效果的现象",
            "教育内容与党员实际需求结合不够紧密，实用技能培训偏少",
        ),
        suggestions=(
            "推行分类分层教育，对流动党员和年老体弱党员实行送学上门和线上学习",
            "建立党员学习积分管理制度，把学习情况与评先评优挂钩",
            "加强党员讲师队伍建设，提高授课的吸引力和感染力",
        ),
        events=(
            "举办{year}年度党员冬春训动员会",
            "开展“七一”主题党日活动",
            "举办党员教育专题培训班",
        ),
        outlook="进一步完善党员教育长效机制，推动党员教育常态化、制度化",
    ),
    Theme(
        key="grassroots",
        name="基层组织建设",
        keyword="基层组织建设",
        focus="基层党组织建设",
        goal="把加强基层党组织建设作为固本强基的重要抓手",
        puzzle="支部作用发挥",
        where=BOTH,
        practices=(
            Practice("党建联盟", "以产业链、区域片为纽带组建党建联盟，实现资源共享、优势互补"),
            Practice("支部星级评定", "对基层党支部实行星级评定、动态管理"),
            Practice("书记项目", "由每名党组织书记每年领办一个党建项目，年底晒单评议"),
            Practice("标准化支部创建", "对照组织设置、班子建设、活动开展等标准推进支部规范化建设"),
            Practice("红色网格", "把党小组建在网格上，党员联系到户"),
        ),
        points=(
            "健全组织体系。按照“应建尽建”原则，在专业合作社、产业基地等新兴领域新建党组织，扩大党的组织覆盖",
            "规范组织生活。严格落实“三会一课”、组织生活会和民主评议党员制度，推行组织生活纪实管理",
            "强化书记队伍。实施党组织书记“领头雁”培育工程，开展书记擂台比武，提升抓党建促发展的能力",
            "推进阵地建设。整合党员活动室、文化礼堂等阵地资源，打造一批功能完备的党群服务中心",
            "落实责任考核。建立党建工作责任清单，实行季度督查、年终述职评议，压紧压实抓党建责任",
            "推动融合发展。以党建引领中心工作，把支部建在项目上、党员聚在一线，以党建成效检验发展成效",
        ),
        results=(
            "目前，{scope}已创建五星级党支部{a}个，四星级以上支部占比达{pct}%，新建党组织{c}个。",
            "通过一系列举措，{scope}{a}个党组织的凝聚力、战斗力明显增强，群众满意率达{pct}%。",
        ),
        problems=(
            "少数党组织书记年龄偏大、思路不宽，带领群众发展的能力不强",
            "部分新兴领域党组织覆盖不够，党的工作开展不经常",
            "个别支部组织生活不够严肃规范，存在以会代学、记录补写现象",
            "部分基层党组织活动经费和阵地保障不足，开展活动有困难",
        ),
        suggestions=(
            "加大优秀年轻人才选拔力度，优化党组织书记队伍结构",
            "建立健全支部分类管理和动态晋级机制",
            "整合各类资源，加强基层党组织经费和阵地保障",
        ),
        events=(
            "召开基层党建工作推进会",
            "开展基层党建工作季度交叉检查",
            "举行党组织书记抓党建擂台比武",
        ),
        outlook="持续深化支部标准化建设，推动基层党组织全面进步、全面过硬",
    ),
    Theme(
        key="training",
        name="干部教育培训",
        keyword="干部培训",
        focus="干部教育培训工作",
        goal="把干部教育培训作为提升干部队伍素质的先导性工程",
        puzzle="工学矛盾",
        where=BOTH,
        practices=(
            Practice("导师帮带", "为年轻干部配备业务导师，实行一对一帮带"),
            Practice("周学夜校", "每周利用一个晚上集中学习政策理论和业务知识"),
            Practice("岗位练兵", "围绕重点工作开展业务比武和岗位练兵"),
            Practice("干部讲坛", "由中层以上干部轮流登台授课，分享工作经验"),
            Practice("实践课堂", "把培训课堂设在项目一线和信访接待室，在实践中锤炼干部"),
        ),
        points=(
            "突出理论武装。把学习贯彻党的创新理论作为培训首课、主课，组织干部原原本本学、联系实际学",
            "强化能力培训。围绕乡村振兴、基层治理、招商引资等重点工作开设专题培训班，提高干部专业化能力",
            "注重实践锻炼。选派年轻干部到征地拆迁、信访维稳等急难险重岗位锻炼，在实战中增长才干",
            "创新培训方式。采取案例教学、现场教学、情景模拟等方式，增强培训的针对性和实效性",
            "严格培训管理。建立干部学习档案，实行学分制管理，培训情况作为年度考核的重要依据",
        ),
        results=(
            "今年以来，{scope}共举办各类培训班{a}期，培训干部{b}人次，干部参训率达{pct}%。",
            "{scope}已选派{a}名年轻干部到一线岗位锻炼，{c}名干部在岗位练兵中被评为业务能手。",
        ),
        problems=(
            "部分干部“工学矛盾”突出，参加培训的时间难以保证",
            "培训内容针对性不强，“一锅煮”现象仍然存在",
            "培训效果评估机制不健全，学用脱节问题较为突出",
        ),
        suggestions=(
            "推行“菜单式”选学和网络培训，缓解工学矛盾",
            "建立培训需求调研制度，按岗位分类设置培训内容",
            "完善培训质量评估体系，把培训成效与干部使用挂钩",
        ),
        events=(
            "举办年轻干部能力提升培训班",
            "举办{year}年度干部业务知识轮训",
            "组织干部赴先进地区考察学习",
        ),
        outlook="进一步完善干部教育培训体系，着力建设一支高素质专业化干部队伍",
    ),
    Theme(
        key="zhucun",
        name="“住村联心”",
        keyword="住村联心",
        focus="乡镇干部“住村联心”工作",
        goal="把乡镇干部“住村联心”作为密切党群干群关系的重要载体",
        puzzle="联系群众“最后一公里”",
        where=TOWNSHIP,
        practices=(
            Practice("民情日记", "要求住村干部每天记录走访情况和群众诉求"),
            Practice("一线工作法", "把办公桌搬到村里，把问题解决在一线"),
            Practice("三联三访", "实行干部联村、联户、联项目，定期走访困难户、信访户、党员户"),
            Practice("民情夜谈", "利用晚上时间与群众围坐夜谈，听取意见建议"),
            Practice("群众点单、干部办单", "由群众提出需求清单，住村干部领办销号"),
        ),
        points=(
            "明确住村要求。规定住村干部每月住村时间不少于{days}天，做到吃住在村、工作在村",
            "深入走访农户。住村干部逐户走访，建立民情档案，做到村情民意“一口清”",
            "帮办民生实事。围绕群众急难愁盼问题，帮助协调解决道路硬化、饮水安全等民生实事",
            "化解矛盾纠纷。把矛盾纠纷排查化解作为住村干部的重要职责，做到小事不出村、大事不出镇",
            "严格考核管理。实行住村情况周报告、月通报，由群众对住村干部进行满意度测评",
            "帮助发展产业。帮助村里理清发展思路，引进致富项目，推动特色产业发展",
        ),
        results=(
            "今年以来，{scope}住村干部累计走访农户{b2}户次，收集意见建议{a}条，帮助解决实际问题{a2}个。",
            "{scope}{a}名住村干部共帮助协调资金{money}万元，化解矛盾纠纷{a2}起，群众满意率达{pct}%。",
        ),
        problems=(
            "个别住村干部存在“走读”现象，住村时间难以保证",
            "部分住村干部对村情掌握不够，帮助解决问题的能力不足",
            "住村干部工作任务重，存在“两头跑、两头忙”的情况",
        ),
        suggestions=(
            "完善住村考勤和群众评议制度，防止“挂名住村”",
            "加强住村干部培训，提高做群众工作的本领",
            "合理安排住村干部工作任务，落实必要的工作和生活保障",
        ),
        events=(
            "召开“住村联心”工作推进会",
            "开展“住村联心”工作专项督查",
            "组织住村干部开展“民情大走访”活动",
        ),
        outlook="进一步健全“住村联心”长效机制，推动干部作风持续转变",
    ),
    Theme(
        key="distance",
        name="远程教育",
        keyword="远程教育",
        focus="党员干部现代远程教育工作",
        goal="把党员干部现代远程教育作为提高党员素质、助推群众增收的重要平台",
        puzzle="站点“建用脱节”",
        where=TOWNSHIP,
        practices=(
            Practice("点播到村", "由村级站点根据农时季节点播实用技术课件"),
            Practice("远教+产业", "把远程教育与特色产业发展结合，组织种养大户集中收看"),
            Practice("站点管理员积分制", "对站点管理员实行积分考核"),
            Practice("定期收看日", "每月固定两天为党员集中收看日"),
            Practice("流动播放", "对偏远自然村实行流动播放"),
        ),
        points=(
            "完善站点建设。对老化终端设备进行更新维护，实现远程教育站点行政村全覆盖",
            "规范收看管理。建立收看登记、学用反馈等制度，每月组织党员群众集中学习不少于{times}次",
            "突出实用技术。结合农时季节，重点播放种养殖技术、电子商务等实用课件，做到群众需要什么就播什么",
            "加强队伍建设。选配年纪轻、懂技术的站点管理员，定期开展业务培训，提高操作维护水平",
            "注重学用转化。组织收看后开展交流讨论，推动学习成果转化为致富本领",
        ),
        results=(
            "今年以来，{scope}{a}个远程教育站点累计组织收看{b}场次，受教育党员群众{b2}人次。",
            "{scope}通过远程教育掌握实用技术的党员达{b}人，带动{a2}户农户增收。",
        ),
        problems=(
            "部分站点设备老化，维护经费不足，正常运转受到影响",
            "站点管理员多为兼职，流动性大，操作水平不高",
            "课件内容与当地产业结合不够紧密，群众收看积极性不高",
        ),
        suggestions=(
            "加大对站点设备更新维护的投入",
            "稳定站点管理员队伍，落实必要的工作补贴",
            "结合本地特色产业制作本土课件",
        ),
        events=(
            "开展远程教育站点运行情况专项检查",
            "举办远程教育站点管理员培训班",
        ),
        outlook="进一步发挥远程教育在党员教育和群众增收中的作用",
    ),
    Theme(
        key="venue",
        name="村级办公场所建设",
        keyword="村级办公场所",
        focus="村级组织办公场所建设",
        goal="把村级组织办公场所建设作为加强基层阵地建设的基础工程",
        puzzle="村级阵地",
        where=TOWNSHIP,
        practices=(
            Practice("一室多用", "把村级办公场所建成集办公、议事、培训、服务于一体的综合阵地"),
            Practice("以奖代补", "对按期完成建设的村实行以奖代补"),
            Practice("四个统一", "即统一标识、统一制度、统一布局、统一功能"),
            Practice("盘活闲置资产", "利用闲置校舍、旧厂房改造村级办公场所"),
        ),
        points=(
            "科学规划布局。对各村办公场所现状全面摸底，按照“一村一方案”确定新建、改建、扩建任务",
            "多方筹措资金。采取上级补助、乡镇配套、村级自筹、社会捐助等办法，落实建设资金{money}万元",
            "严格工程管理。实行工程项目公开招投标，由党员群众代表全程参与监督，确保工程质量",
            "完善服务功能。在村级办公场所设置便民服务窗口，推行村干部坐班值班制度，为群众提供“一站式”服务",
            "注重规范使用。建立管理使用制度，防止村级办公场所闲置或挪作他用",
        ),
        results=(
            "目前，{scope}已完成{a}个村级办公场所新建改建任务，{pct}%以上的村实现了有场所议事、有阵地活动。",
            "新建成的村级办公场所平均面积达{area}平方米，全部具备便民服务功能。",
        ),
        problems=(
            "部分村级办公场所建设资金缺口较大，个别村存在举债建设现象",
            "个别已建成场所使用率不高，存在“重建轻管”问题",
            "少数偏远村选址难、用地审批难",
        ),
        suggestions=(
            "加大财政奖补力度，严禁村级举债建设",
            "建立场所使用管理制度和定期检查机制",
            "对村级办公场所用地审批开辟绿色通道",
        ),
        events=(
            "召开村级办公场所建设现场推进会",
            "开展村级办公场所建设情况督查",
        ),
        outlook="加快推进剩余村的建设进度，确保年底前全面完成建设任务",
    ),
    Theme(
        key="openness",
        name="村务公开",
        keyword="村务公开 四权",
        focus="村务公开和民主管理工作",
        goal="把村务公开作为保障群众知情权、参与权、决策权、监督权的重要举措",
        puzzle="村务公开不规范",
        where=TOWNSHIP,
        practices=(
            Practice(
                "四议两公开",
                "对村级重大事项实行党组织提议、两委商议、党员大会审议、村民代表会议决议",
            ),
            Practice("阳光村务", "通过公开栏、微信群、村务监督委员会多渠道公开村务"),
            Practice("村账镇代理", "村级财务由乡镇统一代理记账"),
            Practice("民主恳谈", "就涉及群众切身利益的事项召开民主恳谈会"),
        ),
        points=(
            "规范公开内容。把村级财务收支、土地征用、低保评定、工程项目等群众关心的事项全部纳入公开范围",
            "拓宽公开渠道。在设置村务公开栏的基础上，通过村务微信群等方式公开，让外出群众也能随时查看",
            "严格公开程序。村务公开内容须经村务监督委员会审核后公开，并按时更新，接受群众监督",
            "落实民主决策。凡涉及村级重大事项，一律按照“四议两公开”程序决策，保障群众的决策权",
            "强化监督检查。每季度组织一次村务公开专项检查，对公开不及时、不规范的村限期整改",
        ),
        results=(
            "{scope}{a}个村全部实现村务按时公开，今年以来通过民主程序决策村级重大事项{b}件。",
            "目前，{scope}村务公开规范化达标率达{pct}%，群众来信来访同比下降{pct2}%。",
        ),
        problems=(
            "个别村公开内容避重就轻，对群众关心的热点问题公开不够",
            "部分村公开时间不固定，存在“选择性公开”现象",
            "村务监督委员会作用发挥不够充分，监督流于形式",
        ),
        suggestions=(
            "制定村务公开目录，明确必须公开的事项和时限",
            "加强对村务监督委员会成员的培训，提高监督能力",
            "把村务公开情况纳入村干部考核内容",
        ),
        events=(
            "开展村务公开专项检查",
            "召开村务监督委员会工作培训会",
        ),
        outlook="进一步完善村务公开和民主管理制度，切实保障群众“四权”",
    ),
    Theme(
        key="recruitment",
        name="发展党员",
        keyword="发展党员",
        focus="发展党员工作",
        goal="把发展党员作为加强党员队伍建设的源头工程",
        puzzle="发展党员断档",
        where=BOTH,
        practices=(
            Practice("三票推荐", "对入党积极分子实行党员推荐、群众推荐、支委会表决“三票”推荐"),
            Practice("全程纪实", "对发展党员各环节实行全程纪实管理"),
            Practice("预审制", "发展对象经上级党组织预审后方可确定"),
            Practice("双向公示", "在确定发展对象和接收预备党员前分别进行公示"),
        ),
        points=(
            "严格发展程序。严格按照“十六字”总要求和发展党员工作细则，规范每一个环节，做到程序不少、步骤不乱",
            "优化队伍结构。注重在青年骨干、致富能手和一线业务骨干中发展党员，着力解决发展党员断档问题",
            "加强教育培养。为每名入党积极分子确定两名培养联系人，定期谈心谈话，开展集中培训",
            "推行全程纪实。建立发展党员工作纪实档案，对各环节的材料实行统一规范管理",
            "强化监督检查。对发展党员工作开展专项检查，对违反程序的一律不予审批并严肃追责",
        ),
        results=(
            "今年以来，{scope}共发展党员{a}名，其中35岁以下的占{pct3}%，大专以上学历的占{pct4}%。",
            "{scope}{c}个支部“三年以上未发展党员”问题得到解决，党员队伍结构进一步优化。",
        ),
        problems=(
            "部分支部青壮年大多外出，发展对象难选、难培养",
            "个别支部对入党积极分子培养考察不够经常，流于形式",
            "发展党员材料不够规范，个别环节存在补写、代签现象",
        ),
        suggestions=(
            "拓宽发展对象来源，注重从返乡青年和业务骨干中培养",
            "落实培养联系人责任，健全培养考察记录",
            "加强对发展党员工作的预审和抽查",
        ),
        events=(
            "举办入党积极分子培训班",
            "开展发展党员工作专项检查",
        ),
        outlook="继续严把党员“入口关”，不断提高发展党员质量",
    ),
    Theme(
        key="rectification",
        name="软弱涣散党组织整顿",
        keyword="软弱涣散 整顿",
        focus="软弱涣散村党组织整顿工作",
        goal="把整顿软弱涣散村党组织作为夯实基层基础的重要任务",
        puzzle="后进村转化",
        where=TOWNSHIP,
        practices=(
            Practice(
                "四个一",
                "即每个整顿村由一名县级领导联系、一名班子成员包村、一名第一书记驻村、一个部门结对",
            ),
            Practice("销号管理", "对整顿村实行问题清单、整改清单、销号清单管理"),
            Practice("第一书记驻村", "选派机关优秀干部到整顿村担任第一书记"),
        ),
        points=(
            "精准排查。采取群众评议、部门联审、实地走访等方式逐村“体检”，精准确定整顿对象{c}个",
            "分类施策。针对班子不团结、书记能力弱、集体经济薄弱等不同问题，一村一策制定整顿方案",
            "强化帮扶。落实领导联系、班子成员包村、部门结对帮扶责任，帮助理清发展思路",
            "选强带头人。对不胜任、不称职的村党组织书记及时调整，从退役军人、致富能手中选优配强",
            "严格验收。整顿完成后实行自查、复查和群众满意度测评，达不到要求的不予销号",
        ),
        results=(
            "目前，{scope}{c}个软弱涣散村党组织已全部完成整顿转化，调整村党组织书记{c2}名，帮助解决实际问题{a}个。",
            "经过整顿，{scope}{c}个后进村班子战斗力明显增强，村集体经济收入平均增长{pct2}%。",
        ),
        problems=(
            "个别整顿村班子矛盾根深蒂固，短期内难以彻底转化",
            "部分村整顿后缺乏长效机制，存在反弹风险",
            "第一书记与村两委配合不够默契，帮扶措施落地较慢",
        ),
        suggestions=(
            "建立整顿村“回头看”机制，巩固整顿成果",
            "加强第一书记与村两委的沟通协作",
            "把整顿成效纳入乡镇党委书记抓党建述职评议",
        ),
        events=(
            "召开软弱涣散村党组织整顿工作推进会",
            "开展软弱涣散村党组织整顿“回头看”",
        ),
        outlook="做好整顿村“回头看”，防止问题反弹",
    ),
    Theme(
        key="talent",
        name="人才",
        keyword="人才工作",
        focus="人才工作",
        goal="把人才工作作为推动高质量发展的重要支撑",
        puzzle="人才“引育留”",
        where=BOTH,
        practices=(
            Practice("乡贤回归", "通过乡贤联谊会吸引在外能人回乡创业"),
            Practice("人才驿站", "设立人才驿站，为各类人才提供政策咨询、创业指导等服务"),
            Practice("实用人才积分制", "对农村实用人才实行积分评定"),
            Practice("一人一策", "对引进的高层次人才实行一人一策服务"),
        ),
        points=(
            "摸清人才底数。对各类人才进行全面普查，建立人才信息库，实行动态管理",
            "搭建创业平台。依托园区、基地等载体，为返乡创业人才提供场地和资金扶持",
            "加强人才培养。分类举办电子商务、乡村旅游、专业技术等培训，培养一批“土专家”“田秀才”",
            "优化服务保障。建立领导干部联系人才制度，帮助人才解决子女入学、融资贷款等实际困难",
            "发挥示范带动。组织人才与困难群众结对帮扶，以“一人带一片”推动共同致富",
        ),
        results=(
            "今年以来，{scope}共引进各类人才{a}名，培育实用人才{b}名，带动{b2}户群众增收。",
            "{scope}人才信息库已入库各类人才{b}人，{a}名返乡人才创办企业和合作社。",
        ),
        problems=(
            "人才总量不足，特别是懂技术、善经营的复合型人才缺乏",
            "人才引进后服务保障跟不上，“引得来、留不住”现象突出",
            "实用人才老龄化明显，后继乏人",
        ),
        suggestions=(
            "完善人才引进培养激励政策",
            "建立人才服务专员制度，做好跟踪服务",
            "加大青年实用人才培育力度",
        ),
        events=(
            "召开人才工作座谈会",
            "举办实用人才技能培训班",
            "举行乡贤回乡创业项目签约仪式",
        ),
        outlook="进一步完善人才工作机制，为高质量发展提供人才支撑",
    ),
    Theme(
        key="organ",
        name="机关党建",
        keyword="机关党建",
        focus="机关党建工作",
        goal="把机关党建作为推动业务工作的重要保障",
        puzzle="党建业务“两张皮”",
        where=DEPARTMENT,
        practices=(
            Practice("党建+业务", "把党建工作与业务工作同谋划、同部署、同考核"),
            Practice("党员先锋岗", "在窗口科室设立党员先锋岗，亮身份、亮承诺"),
            Practice("支部结对共建", "机关支部与村（社区）党组织结对共建"),
            Practice("模范机关创建", "开展模范机关创建活动，以机关作风带动服务提质"),
        ),
        points=(
            "落实主体责任。党组织书记履行第一责任人职责，每季度专题研究党建工作，班子成员落实“一岗双责”",
            "规范组织生活。严格落实“三会一课”、主题党日、谈心谈话等制度，提高组织生活质量",
            "推进融合发展。把党建工作与业务工作同谋划、同部署、同考核，以党建成效推动业务工作提质增效",
            "强化作风建设。开展作风效能专项整治，对群众反映强烈的办事难、办事慢问题限期整改",
            "开展结对共建。组织机关支部与基层党组织结对，党员干部下沉一线帮助解决实际问题",
        ),
        results=(
            "今年以来，{scope}{c}个党支部与村（社区）结对共建，党员干部下基层{b}人次，帮助解决实际问题{a2}个。",
            "{scope}共设立党员先锋岗{a}个，群众办事满意率达{pct}%。",
        ),
        problems=(
            "个别支部存在党建与业务“两张皮”现象",
            "部分党员干部重业务、轻党建，参加组织生活不够积极",
            "机关党务干部多为兼职，业务能力有待提高",
        ),
        suggestions=(
            "完善党建与业务融合考核办法",
            "加强机关党务干部培训",
            "推广“党建+业务”典型经验",
        ),
        events=(
            "召开机关党建工作推进会",
            "开展“党员先锋岗”评比活动",
            "举办机关党务干部业务培训班",
        ),
        outlook="进一步推动机关党建与业务工作深度融合",
    ),
    Theme(
        key="info",
        name="组工信息",
        keyword="组工信息",
        focus="组工信息工作",
        goal="把组工信息工作作为反映组织工作成效的重要窗口",
        puzzle="信息质量不高",
        where=BOTH,
        practices=(
            Practice("信息员例会", "每月召开一次信息员例会，交流选题、点评稿件"),
            Practice("领导出题", "由分管领导每月出题目、交任务"),
            Practice("信息积分考核", "对信息员报送和采用情况实行积分考核"),
        ),
        points=(
            "健全工作机制。明确分管领导为信息工作直接责任人，每月研究一次信息选题，做到出题目、交任务、教方法",
            "加强队伍建设。选配文字功底扎实的年轻干部担任信息员，同时确定后备信息员，保持队伍稳定",
            "提高信息质量。坚持“人无我有、人有我新”，注重反映新情况、新问题和典型经验，防止单纯追求数量",
            "强化考核激励。把信息报送和采用情况纳入年度考核，对成绩突出的信息员予以表扬",
        ),
        results=(
            "今年以来，{scope}共报送组工信息{a}篇，被县级以上采用{c}篇，其中{c2}篇被市级以上刊物采用。",
        ),
        problems=(
            "部分信息员身兼数职，投入信息工作的精力有限",
            "信息选题面窄，反映问题、提出建议的信息偏少",
            "少数信息内容空泛，缺少具体数据和事例",
        ),
        suggestions=(
            "保持信息员队伍相对稳定",
            "加强信息写作培训和稿件点评",
            "鼓励报送问题建议类信息",
        ),
        events=(
            "召开组工信息员例会",
            "举办组工信息写作培训班",
        ),
        outlook="进一步提高组工信息工作水平，更好地为领导决策服务",
    ),
)

THEMES_BY_KEY = {theme.key: theme for theme in THEMES}

# ---------------------------------------------------------------------------------------------
# Categories and the shapes of their titles
# ---------------------------------------------------------------------------------------------

NEWS = "动态"
EXPERIENCE = "经验做法"
PROBLEM = "问题建议"
RESEARCH = "调研报告"
OTHER = "其他"
CATEGORIES = (NEWS, EXPERIENCE, PROBLEM, RESEARCH, OTHER)

ORDINALS = ("一", "二", "三", "四", "五")

EXPERIENCE_TITLES = (
    "{unit}推行“{practice}”推动{name}工作见实效",
    "{unit}“{practice}”激发{name}工作新活力",
    "{unit}探索“{practice}”模式提升{name}工作水平",
    "{unit}以“{practice}”为抓手扎实推进{focus}",
    "{unit}实行“{practice}”破解{puzzle}难题",
    "{unit}“{practice}”让{name}工作落地生根",
)
PROBLEM_TITLES = (
    "{unit}{focus}中存在的问题及建议",
    "{focus}中值得关注的几个问题——来自{unit}的调查",
    "{unit}反映：{focus}亟需破解{puzzle}难题",
)
RESEARCH_TITLES = (
    "关于{unit}{focus}情况的调研报告",
    "{focus}的调查与思考——以{unit}为例",
    "{unit}{focus}现状调查及对策建议",
)
OTHER_TITLES = (
    "{unit}多措并举加强{focus}",
    "{unit}“{practice}”提升{name}工作质量",
)


CONSEQUENCES = (
    "在一定程度上影响了工作成效",
    "需要引起高度重视",
    "不利于工作的深入开展",
    "群众对此反映较多",
)


# ---------------------------------------------------------------------------------------------
# Urgent items: party members in floods, fires and snow
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Emergency:
    work: str  # 防汛抗台
    cause: str
    situation: str  # may name {village}
    months: tuple[int, ...]
    points: tuple[str, ...]  # what the party members do, besides EMERGENCY_POINTS


_FLOOD_POINTS = (
    "转移群众。组织党员突击队挨家挨户通知，安全转移受威胁群众{b}人，做到应转尽转、不漏一户一人",
    "排查隐患。{a}名党员干部分片包干，连夜排查地质灾害隐患点和危旧房屋，设立警示标志",
    "保障生活。开放安置点{c}处，落实食品、饮用水等生活物资，安排专人做好群众情绪疏导",
    "抓好恢复。组织党员志愿者清理淤泥、抢修道路，帮助群众尽快恢复生产生活",
)

EMERGENCIES: tuple[Emergency, ...] = (
    Emergency(
        "防汛抗台",
        "台风外围环流和持续强降雨",
        "境内多条溪流水位暴涨，{village}等地道路中断、部分农房进水",
        (7, 8, 9),
        _FLOOD_POINTS,
    ),
    Emergency(
        "防汛抢险",
        "连续强降雨",
        "{village}等地发生山体滑坡，部分农田和道路受损",
        (4, 5, 6, 7),
        _FLOOD_POINTS,
    ),
    Emergency(
        "森林防火",
        "持续高温干燥天气",
        "{village}附近山林突发火情",
        (1, 2, 3, 10, 11, 12),
        (
            "组织扑救。{a}名党员干部和{c}支党员扑火队迅速赶赴火场，配合专业队伍开展扑救",
            "守好防线。在火场周边村口设立党员值守点，劝导群众远离火场，严防火势蔓延",
            "清理余火。火势得到控制后，组织党员分段看守火场，逐片清理余火，严防死灰复燃",
        ),
    ),
    Emergency(
        "抗击低温雨雪冰冻",
        "强冷空气和雨雪天气",
        "{village}等高山村道路结冰、供电线路受损",
        (12, 1, 2),
        (
            "铲冰除雪。组织{c}支党员突击队连夜铲冰除雪，全力保障主要道路通行",
            "走访困难群众。党员干部逐户走访高山独居老人和困难群众，送去棉被、食品等物资{b}余份",
            "保障供电供水。协助电力、水务部门抢修受损线路和管道，确保群众基本生活",
        ),
    ),
)

EMERGENCY_TITLES = (
    "{unit}组建{c}支党员突击队投入{work}一线",
    "{unit}成立临时党支部全力做好{work}工作",
    "{unit}{a}名党员干部坚守{work}一线",
    "{unit}党员干部冲在{work}第一线",
)

EMERGENCY_KEYWORD = "党员突击队"  # in the keywords of every emergency report

EMERGENCY_POINTS = (
    "迅速响应。班子成员全部下沉一线，实行分片包干、24小时值守，做到责任到人",
    "亮明身份。在一线成立临时党支部{c}个，党员佩戴党徽、亮明身份，哪里最危险就出现在哪里",
)


# ---------------------------------------------------------------------------------------------
# What people say while moving an item, and how they change its text
# ---------------------------------------------------------------------------------------------

RETURN_COMMENTS = (
    "请补充具体数据和成效。",
    "标题不够鲜明，请提炼后重报。",
    "做法部分过于笼统，请补充一两个具体事例。",
    "篇幅偏长，请压缩至五百字以内。",
    "请核实文中党员人数等数据后重报。",
    "请突出本单位的特色做法，避免面面俱到。",
)
DECLINE_COMMENTS = (
    "内容与近期已采用的信息重复，暂不采用。",
    "时效性不强，暂不采用。",
    "做法尚在起步阶段，成效不明显，建议跟踪后再报。",
    "属常规性工作，缺少新意。",
)
SIGNOFF_REJECT_COMMENTS = (
    "数据请与党政办核对后再报。",
    "表述不够准确，请修改完善。",
    "请补充近期工作进展后再报。",
)
ADOPT_COMMENTS = (
    "拟编入《组工信息》。",
    "拟在《基层组织建设通报》刊发。",
    "拟在党建网组工信息专栏刊发。",
    "",
    "",
)
WITHDRAW_COMMENT = "发现数据有误，撤回修改。"

TITLE_EDITS = (
    ("推动", "助推"),
    ("扎实推进", "深入推进"),
    ("见实效", "成效明显"),
    ("激发", "激活"),
    ("探索", "创新"),
    ("破解", "着力破解"),
    ("让", "推动"),
    ("多措并举加强", "多措并举抓实"),
)
BODY_EDITS = (
    ("积极探索推行", "推行"),
    ("有效推动了", "推动了"),
    ("进一步做好", "做好"),
    ("通过一系列举措，", ""),
    ("从调研情况看，", "调研显示，"),
    ("第一时间启动", "及时启动"),
    ("不容忽视的问题", "值得关注的问题"),
    ("取得了较好成效", "成效较好"),
    ("为此建议：", "建议："),
    ("近期，", ""),
)


EMERGENCY = "emergency"  # the kind of an urgent item's text, next to the categories above

SUPPLEMENTS: dict[str, tuple[str, ...]] = {
    NEWS: ("据悉，此次活动共覆盖{n}个村（单位）。", "会上还发放了学习资料{r}余份。"),
    EXPERIENCE: (
        "据统计，相关做法已在{n}个村（单位）推广。",
        "据不完全统计，共有{m}名党员群众参与其中。",
        "相关做法得到党员群众普遍认可，满意率达{p}%。",
    ),
    PROBLEM: ("此次共走访党员群众{m}人，召开座谈会{n}场。",),
    EMERGENCY: ("截至发稿时，已累计出动党员干部{m}人次。",),
}


# ---------------------------------------------------------------------------------------------
# Publications, forwarding, and recognition from above
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicationSpec:
    name: str
    kind: str  # a ``Publication.Kind`` value
    distribution: str = ""  # printed at the end of every issue, one line each


ZUGONG = PublicationSpec(
    "组工信息",
    "periodical",
    "报送：市委组织部。\n抄送：县委常委，县委办。\n发：各乡镇党委，县直各单位党组（党委）。",
)
BULLETIN = PublicationSpec(
    "基层组织建设通报",
    "bulletin",
    "报送：市委组织部。\n抄送：县委常委。\n发：各乡镇党委，县直各单位党组（党委）。",
)
BRIEFING = PublicationSpec(
    "换届工作简报",
    "briefing",
    "报送：市委组织部，市村级组织换届工作领导小组办公室。\n"
    "抄送：县委常委，县村级组织换届工作领导小组成员单位。\n发：各乡镇党委。",
)
WEB_COLUMN = PublicationSpec("组工信息专栏", "web_column")  # of the county's 云溪党建网
COUNTY_PUBLICATIONS = (ZUGONG, BULLETIN, BRIEFING, WEB_COLUMN)
CITY_PUBLICATION = PublicationSpec(
    "澜江组工",
    "periodical",
    "报送：省委组织部。\n抄送：市委常委，市委办公室。\n发：各县（市、区）委组织部，市直各单位党组（党委）。",
)

# 《组工信息》 was running long before xinbao: at the end of the year before the demo's current
# one it stood at 第24期 of that year, 总第320期.
ZUGONG_LAST_NUMBER = 24
ZUGONG_LAST_TOTAL = 320
# Where 《澜江组工》 stood before the year of its first demo issue (its numbering within the year
# is worked out from the date: about two issues a month).
CITY_TOTAL_BEFORE_YEAR = 436

# Who signs off the issues above the county (the county's own signer is the `leader` account).
CITY_SIGNER = person_name(907)

# Themes whose items the bulletin prefers (by the keywords the items carry).
BULLETIN_KEYWORDS = ("基层组织建设", "软弱涣散", "村务公开", "村级办公场所", "发展党员")
ELECTION_KEYWORD = "换届"

# 编者按, by what the item is: {unit} is the reporting unit.
EDITOR_NOTES: dict[str, tuple[str, ...]] = {
    EXPERIENCE: (
        "{unit}的做法针对性强、操作性强，值得各地结合实际学习借鉴。",
        "现将{unit}的做法刊发，请各乡镇、各单位结合实际参考借鉴。",
        "{unit}在实践中探索形成的这些做法，为破解基层难题提供了有益借鉴。",
    ),
    PROBLEM: (
        "{unit}反映的问题在我县具有一定普遍性，请各地各单位引起重视，认真研究解决。",
        "现将{unit}反映的情况刊发，请有关单位对照检查，举一反三抓好整改。",
    ),
    RESEARCH: ("{unit}的调研深入细致、建议务实可行，供各地在工作中参考。",),
    EMERGENCY: (
        "在急难险重任务面前，{unit}党员干部冲锋在前、勇挑重担，充分体现了基层党组织的战斗堡垒"
        "作用和党员的先锋模范作用。现予刊发，望各地学习。",
    ),
}

# 转报说明, for a practice (经验做法) and for anything else.
FORWARD_NOTES = (
    "该做法在我县取得较好成效，具有一定推广价值，特此转报。",
    "该做法经实践检验效果较好，特此转报，供参阅。",
    "",
)
FORWARD_NOTES_OTHER = ("反映的情况较为典型，特此转报，供参阅。", "")
CITY_ADOPT_COMMENTS = ("拟编入《澜江组工》。", "拟在《澜江组工》刊发。", "")
CITY_DECLINE_COMMENTS = (
    "与其他县（市、区）报送的信息内容相近，暂不采用。",
    "做法尚不够成熟，建议跟踪总结后再报。",
)


@dataclass(frozen=True)
class Outlet:
    kind: str  # an ``ExternalAdoption.Kind`` value
    level: str  # a ``Level`` value
    name: str
    label: str  # the issue or page, from the adoption date: {year} {month} {day} {number} {page}


PROVINCE_ZUGONG = Outlet(
    "publication", "province", "省委组织部《组工信息》", "{year}年第{number}期"
)
CENTRAL_ZUGONG = Outlet("publication", "central", "中组部《组工通讯》", "{year}年第{number}期")
PARTY_WEBSITE = Outlet("website", "central", "共产党员网", "{month}月{day}日“基层党建”栏目")
MEDIA = (
    Outlet("newspaper", "province", "《江岳日报》", "{month}月{day}日第{page}版"),
    Outlet("newspaper", "city", "《澜江日报》", "{month}月{day}日第{page}版"),
    Outlet("broadcast", "city", "澜江广播电视台", "{month}月{day}日《澜江新闻》"),
    Outlet("broadcast", "province", "江岳卫视", "{month}月{day}日《江岳新闻联播》"),
)


@dataclass(frozen=True)
class Leader:
    level: str  # a ``Level`` value
    title: str
    name: str


COUNTY_SECRETARY = Leader("county", "县委书记", person_name(901))
COUNTY_DEPUTY = Leader("county", "县委副书记", person_name(902))
CITY_DEPUTY = Leader("city", "市委副书记", person_name(903))
CITY_ORG_HEAD = Leader("city", "市委常委、组织部部长", person_name(904))
PROVINCE_ORG_HEAD = Leader("province", "省委常委、组织部部长", person_name(905))

COUNTY_NAME = COUNTY.name.removesuffix("委组织部")  # 云溪县

# 领导批示, by the leader's level and what the item is: {unit} is the reporting unit,
# {county} the county (云溪县).
INSTRUCTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("county", EXPERIENCE): (
        "此做法很好，请县委组织部总结推广。",
        "{unit}的做法值得肯定，请各乡镇、各部门结合实际学习借鉴。",
    ),
    ("county", PROBLEM): (
        "信息反映的问题值得重视，请县委组织部会同有关部门深入调研，提出解决办法。",
    ),
    ("county", EMERGENCY): (
        "党员干部在一线冲锋在前，值得肯定。请县委组织部及时总结宣传先进典型。",
    ),
    ("city", EXPERIENCE): (
        "{county}的做法有新意、有实效，请市委组织部总结提炼，在全市推广。",
        "{unit}的经验很好，请各县（市、区）学习借鉴。",
    ),
    ("city", PROBLEM): ("请市委组织部关注此类问题，研究提出全市层面的指导意见。",),
    ("city", EMERGENCY): ("请市委组织部对抢险一线表现突出的党员干部予以关心关爱。",),
    ("province", EXPERIENCE): ("{county}的探索很有意义，请省委组织部组织一处跟踪了解，总结经验。",),
    ("province", PROBLEM): ("此问题具有普遍性，请省委组织部组织一处研究提出对策。",),
    ("province", EMERGENCY): ("基层党组织和党员在急难险重任务中发挥了重要作用，请总结宣传。",),
}
