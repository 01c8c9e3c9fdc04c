from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from xinbao.notify.models import Notification
from xinbao.notify.services import notifications_mark_read
from xinbao.web.access import AuthedRequest


def notification_list(request: AuthedRequest) -> HttpResponse:
    qs = (
        Notification.objects.filter(recipient=request.user)
        .select_related("item")
        .order_by("-created_at", "-id")
    )
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "notify/list.html", {"page": page})


@require_POST
def mark_all_read(request: AuthedRequest) -> HttpResponse:
    notifications_mark_read(user=request.user)
    return redirect("notify:list")
