from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from xinbao.audit.models import AuditRecord
from xinbao.orgs.models import Role
from xinbao.web.access import AuthedRequest, require_roles


@require_roles(Role.AUDITADMIN)
def audit_log(request: AuthedRequest) -> HttpResponse:
    qs = AuditRecord.objects.order_by("-at", "-id")
    if action := request.GET.get("action", "").strip():
        qs = qs.filter(action__startswith=action)
    if actor := request.GET.get("actor", "").strip():
        qs = qs.filter(actor_name=actor)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "audit/log.html", {"page": page, "action": action, "actor": actor})
