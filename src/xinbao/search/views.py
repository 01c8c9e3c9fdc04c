"""The search page (the plain box, the advanced form and the results), the side-by-side view of
two similar items, the near-duplicate check of unsaved text, and the merge of a same-event
cluster."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xinbao.items.errors import ItemError
from xinbao.items.queries import access_item
from xinbao.search.forms import DraftCheckForm, SearchForm
from xinbao.search.passages import compare
from xinbao.search.queries import Order, search_items, similar_to_draft
from xinbao.search.services import cluster_merge
from xinbao.web.access import AuthedRequest


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


def passages(request: AuthedRequest, pk: int, other_pk: int) -> HttpResponse:
    """Two items side by side, paragraph by paragraph: what they share. Both must be visible
    to the user (404 otherwise, like every item page)."""
    item = access_item(request.user, pk)
    other = access_item(request.user, other_pk)
    return render(request, "search/passages.html", {"comparison": compare(item, other)})


@require_POST
def check_draft(request: AuthedRequest) -> HttpResponse:
    """The near-duplicate warning for the text in the item form as typed, before it is saved
    (the form posts its title and body here through htmx). Reads only; lists only what the user
    may see."""
    form = DraftCheckForm(request.POST)
    if not form.is_valid():
        return render(request, "search/_draft_warning.html", {"form": form}, status=400)
    data = form.cleaned_data
    item = access_item(request.user, data["item"]) if data["item"] else None
    warning = similar_to_draft(request.user, data["title"], data["body"], item=item)
    return render(request, "search/_draft_warning.html", {"warning": warning, "item": item})


@require_POST
def merge(request: AuthedRequest) -> HttpResponse:
    """Merge a same-event cluster from the inbox: ``into`` is kept and adopted, the other
    ``items`` are merged into it (``search.services.cluster_merge``)."""
    into = access_item(request.user, request.POST.get("into", ""))
    others = [
        access_item(request.user, pk) for pk in request.POST.getlist("items") if pk != str(into.pk)
    ]
    try:
        cluster_merge(actor=request.user, into=into, others=others)
    except ItemError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("已合并:《%(title)s》采用,其余 %(n)d 条并入,计为联合报送。")
            % {"title": into.title, "n": len(others)},
        )
    return redirect("items:inbox")
