"""Login bookkeeping: the session's login time and row in the session list; lockouts audited."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from xinbao.audit.services import audit_record
from xinbao.security.models import UserSession
from xinbao.security.sessions import start_session


@receiver(user_logged_in)
def remember_session(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        start_session(request, user)


@receiver(user_locked_out)
def record_lockout(
    sender: Any, request: HttpRequest | None, username: str | None = None, **kwargs: Any
) -> None:
    """The locked username is kept (the account may not exist); an address locked by the
    per-address cap (``security.lockout.AddressCapHandler``) has no username but its address."""
    name = str(username or "")[:150]
    user = get_user_model().objects.filter(username=name).first() if name else None
    changes: dict[str, Any] = {"username": name, "scope": "account" if name else "address"}
    if not name:
        changes["address"] = str(kwargs.get("ip_address") or "")[:64]
    audit_record(actor=None, action="auth.locked", obj=user, changes=changes, success=False)


@receiver(user_logged_out)
def forget_session(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Logout flushes the session row (Django); its line in the session list goes too (R28)."""
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        UserSession.objects.filter(session_key=key).delete()
