"""The search page: the plain box, the advanced form and the results."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from xinbao.search.context_processors import SEARCH_ROLES
from xinbao.search.forms import SearchForm
from xinbao.search.queries import Order, search_items
from xinbao.web.access import AuthedRequest, require_roles


@require_roles(*SEARCH_ROLES)
def search(request: AuthedRequest) -> HttpResponse:
    form = SearchForm(request.GET or None, user=request.user)
    context: dict[str, object] = {"form": form, "results": None, "page": None}
    if form.has_search:
        results = search_items(
            request.user,
            form.cleaned_data["q"],
            form.to_filters(),
            form.cleaned_data.get("order") or Order.NEWEST,
        )
        query = request.GET.copy()
        query.pop("page", None)
        context |= {
            "results": results,
            "page": results.page(request.GET.get("page")),
            "query": query.urlencode(),
        }
    return render(request, "search/results.html", context)
