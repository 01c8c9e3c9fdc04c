"""Account lifecycle and residual secrets (R14, R28): disabling accounts nobody uses, and
removing what a disabled account or an ended session leaves behind."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinbao.audit.services import audit_record
from xinbao.security.models import UserSession

BATCH = 500


def do_secrets_clear(user: Any) -> int:
    """Delete the sessions and second-factor seeds of ``user``; returns the sessions ended.
    Checks nothing: callers decide (disable, delete)."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    TOTPDevice.objects.filter(user=user).delete()
    return len(keys)


def stale_accounts(now: datetime.datetime, days: int) -> Any:
    """Active accounts with no sign-in for ``days`` days (never signed in: counted from when the
    account was created)."""
    cutoff = now - datetime.timedelta(days=days)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff))
        .order_by("pk")
    )


def disable_stale_accounts(now: datetime.datetime | None = None, days: int | None = None) -> int:
    """Disable every account unused for ``XINBAO_INACTIVE_DAYS`` days (default 90; 0 turns it
    off), one transaction per account: the conditional update, the audit record
    (``account.disabled_inactive``) and the removal of its sessions and OTP seeds. Running it
    again disables nothing twice. Returns how many were disabled."""
    now = now or timezone.now()
    days = settings.XINBAO_INACTIVE_DAYS if days is None else days
    if days <= 0:
        return 0
    disabled = 0
    while True:
        batch = list(stale_accounts(now, days)[:BATCH])
        if not batch:
            return disabled
        for user in batch:
            with transaction.atomic():
                if (
                    not type(user)
                    .objects.filter(pk=user.pk, is_active=True)
                    .update(is_active=False)
                ):
                    continue  # someone else got there first
                user.is_active = False
                ended = do_secrets_clear(user)
                audit_record(
                    actor=None,
                    action="account.disabled_inactive",
                    obj=user,
                    changes={
                        "last_login": user.last_login.isoformat() if user.last_login else None,
                        "days": days,
                        "sessions_ended": ended,
                    },
                )
                disabled += 1


def clear_expired_sessions(now: datetime.datetime | None = None) -> int:
    """Django's ``clearsessions`` plus the session list rows of sessions that are gone (R28)."""
    now = now or timezone.now()
    expired = Session.objects.filter(expire_date__lt=now)
    count = expired.count()
    expired.delete()
    UserSession.objects.exclude(session_key__in=Session.objects.values("session_key")).delete()
    return count
