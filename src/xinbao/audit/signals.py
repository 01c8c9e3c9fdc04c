"""Security events from Django's auth signals go to the audit log too."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from xinbao.audit.services import audit_record, single_line


@receiver(user_logged_in)
def record_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action="auth.login", obj=user)


@receiver(user_logged_out)
def record_logout(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(actor=user, action="auth.logout", obj=user)


@receiver(user_login_failed)
def record_login_failure(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    """The attempted username is kept (never the password); the account may not exist."""
    username = single_line(str(credentials.get("username", "")))[:150]
    user = get_user_model().objects.filter(username=username).first()
    changes = {"username": username}
    if credentials.get("channel"):  # e.g. "api": a failed sign-in for an API token
        changes["channel"] = str(credentials["channel"])[:20]
    audit_record(
        actor=None,
        action="auth.login_failed",
        obj=user,
        changes=changes,
        success=False,
    )
