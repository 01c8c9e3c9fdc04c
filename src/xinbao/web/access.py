"""Role gates for views. Object scope is checked by each app's access helper
(e.g. ``items.queries.access_item``); this module only answers "may this role open this page"."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from django.http import Http404, HttpRequest, HttpResponse

from xinbao.orgs.models import DEPARTMENT_ROLES

if TYPE_CHECKING:
    from xinbao.orgs.models import Unit, User

    class AuthedRequest(HttpRequest):
        user: User  # narrowed: LoginRequiredMiddleware ran before every view
else:
    AuthedRequest = HttpRequest

View = TypeVar("View", bound=Callable[..., HttpResponse])


def require_roles(*roles: str) -> Callable[[View], View]:
    """Only users holding one of ``roles`` reach the view; others get 404 (pages they have no
    business with do not announce themselves)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.has_role(*roles):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def department_of(user: User) -> Unit:
    """The organization department of an editor or department leader; 404 for anyone else."""
    if not user.has_role(*DEPARTMENT_ROLES):
        raise Http404
    return user.home_unit
