"""The cached part of the dashboard pages (charts, tables, download links), rendered for a
request or ahead of one.

Refresh-ahead: a department page someone had to wait for is watched for an hour
(``cache.watch``); after the background refresh has rewritten the department's cells
(``scoring.pending.drain``), ``warm`` renders that page under the version the department's
bump is about to give it, then the bump makes it current: the next look at it is a cache hit
instead of a computation in the request.
"""

from __future__ import annotations

import logging
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from xinbao.dashboard import cache, queries
from xinbao.dashboard.figures import Figure
from xinbao.dashboard.periods import Period
from xinbao.orgs.models import Unit

logger = logging.getLogger(__name__)


def figures_renderer(period: Period, kind: str = "", unit: Unit | None = None) -> Any:
    """Renders the figures' charts, tables and download links (the cached part of a page)."""
    query = period.query + (f"&kind={kind}" if kind else "")

    def render(figures: list[Figure]) -> str:
        context = {
            "figures": figures,
            "charts": {f.key: f.as_json() for f in figures},
            "query": query,
            "unit": unit,
        }
        return render_to_string("dashboard/_figures.html", context)

    return render


def warm(department_id: int, token: int) -> bool:
    """Render the department's watched page into the cache under the version the department
    gets when bumped to ``token`` (``cache.bump(department_id, token)``, called next): until
    then viewers get the page as it was, after it the new one, and no one waits between. True
    when it rendered; a failure is logged, never raised (the refresh it follows has committed,
    and the bump still comes)."""
    page = cache.watched(department_id)
    if page is None:
        return False
    try:
        period, kind, language = page
        department = Unit.objects.filter(pk=department_id).first()
        if department is None:
            return False
        stamp = cache.version(department_id, token)
        with translation.override(language):
            queries.department_page(
                department, period, kind, figures_renderer(period, kind), stamp=stamp
            )
    except Exception:
        logger.exception("could not render the dashboard of department %s ahead", department_id)
        return False
    return True
