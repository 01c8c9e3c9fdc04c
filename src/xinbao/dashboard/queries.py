"""Reads for the dashboards: who may see which dashboard, and the cached figures.

``access_dashboard_unit`` is the access helper of a unit's dashboard; it is the points
statement's rule (``scoring.queries.access_statement_unit``): officers and unit leaders their own
unit, editors and department leaders any unit of their department, anyone else 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.http import Http404
from django.utils.translation import get_language

from xinbao.dashboard import cache
from xinbao.dashboard.facts import DepartmentFacts, department_facts
from xinbao.dashboard.figures import Figure, department_figures, unit_figures
from xinbao.dashboard.periods import Period
from xinbao.orgs.models import Unit
from xinbao.scoring.queries import access_statement_unit
from xinbao.web.access import department_of

if TYPE_CHECKING:
    from xinbao.orgs.models import User

UNIT_KINDS = [kind for kind in Unit.Kind.values if kind != Unit.Kind.ORG_DEPT]


def dashboard_department(user: User) -> Unit:
    """The department whose dashboard ``user`` may see (editors and department leaders)."""
    return department_of(user)


def access_dashboard_unit(user: User, pk: int) -> Unit:
    return access_statement_unit(user, pk)


def clean_kind(value: str) -> str:
    return value if value in UNIT_KINDS else ""


def cached_facts(department: Unit, period: Period, stamp: str) -> DepartmentFacts:
    return cache.cached(
        "facts", department.pk, period.key, stamp, lambda: department_facts(department, period)
    )


def department_dashboard(
    department: Unit, period: Period, kind: str = "", *, stamp: str | None = None
) -> list[Figure]:
    """The department's figures (cached; after the first load: one query, two cache reads).
    ``stamp``: the version to read and store them under (``cache.version`` by default)."""
    stamp = stamp or cache.version(department.pk)
    return cache.cached(
        "department",
        department.pk,
        f"{period.key}:{kind}",
        stamp,
        lambda: department_figures(department, cached_facts(department, period, stamp), kind),
    )


def unit_dashboard(unit: Unit, period: Period) -> list[Figure]:
    """The unit's figures against its department's median (cached like the department's)."""
    department = unit.department
    if department is None:
        raise Http404
    stamp = cache.version(department.pk)
    return cache.cached(
        "unit",
        department.pk,
        f"{period.key}:{unit.pk}",
        stamp,
        lambda: unit_figures(department, cached_facts(department, period, stamp), unit),
    )


def department_page(
    department: Unit,
    period: Period,
    kind: str,
    render: Callable[[list[Figure]], str],
    *,
    stamp: str | None = None,
) -> str:
    """The rendered charts and tables of the department's dashboard (``render(figures)``),
    cached with the figures: a warm page costs one query and a cache read, whatever its size.
    A page that had to be computed is watched (``cache.watch``), so the background refresh
    renders it ahead after each change (``pages.warm``, with the ``stamp`` to come)."""
    ahead = stamp is not None
    stamp = stamp or cache.version(department.pk)

    def compute() -> str:
        if not ahead:
            cache.watch(department.pk, (period, kind, get_language()))
        return render(department_dashboard(department, period, kind, stamp=stamp))

    return cache.cached("department_html", department.pk, f"{period.key}:{kind}", stamp, compute)


def unit_page(unit: Unit, period: Period, render: Callable[[list[Figure]], str]) -> str:
    department = unit.department
    if department is None:
        raise Http404
    stamp = cache.version(department.pk)
    return cache.cached(
        "unit_html",
        department.pk,
        f"{period.key}:{unit.pk}",
        stamp,
        lambda: render(unit_dashboard(unit, period)),
    )


def figure_of(figures: list[Figure], key: str) -> Figure:
    for figure in figures:
        if figure.key == key:
            return figure
    raise Http404
