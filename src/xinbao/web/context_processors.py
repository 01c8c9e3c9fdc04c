from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _

from xinbao.orgs.models import Role

# A link is (view name, label); a group is (label, [links]) and opens as a menu, so that the
# busiest role's bar (editors) stays on one line at 1280 px.
Link = tuple[str, Any]
Entry = tuple[str, Any] | tuple[Any, list[Link]]

NAVIGATION: dict[str, list[Entry]] = {
    Role.OFFICER: [
        ("items:list", _("我的信息")),
        ("items:new", _("写信息")),
        ("topics:list", _("约稿")),
        ("notify:notices", _("通知")),
        ("scoring:mine", _("积分")),
        ("dashboard:mine", _("统计分析")),
        ("orgs:my_portfolio", _("我的档案")),
        ("orgs:exemplary_list", _("范文")),
    ],
    Role.UNIT_LEADER: [
        ("items:signoff", _("待签发")),
        ("items:list", _("本单位信息")),
        ("topics:list", _("约稿")),
        ("notify:notices", _("通知")),
        ("scoring:mine", _("积分")),
        ("dashboard:mine", _("统计分析")),
        ("orgs:my_unit_roster", _("信息员")),
    ],
    Role.EDITOR: [
        ("items:inbox", _("收件箱")),
        ("publishing:publications", _("刊物")),
        ("publishing:forwarded", _("转报收件")),
        ("topics:list", _("约稿")),
        ("notify:notices", _("通知")),
        ("scoring:ranking", _("考核")),
        ("dashboard:department", _("统计分析")),
        (
            _("队伍建设"),
            [
                ("orgs:roster", _("信息员队伍")),
                ("orgs:trainings", _("培训")),
                ("orgs:exemplary_list", _("范文")),
            ],
        ),
        (
            _("设置"),
            [
                ("topics:key_work", _("工作要点")),
                ("items:secrecy_terms", _("保密用语")),
                ("scoring:rules", _("考核办法")),
                ("scoring:classes", _("单位考核类别")),
                ("transfer:exports", _("数据导出")),
            ],
        ),
    ],
    Role.DEPT_LEADER: [
        ("dashboard:department", _("统计分析")),
        ("items:inbox", _("信息总览")),
        ("publishing:publications", _("刊物")),
        ("topics:list", _("约稿")),
        ("topics:timeliness", _("时效")),
        ("notify:notices", _("通知")),
        ("scoring:ranking", _("考核")),
        (
            _("队伍建设"),
            [("orgs:roster", _("信息员队伍")), ("orgs:compare", _("信息员比较"))],
        ),
    ],
    Role.SYSADMIN: [("admin:index", _("系统管理"))],
    Role.SECADMIN: [("admin:index", _("安全管理"))],
    Role.AUDITADMIN: [("audit:log", _("审计日志"))],
}


@lru_cache(maxsize=512)
def nav_url(name: str, prefix: str, urlconf: str) -> str:
    """``reverse(name)``, once per process: the bar's links were a tenth of a list page's calls.
    Keyed on what the answer depends on (script prefix, URL configuration)."""
    return reverse(name, urlconf=urlconf)


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The role's links for the top bar; a group carries its links in ``children`` and is
    active when one of them is the current page."""
    user = request.user
    if not user.is_authenticated:
        return {"nav": []}
    current = request.resolver_match.view_name if request.resolver_match else ""

    prefix, urlconf = get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF

    def link(name: str, label: Any) -> dict[str, Any]:
        return {"url": nav_url(name, prefix, urlconf), "label": label, "active": name == current}

    nav: list[dict[str, Any]] = []
    for first, second in NAVIGATION.get(getattr(user, "role", ""), []):
        if isinstance(second, list):
            children = [link(name, label) for name, label in second]
            nav.append(
                {
                    "label": first,
                    "children": children,
                    "active": any(child["active"] for child in children),
                }
            )
        else:
            nav.append(link(first, second))
    return {"nav": nav}
