"""Reads for the API that the pages do not need: tokens (``access_token`` is the access helper:
another user's token is 404), the units a caller works with, and a page of the filtered item
list."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404

from xinbao.api.models import ApiToken
from xinbao.items.models import Item
from xinbao.items.permissions import newest_visible_ids
from xinbao.items.queries import ItemFilter, filter_items
from xinbao.orgs.models import DEPARTMENT_ROLES, UNIT_ROLES, Unit

if TYPE_CHECKING:
    from xinbao.orgs.models import User


def tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def access_token(user: User, pk: int) -> ApiToken:
    try:
        return tokens_of(user).get(pk=pk)
    except ApiToken.DoesNotExist:
        raise Http404 from None


def token_by_digest(digest: str) -> ApiToken | None:
    """The token with this digest and its owner, whatever its state (the caller checks it)."""
    return (
        ApiToken.objects.select_related("user", "user__unit__department")
        .filter(digest=digest)
        .first()
    )


def units_for(user: User) -> QuerySet[Unit]:
    """The units a caller's role works with.

    An officer or unit leader: their own unit and the units they may name as co-reporters (the
    other non-department units reporting to the same organization department, as on the item
    form). An editor or department leader: their department and every unit reporting to it.
    Administrators hold no business role and get none.
    """
    if not user.is_active or user.unit is None:
        return Unit.objects.none()
    unit = user.unit
    if user.role in UNIT_ROLES:
        siblings = Q(department_id=unit.department_id, is_active=True) & ~Q(kind=Unit.Kind.ORG_DEPT)
        condition = Q(pk=unit.pk) | siblings if unit.department_id else Q(pk=unit.pk)
    elif user.role in DEPARTMENT_ROLES:
        condition = Q(pk=unit.pk) | Q(department_id=unit.pk)
    else:
        return Unit.objects.none()
    return Unit.objects.filter(condition).order_by("sort_order", "code", "id")


def item_page(user: User, f: ItemFilter, *, before: int | None, limit: int) -> list[Item]:
    """The caller's newest ``limit`` visible items narrowed by the filter, below id ``before``
    (a cursor) when given, newest first: each part of the visibility read along its own
    index (``items.permissions.newest_visible_ids``), then the page's rows by id."""

    def narrow(qs: QuerySet[Item]) -> QuerySet[Item]:
        qs = filter_items(qs, f)
        return qs.filter(pk__lt=before) if before is not None else qs

    ids = newest_visible_ids(user, limit, narrow=narrow)
    by_id = Item.objects.select_related("unit", "category").in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]
