from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from xinbao.orgs.models import DEPARTMENT_ROLES, UNIT_ROLES

SEARCH_ROLES = tuple(UNIT_ROLES | DEPARTMENT_ROLES)


def search_box(request: HttpRequest) -> dict[str, Any]:
    """Whether the header shows the search box: for the business roles, who see items."""
    user = request.user
    has_role = getattr(user, "has_role", None)
    return {"search_box": bool(user.is_authenticated and has_role and has_role(*SEARCH_ROLES))}
