"""Helpers for views. Which role may open which page is the role matrix's alone
(``security/role_matrix.toml``, enforced by ``RoleMatrixMiddleware`` before any view runs); object
scope is each app's access helper's (e.g. ``items.queries.access_item``: 404 outside it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404, HttpRequest

from xinbao.orgs.models import DEPARTMENT_ROLES

if TYPE_CHECKING:
    from xinbao.orgs.models import Unit, User

    class AuthedRequest(HttpRequest):
        user: User  # narrowed: LoginRequiredMiddleware ran before every view
else:
    AuthedRequest = HttpRequest


def department_of(user: User) -> Unit:
    """The organization department of an editor or department leader; 404 for anyone else."""
    if not user.has_role(*DEPARTMENT_ROLES):
        raise Http404
    return user.home_unit
