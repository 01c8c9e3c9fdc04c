from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xinbao.audit.services import audit_record
from xinbao.orgs.models import Role
from xinbao.security.otp import otp_session_keep
from xinbao.security.sessions import end_other_sessions
from xinbao.web.access import AuthedRequest

HOME_BY_ROLE: dict[str, str] = {
    Role.OFFICER: "items:list",
    Role.UNIT_LEADER: "items:signoff",
    Role.EDITOR: "items:inbox",
    Role.DEPT_LEADER: "items:inbox",
    Role.SYSADMIN: "admin:index",
    Role.SECADMIN: "admin:index",
    Role.AUDITADMIN: "audit:log",
}


def home(request: AuthedRequest) -> HttpResponse:
    return redirect(HOME_BY_ROLE.get(request.user.role, "account"))


@require_POST
def set_language(request: AuthedRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        messages.error(request, _("不支持该语言。"))
    else:
        user = request.user
        old = user.language
        user.language = language
        user.save(update_fields=["language"])
        audit_record(
            actor=user, action="user.set_language", obj=user, changes={"language": [old, language]}
        )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)


def account(request: AuthedRequest) -> HttpResponse:
    return render(request, "web/account.html", {"languages": settings.LANGUAGES})


class PasswordChange(auth_views.PasswordChangeView):
    """Change one's password; the only page reachable while a change is required."""

    template_name = "web/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = form.user
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])
        # Django's session auth hash already refuses the other sessions; remove them too (R07).
        end_other_sessions(user, keep=self.request.session.session_key)
        # The new password raised the second factor's epoch; this session keeps its own (R08).
        otp_session_keep(self.request)
        audit_record(actor=user, action="user.password_change", obj=user)
        messages.success(self.request, _("密码已修改。"))
        return response
