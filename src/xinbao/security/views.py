from __future__ import annotations

from base64 import b32encode

from django.contrib import messages
from django.contrib.auth.signals import user_login_failed
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinbao.audit.services import audit_record
from xinbao.security.otp import matching_device, otp_session_login, user_has_device
from xinbao.security.sessions import active_sessions, end_other_sessions
from xinbao.web.access import AuthedRequest


def sessions(request: AuthedRequest) -> HttpResponse:
    """The user's own signed-in sessions (R07)."""
    rows = active_sessions(request.user)
    return render(
        request,
        "security/sessions.html",
        {"sessions": rows, "current_key": request.session.session_key},
    )


@require_POST
def end_others(request: AuthedRequest) -> HttpResponse:
    ended = end_other_sessions(request.user, keep=request.session.session_key)
    audit_record(
        actor=request.user,
        action="auth.end_other_sessions",
        obj=request.user,
        changes={"ended": ended},
    )
    messages.success(request, _("已结束其他 %(n)d 个会话。") % {"n": ended})
    return redirect("sessions")


def _next_url(request: AuthedRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


def otp_setup(request: AuthedRequest) -> HttpResponse:
    """Enrol a TOTP authenticator: show the key, then confirm with one code from the app."""
    user = request.user
    if user_has_device(user):
        if not user.is_verified():  # type: ignore[attr-defined]
            return redirect("otp_verify")
        messages.info(request, _("已绑定动态口令。"))
        return redirect("account")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("动态口令"), confirmed=False)
    error = ""
    if request.method == "POST":
        if device.verify_token(request.POST.get("token", "").strip()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_session_login(request, device, enrolled=True)
            audit_record(actor=user, action="auth.otp_enrolled", obj=user)
            messages.success(request, _("动态口令已绑定。"))
            return redirect(_next_url(request))
        error = _("动态口令不正确,请重试。")
        audit_record(actor=user, action="auth.otp_enrol_failed", obj=user, success=False)
    return render(
        request,
        "security/otp_setup.html",
        {
            "secret": b32encode(device.bin_key).decode("ascii").rstrip("="),
            "uri": device.config_url,
            "error": error,
        },
        status=400 if error else 200,
    )


def otp_verify(request: AuthedRequest) -> HttpResponse:
    """The second step of signing in for a user with a TOTP device. A wrong code counts as a
    failed sign-in towards the account lockout (R04)."""
    user = request.user
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect(_next_url(request))
    error = ""
    if request.method == "POST":
        device = matching_device(user, request.POST.get("token", ""))
        if device is not None:
            otp_session_login(request, device)
            audit_record(actor=user, action="auth.otp_verified", obj=user)
            return redirect(_next_url(request))
        error = _("动态口令不正确,请重试。")
        user_login_failed.send(
            sender=__name__,
            credentials={"username": user.get_username(), "channel": "otp"},
            request=request,
        )
    return render(
        request, "security/otp_verify.html", {"error": error}, status=400 if error else 200
    )
